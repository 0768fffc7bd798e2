/**
 * The JWS algorithms JWT auth accepts (RFC 7518 §3.1, EdDSA from RFC 8037 §3.1). Read by the
 * auth policy on the request path and by its schema, so they live apart from zod.
 */
export const JWT_ALGORITHMS = [
  "HS256",
  "HS384",
  "HS512",
  "RS256",
  "RS384",
  "RS512",
  "PS256",
  "PS384",
  "PS512",
  "ES256",
  "ES384",
  "ES512",
  "EdDSA",
] as const;
export type JwtAlgorithm = (typeof JWT_ALGORITHMS)[number];

/** HS256/384/512: keyed with a shared secret (RFC 7518 §3.2), not a public key. */
export const isHmac = (alg: JwtAlgorithm): boolean => alg.startsWith("HS");
