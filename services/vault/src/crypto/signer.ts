import { createHash } from 'node:crypto';

import nacl from 'tweetnacl';

import { VaultError } from '../domain/errors.js';

/** A JWS in flattened JSON serialisation (RFC 7515 §7.2.2), `alg: EdDSA` (Ed25519). */
export interface FlattenedJws {
  protected: string;
  payload: string;
  signature: string;
}

/** The public half as a JWK (RFC 8037), so any JOSE library can verify. */
export interface PublicJwk {
  kty: 'OKP';
  crv: 'Ed25519';
  x: string;
  kid: string;
  alg: 'EdDSA';
  use: 'sig';
}

const b64url = (b: Uint8Array | string) => Buffer.from(b).toString('base64url');

export class Signer {
  private readonly keyPair: nacl.SignKeyPair;
  readonly publicJwk: PublicJwk;

  constructor(seed: Uint8Array) {
    this.keyPair = nacl.sign.keyPair.fromSeed(seed);
    const kid = createHash('sha256').update(this.keyPair.publicKey).digest('hex').slice(0, 16);
    this.publicJwk = { kty: 'OKP', crv: 'Ed25519', x: b64url(this.keyPair.publicKey), kid, alg: 'EdDSA', use: 'sig' };
  }

  /** Signs a JSON document; sign per document (Ed25519 in tweetnacl is slow), never per event. */
  sign(document: unknown, typ: string): FlattenedJws {
    const header = b64url(JSON.stringify({ alg: 'EdDSA', kid: this.publicJwk.kid, typ }));
    const payload = b64url(JSON.stringify(document));
    const signature = nacl.sign.detached(Buffer.from(`${header}.${payload}`), this.keyPair.secretKey);
    return { protected: header, payload, signature: b64url(signature) };
  }
}

/** Verifies a flattened JWS against a public JWK and returns its payload. */
export function verifyJws(jws: FlattenedJws, jwk: Pick<PublicJwk, 'x'>): unknown {
  const header = JSON.parse(Buffer.from(jws.protected, 'base64url').toString('utf8')) as { alg?: string };
  if (header.alg !== 'EdDSA') throw new VaultError('SIGNATURE_INVALID', 'Unsupported signature algorithm');
  const ok = nacl.sign.detached.verify(
    Buffer.from(`${jws.protected}.${jws.payload}`),
    Buffer.from(jws.signature, 'base64url'),
    Buffer.from(jwk.x, 'base64url'),
  );
  if (!ok) throw new VaultError('SIGNATURE_INVALID', 'The signature does not verify with this public key');
  return JSON.parse(Buffer.from(jws.payload, 'base64url').toString('utf8'));
}
