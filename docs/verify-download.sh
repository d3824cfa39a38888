#!/usr/bin/env bash
# Downloads a vault export link once and verifies it with standard tools only (curl, openssl 3,
# sha256sum, base64, sed): the Ed25519 signature of the `Vault-Signature` JWS with a key YOU name,
# then the body's SHA-256 and length against the signed digest.
#
#   docs/verify-download.sh --jwks <key-set-url> <download-url> [output-file]
#   docs/verify-download.sh --kid <key-id> <download-url> [output-file]
#
# The key must come from you, not from the response being checked: a tampered response can name a
# key set of its own (`Vault-Signing-Key`) and sign with it. With --jwks, the key is taken from the
# key set at that URL (the vault's `/.well-known/jwks.json`, e.g. as the controller publishes it),
# and a response naming another key set is refused. With --kid, the key may be fetched from the
# URL the response names, but it is used only if its id, the first 16 hex digits of the SHA-256 of
# its 32 public-key bytes (as the vault computes it), is the id you gave. Both may be given.
#
# Nothing is written outside the current directory: the body is kept in output-file, a plain file
# name (default: the name the server sends, if it is a plain file name), never over an existing
# file, and only once it verified (a body that does not is kept as output-file.unverified, the
# link being spent); the scratch files live in a directory here that is removed on exit.
# Exits 0 when everything verifies, 1 when anything does not, 2 on a usage error.
set -euo pipefail

usage() { echo "usage: verify-download.sh (--jwks <key-set-url> | --kid <key-id>)... <download-url> [output-file]" >&2; exit 2; }
keep_as=''
# A link works once: a body that does not verify is kept apart, as <output-file>.unverified, never under the name of one that did.
fail() {
  echo "FAILED: $*" >&2
  if [ -n "$keep_as" ] && (set -o noclobber; cat "$work/body" >"$keep_as.unverified") 2>/dev/null; then echo "the body is kept as $keep_as.unverified" >&2; fi
  exit 1
}

jwks_given='' kid_given=''
while [ $# -gt 0 ]; do
  case $1 in
    --jwks) [ $# -ge 2 ] || usage; jwks_given=$2; shift 2 ;;
    --jwks=*) jwks_given=${1#*=}; shift ;;
    --kid) [ $# -ge 2 ] || usage; kid_given=$2; shift 2 ;;
    --kid=*) kid_given=${1#*=}; shift ;;
    --) shift; break ;;
    -*) usage ;;
    *) break ;;
  esac
