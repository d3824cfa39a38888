#!/usr/bin/env bash
# Downloads a vault export link once and verifies it with standard tools only (curl, openssl 3,
# sha256sum, base64, sed): the Ed25519 signature of the `Vault-Signature` JWS against the key
# published at the `Vault-Signing-Key` URL (a JWK Set), then the body's SHA-256 and length
# against the signed digest.
#
#   docs/verify-download.sh <download-url> [output-file]
#
# A link works once: the body is kept in output-file (default: the file name the server sends,
# in the current directory). Exits 0 when everything verifies, 1 when anything does not.
set -euo pipefail

url=${1:?usage: verify-download.sh <download-url> [output-file]}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

fail() { echo "FAILED: $*" >&2; exit 1; }
# base64url (RFC 4648 §5, unpadded) to bytes
b64url_decode() {
  local s
  s=$(printf '%s' "$1" | tr '_-' '/+')
  case $(( ${#s} % 4 )) in 2) s="$s==" ;; 3) s="$s=" ;; esac
  printf '%s' "$s" | base64 -d
}
header() { { grep -i "^$1:" "$work/headers" || true; } | tail -n 1 | sed 's/^[^:]*: *//' | tr -d '\r'; }

status=$(curl -sS -D "$work/headers" -o "$work/body" -w '%{http_code}' "$url")
[ "$status" = 200 ] || fail "the link answered HTTP $status: $(cat "$work/body")"
out=${2:-$(header content-disposition | sed -n 's/.*filename="\([^"]*\)".*/\1/p')}
cp "$work/body" "${out:=download.json}"

jws=$(header vault-signature)
[ -n "$jws" ] || fail 'no Vault-Signature header'
IFS=. read -r protected payload signature <<<"$jws"
b64url_decode "$protected" >"$work/protected.json"
grep -q '"alg":"EdDSA"' "$work/protected.json" || fail "not an EdDSA signature: $(cat "$work/protected.json")"
kid=$(sed -n 's/.*"kid":"\([^"]*\)".*/\1/p' "$work/protected.json")

# The signing key: the JWK whose kid the JWS names, from the published JWK Set.
jwks_url=$(header vault-signing-key)
[ -n "$jwks_url" ] || fail 'no Vault-Signing-Key header'
curl -sSf -o "$work/jwks.json" "$jwks_url"
x=$(tr '{' '\n' <"$work/jwks.json" | grep "\"kid\":\"$kid\"" | sed -n 's/.*"x":"\([^"]*\)".*/\1/p' | head -n 1)
[ -n "$x" ] || fail "no key with kid $kid at $jwks_url"

# An Ed25519 public key as PEM: the fixed SubjectPublicKeyInfo prefix (RFC 8410), then the 32 key bytes.
{ printf '\060\052\060\005\006\003\053\145\160\003\041\000'; b64url_decode "$x"; } >"$work/key.der"
openssl pkey -pubin -inform DER -in "$work/key.der" -out "$work/key.pem" 2>/dev/null || fail 'the published key is not an Ed25519 key'

# JWS signing input (RFC 7515 §5.2): ASCII(protected || '.' || payload).
printf '%s.%s' "$protected" "$payload" >"$work/signing-input"
b64url_decode "$signature" >"$work/signature"
openssl pkeyutl -verify -pubin -inkey "$work/key.pem" -rawin -in "$work/signing-input" -sigfile "$work/signature" >/dev/null ||
  fail 'the signature does not verify with the published key'

b64url_decode "$payload" >"$work/digest.json"
want=$(sed -n 's/.*"sha256":"\([0-9a-f]*\)".*/\1/p' "$work/digest.json")
bytes=$(sed -n 's/.*"bytes":\([0-9]*\).*/\1/p' "$work/digest.json")
got=$(sha256sum "$out" | cut -d' ' -f1)
[ "$got" = "$want" ] || fail "the body's SHA-256 is $got; the signed digest says $want"
[ "$(wc -c <"$out")" -eq "$bytes" ] || fail "the body has $(wc -c <"$out") bytes; the signed digest says $bytes"

echo "OK: $out ($bytes bytes) matches the signed digest; signature verified with key $kid from $jwks_url"
echo "signed digest: $(cat "$work/digest.json")"
