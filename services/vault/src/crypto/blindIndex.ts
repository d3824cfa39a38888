import { createHmac } from 'node:crypto';

/** Keyed HMAC-SHA-256 of a normalised lookup value (see domain/values.ts `lookupForm`). */
export class BlindIndex {
  constructor(private readonly key: Uint8Array) {}

  hash(lookupForm: string): string {
    return createHmac('sha256', this.key).update(lookupForm).digest('hex');
  }
}
