/**
 * The auth blocks of the config: `middleware.auth` (one scheme, or `type: none`) and a route's
 * `auth` (a scheme, a list of acceptable schemes, or `none`). Secrets are always `${VAR}`
 * references; the config store never holds a key, password or HMAC secret.
 */
import { z } from "zod";
import { boundedDuration, duration, headerName, isLoopbackHost, secretRef, size } from "../../http/schema-kit/fields";
import { isHmac, JWT_ALGORITHMS } from "../../http/schema-kit/jwt-algorithms";
import { unionError } from "../../http/schema-kit/paths";

/** RFC 9110 §11.5 quoted-string content we never need to escape: printable ASCII minus `"` and `\`. */
const realm = z
  .string()
  .regex(/^[\x20\x21\x23-\x5B\x5D-\x7E]{1,64}$/, "must be 1-64 printable ASCII characters without quotes or backslashes")
  .default("loom-edge")
  .describe(
    'Realm named in the WWW-Authenticate challenge (RFC 9110 §11.5). Default `loom-edge`; 1-64 printable ASCII characters, no `"` or `\\`.',
  );

const queryParam = z.string().regex(/^[A-Za-z0-9._~-]{1,64}$/, "must be 1-64 unreserved URL characters (RFC 3986 §2.3)");

/** Headers the gateway itself owns or that the proxy rewrites; an identity header must not be one of them. */
const RESERVED_HEADERS = new Set([
  "host",
  "authorization",
  "cookie",
  "content-length",
  "content-type",
  "transfer-encoding",
  "connection",
  "via",
  "forwarded",
  "x-real-ip",
  "x-request-id",
]);

/** A header the gateway sets on the upstream request from a verified identity; client copies are removed. */
const identityHeader = headerName.refine((name) => {
  const lower = name.toLowerCase();
  return !RESERVED_HEADERS.has(lower) && !lower.startsWith("x-forwarded-");
}, "must not be a header the gateway or the proxy already owns (Host, Authorization, Cookie, Content-*, Via, Forwarded, X-Forwarded-*, X-Request-Id, …)");

