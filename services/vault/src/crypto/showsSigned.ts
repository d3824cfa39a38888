/**
 * True when `shown` is the signed document `signed` or a selection of it, as a GraphQL answer shows
 * a signed document beside its JWS: every field it has equal, lists item for item. `__typename`,
 * which GraphQL clients add to every object, is not part of what was signed, and a null shown for
 * a field the document does not have is how GraphQL answers for it.
 *
 * Imports nothing, so the console runs this very check in the browser (`@pdv/vault/shows-signed`).
 */
export function showsSigned(signed: unknown, shown: unknown): boolean {
  if (Array.isArray(shown))
    return Array.isArray(signed) && signed.length === shown.length && shown.every((v, i) => showsSigned(signed[i], v));
  if (typeof shown === 'object' && shown !== null) {
    if (typeof signed !== 'object' || signed === null || Array.isArray(signed)) return false;
    return Object.entries(shown).every(
      ([k, v]) =>
        k === '__typename' ||
        (Object.hasOwn(signed, k) ? showsSigned((signed as Record<string, unknown>)[k], v) : v === null),
    );
  }
  return Object.is(signed, shown);
}