done
[ $# -ge 1 ] && [ $# -le 2 ] || usage
[ -n "$jwks_given$kid_given" ] || { echo 'verify-download.sh: name the key to trust with --jwks <key-set-url> or --kid <key-id>; the response cannot name its own' >&2; usage; }
case $jwks_given in '' | http://* | https://*) ;; *) fail "--jwks must be an http(s) URL: $jwks_given" ;; esac
[ -z "$kid_given" ] || [[ $kid_given =~ ^[0-9a-f]{16}$ ]] || fail "--kid must be a vault key id, 16 hex digits: $kid_given"
url=$1

# A plain file name in the current directory: no directory part, no leading dot, nothing there yet.
plain_name() { [[ $1 =~ ^[A-Za-z0-9_][A-Za-z0-9._-]{0,127}$ ]]; }
taken() { [ -e "$1" ] || [ -L "$1" ]; }
if [ $# -eq 2 ]; then
  plain_name "$2" || fail "output-file must be a plain file name in the current directory: $2"
  ! taken "$2" || fail "$2 already exists: give another output-file"
fi

work=$(mktemp -d ./.verify-download.XXXXXX)
trap 'rm -rf "$work"' EXIT

# base64url (RFC 4648 §5, unpadded) to bytes
b64url_decode() {
  local s
  s=$(printf '%s' "$1" | tr '_-' '/+')
  case $(( ${#s} % 4 )) in 2) s="$s==" ;; 3) s="$s=" ;; esac
  printf '%s' "$s" | base64 -d
}
header() { { grep -i "^$1:" "$work/headers" || true; } | tail -n 1 | sed 's/^[^:]*: *//' | tr -d '\r'; }
fetch() { curl -sS --proto '=http,https' "$@"; }

status=$(fetch -D "$work/headers" -o "$work/body" -w '%{http_code}' "$url")
[ "$status" = 200 ] || fail "the link answered HTTP $status: $(head -c 300 "$work/body")"

if [ $# -eq 2 ]; then
  out=$2
else
  out=$(header content-disposition | sed -n 's/.*filename="\([^"]*\)".*/\1/p')
  out=${out:-download.json}
  plain_name "$out" || fail "the server sent the file name \"$out\", which is not a plain file name: nothing saved; give output-file"
fi
! taken "$out" || fail "$out already exists: give another output-file"
keep_as=$out

jws=$(header vault-signature)
[ -n "$jws" ] || fail 'no Vault-Signature header'
IFS=. read -r protected payload signature <<<"$jws"
b64url_decode "$protected" >"$work/protected.json"
grep -q '"alg":"EdDSA"' "$work/protected.json" || fail "not an EdDSA signature: $(cat "$work/protected.json")"
kid=$(sed -n 's/.*"kid":"\([^"]*\)".*/\1/p' "$work/protected.json")
[[ $kid =~ ^[0-9a-f]{16}$ ]] || fail "the signature names no vault key id: $(cat "$work/protected.json")"
[ -z "$kid_given" ] || [ "$kid" = "$kid_given" ] || fail "the signature names key $kid, not the key $kid_given you gave"

# The key set: the one given, or (with --kid alone) the one the response names, trusted below only
# for a key whose id is the one given.
named=$(header vault-signing-key)
if [ -n "$jwks_given" ]; then
  [ -z "$named" ] || [ "$named" = "$jwks_given" ] || fail "the response names the key set $named, not the $jwks_given you gave"
  jwks_url=$jwks_given
else
  [ -n "$named" ] || fail 'no Vault-Signing-Key header, and no --jwks'
  jwks_url=$named
fi
fetch -f -o "$work/jwks.json" "$jwks_url" || fail "cannot fetch the key set at $jwks_url"
x=$(tr '{' '\n' <"$work/jwks.json" | grep -F "\"kid\":\"$kid\"" | sed -n 's/.*"x":"\([^"]*\)".*/\1/p' | head -n 1)
[ -n "$x" ] || fail "no key with kid $kid at $jwks_url"
b64url_decode "$x" >"$work/key.raw"
[ "$(wc -c <"$work/key.raw")" -eq 32 ] || fail "the key $kid at $jwks_url is not an Ed25519 public key"
# The id the key's own bytes give: a key set cannot pass another key off under the id given.
[ "$(sha256sum "$work/key.raw" | cut -c1-16)" = "$kid" ] || fail "the key at $jwks_url labelled $kid is another key (its id is $(sha256sum "$work/key.raw" | cut -c1-16))"

# An Ed25519 public key as PEM: the fixed SubjectPublicKeyInfo prefix (RFC 8410), then the 32 key bytes.
{ printf '\060\052\060\005\006\003\053\145\160\003\041\000'; cat "$work/key.raw"; } >"$work/key.der"
openssl pkey -pubin -inform DER -in "$work/key.der" -out "$work/key.pem" 2>/dev/null || fail 'the key is not an Ed25519 key'

# JWS signing input (RFC 7515 §5.2): ASCII(protected || '.' || payload).
printf '%s.%s' "$protected" "$payload" >"$work/signing-input"
b64url_decode "$signature" >"$work/signature"
openssl pkeyutl -verify -pubin -inkey "$work/key.pem" -rawin -in "$work/signing-input" -sigfile "$work/signature" >/dev/null 2>&1 ||
  fail "the signature does not verify with key $kid"

b64url_decode "$payload" >"$work/digest.json"
want=$(sed -n 's/.*"sha256":"\([0-9a-f]*\)".*/\1/p' "$work/digest.json")
bytes=$(sed -n 's/.*"bytes":\([0-9]*\).*/\1/p' "$work/digest.json")
got=$(sha256sum "$work/body" | cut -d' ' -f1)
[ "$got" = "$want" ] || fail "the body's SHA-256 is $got; the signed digest says $want"
[ "$(wc -c <"$work/body")" -eq "$bytes" ] || fail "the body has $(wc -c <"$work/body") bytes; the signed digest says $bytes"

# Kept only once it verified; noclobber: never over a file that appeared meanwhile.
(set -o noclobber; cat "$work/body" >"$out") || fail "cannot write $out"
echo "OK: $out ($bytes bytes) matches the signed digest; signature verified with key $kid from $jwks_url"
echo "signed digest: $(cat "$work/digest.json")"