/** A media type or its subtype alone (RFC 7515 §4.1.9 lets `typ` omit `application/`): RFC 6838 §4.2 characters. */
const mediaType = z
  .string()
  .regex(
    /^[A-Za-z0-9][A-Za-z0-9!#$&^_.+-]{0,63}(?:\/[A-Za-z0-9][A-Za-z0-9!#$&^_.+-]{0,63})?$/,
    "must be a media type such as at+jwt or application/at+jwt",
  );

const claimName = z.string().regex(/^[A-Za-z0-9_.:-]{1,64}$/, "must be a claim name: 1-64 letters, digits, '_', '.', ':' or '-'");

const within = (min: number, max: number) => (value: number) => value >= min && value <= max;

// ---------------------------------------------------------------- api_key

export const apiKeyAuthSchema = z
  .strictObject({
    type: z.literal("api_key"),
    header: headerName.default("X-API-Key").describe("Request header that carries the key. Default `X-API-Key`. Never forwarded upstream."),
    query_param: queryParam
      .optional()
      .describe(
        "Also accept the key in this query parameter. Off unless set (query strings end up in logs and browser history); never forwarded upstream.",
      ),
    keys: z
      .array(secretRef)
      .max(100)
      .default([])
      .describe(
        "Accepted keys, each a `${VAR}` reference; default none, at most 100. Compared as SHA-256 digests in constant time. Removing a reference revokes that key; the variable's name becomes the request's `consumer`. Keys issued through the admin API (`POST /admin/consumers/{id}/keys`) are accepted besides these.",
      ),
    realm,
    consumer_headers: z
      .strictObject({
        consumer: identityHeader
          .optional()
          .describe("Header that carries the consumer upstream: the consumer's id, or the `${VAR}` name of a configured key."),
        tenant: identityHeader
          .optional()
          .describe("Header that carries the consumer's tenant upstream (consumers of the admin API only; configured keys have none)."),
      })
      .default({})
      .describe(
        "Pass the authenticated consumer and tenant upstream, e.g. `{consumer: X-Consumer-Id, tenant: X-Tenant-Id}`. Client-supplied copies of these headers are always removed, on every route. Default none.",
      ),
  })
  .superRefine((apiKey, ctx) => {
    const { consumer, tenant } = apiKey.consumer_headers;
    if (consumer && tenant && consumer.toLowerCase() === tenant.toLowerCase()) {
      ctx.addIssue({ code: "custom", path: ["consumer_headers", "tenant"], message: "must differ from consumer_headers.consumer" });
    }
    for (const [field, name] of Object.entries({ consumer, tenant })) {
      if (name && name.toLowerCase() === apiKey.header.toLowerCase()) {
        ctx.addIssue({
          code: "custom",
          path: ["consumer_headers", field],
          message: "must differ from `header`, which carries the key and is never forwarded",
        });
      }
    }
  })
  .describe("API key authentication: a key in a header (or, if configured, a query parameter).");

// ---------------------------------------------------------------- jwt

/**
 * The allow-list when `algorithms` is left out. Loom's docs write `{type: jwt, secret: ${JWT_SECRET}}`
 * and mean HS256; a public key or a JWKS keeps RS256. A `secret` beside a public key still needs
 * `algorithms` naming an HS* (refused below otherwise): the edge never guesses between key types.
 */
function defaultJwtAlgorithms(jwt: { secret?: string; public_key?: string; jwks_uri?: string }): ["HS256"] | ["RS256"] {
  return jwt.secret && !jwt.public_key && !jwt.jwks_uri ? ["HS256"] : ["RS256"];
}

export const jwtAuthSchema = z
  .strictObject({
    type: z.literal("jwt"),
    secret: secretRef
      .optional()
      .describe(
        "HMAC key for HS256/384/512 (RFC 7518 §3.2: at least as long as the hash, e.g. 32 bytes for HS256). Used for nothing else.",
      ),
    public_key: secretRef
      .optional()
      .describe(
        "PEM public key (SPKI). Its type decides the algorithms it verifies: RSA for RS*/PS*, P-256/384/521 for ES256/384/512, Ed25519 for EdDSA. Exclusive with jwks_uri.",
      ),
    jwks_uri: z
      .url({ protocol: /^https?$/ })
      .refine(
        (uri) => uri.startsWith("https:") || isLoopbackHost(URL.parse(uri)?.hostname ?? ""),
        "must be an https URL (http only for a loopback host: 127.0.0.0/8, [::1] or localhost)",
      )
      .optional()
      .describe(
        "HTTPS URL of a JSON Web Key Set (RFC 7517 §5); the token's `kid` and `alg` choose among its public keys. Exclusive with public_key. Plain http only for a loopback host (127.0.0.0/8, [::1], localhost), for a local identity provider under `npm run dev`; saved with a warning.",
      ),
    algorithms: z
      .array(z.enum(JWT_ALGORITHMS))
      .min(1)
      .optional()
      .describe(
        "Strict allow-list of `alg` values. Default [HS256] when only `secret` is set (Loom's docs write `{type: jwt, secret}` so), else [RS256]. `none` does not exist here; an algorithm without a matching key (HS* without secret, others without public_key/jwks_uri) never verifies.",
      ),
    required_claims: z
      .array(claimName)
      .max(32)
      .default([])
      .describe("Claims that must be present. Default none, at most 32 (`exp` is required anyway unless `require_exp: false`)."),
    require_exp: z
      .boolean()
      .default(true)
      .describe(
        "Refuse tokens without `exp` (they never expire, so they cannot be withdrawn). Default true; `false` admits them and is saved with a warning.",
      ),
    typ: mediaType
      .optional()
      .describe(
        "Required `typ` header of the token (RFC 8725 §3.11), e.g. `at+jwt` for OAuth access tokens (RFC 9068): compared case-insensitively, with or without the `application/` prefix (RFC 7515 §4.1.9). Unset: not checked.",
      ),
    issuer: z
      .union([z.string().min(1), z.array(z.string().min(1)).min(1)])
      .optional()
      .describe("Accepted `iss` value(s); unset: not checked."),
    audience: z
      .union([z.string().min(1), z.array(z.string().min(1)).min(1)])
      .optional()
      .describe("Accepted `aud` value(s): the token must name at least one. Unset: not checked."),
    clock_tolerance: boundedDuration(0, 300_000, "0s and 5m")
      .prefault("30s")
      .describe("Leeway for `exp`, `nbf` and `iat` against the clock. Default 30s, 0s-5m."),
    max_token_size: size
      .refine(within(256, 65_536), "must be between 256B and 64KB")
      .prefault("8KB")
      .describe("Longest token accepted; longer ones are refused before any parsing. Default 8KB, 256B-64KB."),
    header: headerName
      .default("Authorization")
      .describe(
        "Header that carries the token: `Authorization: Bearer <token>` (RFC 6750 §2.1, scheme case-insensitive), or any other header holding the bare token. Default Authorization. Never forwarded upstream.",
      ),
    query_param: queryParam
      .optional()
      .describe(
        "Also accept the token in this query parameter (RFC 6750 §2.3), only on the routes whose auth block sets it. Off unless set; never forwarded upstream.",
      ),
    realm,
    claim_headers: z
      .record(claimName, identityHeader)
      .default({})
      .describe(
        "Claims passed upstream, e.g. `{sub: X-User-Id}`: string, number and boolean claims only. Client-supplied copies of these headers are always removed. Default none.",
      ),
    jwks_timeout: boundedDuration(100, 30_000, "100ms and 30s")
      .prefault("5s")
      .describe("Time allowed for a JWKS download. Default 5s, 100ms-30s."),
    jwks_cooldown: boundedDuration(1_000, 3_600_000, "1s and 1h")
      .prefault("30s")
      .describe(
        "Least time between two JWKS downloads of an isolate (unknown `kid`, expiry, or after a failed first download). Default 30s, 1s-1h.",
      ),
    jwks_cache_max_age: boundedDuration(60_000, 86_400_000, "1m and 24h")
      .prefault("10m")
      .describe(
        "Age after which the JWKS is downloaded again. If that download fails the cached keys keep serving, for at most `jwks_stale_if_error` more. Default 10m, 1m-24h.",
      ),
    jwks_stale_if_error: boundedDuration(0, 604_800_000, "0s and 7d")
      .prefault("6h")
      .describe(
        "How long past `jwks_cache_max_age` cached keys keep serving while downloads fail (RFC 5861 §4's stale-if-error); after it, tokens that need the JWKS are refused with 401 until a download succeeds. Default 6h, 0s-7d.",
      ),
  })
  .transform((jwt) => ({ ...jwt, algorithms: jwt.algorithms ?? defaultJwtAlgorithms(jwt) }))
  .superRefine((jwt, ctx) => {
    if (!jwt.secret && !jwt.public_key && !jwt.jwks_uri)
      ctx.addIssue({ code: "custom", message: "jwt auth needs secret, public_key or jwks_uri" });
    if (jwt.public_key && jwt.jwks_uri)
      ctx.addIssue({ code: "custom", path: ["jwks_uri"], message: "set either public_key or jwks_uri, not both" });
    const hmac = jwt.algorithms.some(isHmac);
    if (hmac && !jwt.secret) ctx.addIssue({ code: "custom", path: ["algorithms"], message: "HMAC algorithms need `secret`" });
    if (!hmac && jwt.secret)
      ctx.addIssue({
        code: "custom",
        path: ["secret"],
        message: "`secret` is only used by HS256/384/512, and algorithms lists none of them",
      });
  })
  .describe("JSON Web Token (RFC 7519) authentication: a signed JWS in the Authorization header.");

// ---------------------------------------------------------------- basic

export const basicAuthSchema = z
  .strictObject({
    type: z.literal("basic"),
    username: z
      .string()
      .regex(/^[^:\x00-\x1F\x7F]{1,128}$/, "must be 1-128 characters without ':' or control characters (RFC 7617 §2)")
      .describe("The user-id; not a secret. 1-128 characters, no colon."),
    password: secretRef.describe("`${VAR}` reference to the password. Compared in constant time."),
    realm,
  })
  .describe("HTTP Basic authentication (RFC 7617), UTF-8 credentials.");

// ---------------------------------------------------------------- mtls

const fingerprint = z
  .string()
  .regex(
    /^(?:[0-9A-Fa-f]{64}|(?:[0-9A-Fa-f]{2}:){31}[0-9A-Fa-f]{2})$/,
    "must be a SHA-256 fingerprint: 64 hex digits, optionally colon-separated",
  )
  .transform((value) => value.replaceAll(":", "").toLowerCase());

export const mtlsAuthSchema = z
  .strictObject({
    type: z.literal("mtls"),
    fingerprints: z
      .array(fingerprint)
      .max(1000)
      .default([])
      .describe(
        "Accepted client certificates by SHA-256 fingerprint (request.cf.tlsClientAuth.certFingerprintSHA256). Default: any certificate the zone's mTLS CA verified. At most 1000.",
      ),
    subject_header: identityHeader
      .optional()
      .describe("Pass the certificate's subject DN (RFC 2253) upstream in this header. Client copies are always removed."),
    fingerprint_header: identityHeader
      .optional()
      .describe("Pass the certificate's SHA-256 fingerprint upstream in this header. Client copies are always removed."),
  })
  .describe("Client certificate (mTLS) verified by Cloudflare's edge: presented, verified, not revoked.");

// ---------------------------------------------------------------- choosing per route

const noAuthSchema = z.strictObject({ type: z.literal("none") }).describe("No authentication.");

/** One scheme that can authenticate a request. */
export const schemeSchema = z.discriminatedUnion("type", [apiKeyAuthSchema, jwtAuthSchema, basicAuthSchema, mtlsAuthSchema]);

/** `middleware.auth`: the scheme every route without its own `auth` uses. */
export const authSchema = z
  .discriminatedUnion("type", [apiKeyAuthSchema, jwtAuthSchema, basicAuthSchema, mtlsAuthSchema, noAuthSchema])
  .describe("Authentication for every route that sets no `auth` of its own: api_key, jwt, basic, mtls or none.");

/** A route's `auth`: replaces `middleware.auth` for that route. */
export const routeAuthSchema = z
  .union(
    [
      z.literal("none"),
      authSchema,
      z.array(schemeSchema).min(1).max(4).describe("Acceptable schemes, tried in order: one passing is enough. 1-4 entries."),
    ],
    {
      error: unionError(
        "must be `none`, one scheme block ({type: api_key | jwt | basic | mtls | none, …}) or a list of 1-4 scheme blocks (none excluded)",
      ),
    },
  )
  .describe("This route's authentication, replacing middleware.auth: `none`, one scheme block, or a list of acceptable scheme blocks.");

export type ApiKeyAuthConfig = z.output<typeof apiKeyAuthSchema>;
export type JwtAuthConfig = z.output<typeof jwtAuthSchema>;
export type BasicAuthConfig = z.output<typeof basicAuthSchema>;
export type MtlsAuthConfig = z.output<typeof mtlsAuthSchema>;
export type SchemeConfig = z.output<typeof schemeSchema>;
export type AuthConfig = z.output<typeof authSchema>;
export type RouteAuthConfig = z.output<typeof routeAuthSchema>;
