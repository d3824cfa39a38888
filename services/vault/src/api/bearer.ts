/**
 * The token of an `Authorization: Bearer <token>` header, or undefined. The one parser of the
 * header: authentication and the rate limiter must agree on which token a request carries, or a
 * spelling one accepts and the other does not (two spaces, a trailing tab) moves a request to
 * another bucket than the principal it is served as.
 */
export function bearerToken(authorization: string | undefined): string | undefined {
  if (!authorization) return undefined;
  return /^Bearer[ \t]+([^\s]+)[ \t]*$/i.exec(authorization)?.[1];
}
