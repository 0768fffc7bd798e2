/**
 * JSON Web Tokens (RFC 7519) signed as a compact JWS (RFC 7515), verified with jose.
 *
 * The key is chosen by the configuration and by the key's own type, never by the token:
 * - HS256/384/512 use `secret`, and only it (RFC 7518 §3.2: at least as long as the hash);
 * - other algorithms use `public_key` (when its SPKI type fits the `alg`, see public-key.ts) or
 *   the JWKS (`kid` and `alg` select among its public keys; jose never uses a symmetric JWK);
 * - `jku`, `x5u`, `x5c` and an embedded `jwk` are never read (RFC 8725 §3.10), so a token
 *   cannot bring its own key; `kid` is only ever compared with the key ids of the JWKS.
 * `algorithms` is a strict allow-list checked before any key is looked up; `none` is not an
 * algorithm here (RFC 8725 §3.1, §3.2). Critical header parameters (`crit`, RFC 7515 §4.1.11)
 * are refused, as is anything but a three-part compact JWS (a JWE has five parts).
 * Claims: `exp` and `nbf` (jose), `iat` not in the future, all with `clock_tolerance`;
 * `iss`, `aud` and `required_claims` when configured.
 */
import { errors, jwtVerify, importSPKI, type JWTPayload, type JWTVerifyGetKey } from "jose";
import { resolveSecret, secretName, SecretUnavailableError } from "../../config/secrets";
import { publicKeyAlgorithms } from "./public-key";
import { isHmac, type JwtAlgorithm, type JwtAuthConfig } from "./schema";
import { admit, AuthRejection, headerSafe, realmParam, refuse, UnusableSecretError, type Identity, type Scheme } from "./scheme";

/** Three base64url parts, the last one (the signature) non-empty: no JWE, no unsecured JWT. */
const COMPACT_JWS = /^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+$/;
/** RFC 6750 §2.1; the scheme name is case-insensitive (RFC 9110 §11.1). */
const BEARER = /^Bearer(?: +(.*))?$/i;
/** RFC 7518 §3.2: an HMAC key at least as long as the hash output. */
const HMAC_KEY_BYTES: Partial<Record<JwtAlgorithm, number>> = { HS256: 32, HS384: 48, HS512: 64 };

/** A short reason for the audit log from what jose reports. */
function reasonOf(error: errors.JOSEError): string {
  if (error instanceof errors.JWTExpired) return "expired";
  if (error instanceof errors.JWTClaimValidationFailed) {
    if (error.claim === "nbf") return "not_yet_valid";
    return error.reason === "missing" ? "missing_claim" : `claim_mismatch:${error.claim}`;
  }
  if (error instanceof errors.JOSEAlgNotAllowed) return "algorithm_not_allowed";
  if (error instanceof errors.JWKSNoMatchingKey || error instanceof errors.JWKSMultipleMatchingKeys) return "unknown_key";
  if (error instanceof errors.JWSSignatureVerificationFailed) return "bad_signature";
  if (error instanceof errors.JOSENotSupported) return "unsupported_header";
  if (error instanceof errors.JWKSInvalid) return "jwks_invalid";
  return "malformed_token";
}

export interface JwtSchemeOptions {
  /** The JWKS key lookup (remoteKeySet), shared by the routes that name the same jwks_uri. */
  jwks?: JWTVerifyGetKey;
}

export function jwtScheme(config: JwtAuthConfig, options: JwtSchemeOptions = {}): Scheme {
  const { secret, public_key: publicKey } = config;
  const jwks = options.jwks;
  // An algorithm no configured key can verify is dropped from the allow-list (RS256 with only a secret).
  const algorithms = config.algorithms.filter((alg) => (isHmac(alg) ? secret !== undefined : publicKey !== undefined || jwks !== undefined));
  const toleranceSeconds = Math.floor(config.clock_tolerance / 1000);
  const bareTokenHeader = config.header.toLowerCase() !== "authorization";
  const claimHeaders = Object.entries(config.claim_headers);
  const realm = realmParam(config.realm);

  let hmacCache: { secret: string; keys: Map<JwtAlgorithm, CryptoKey> } | undefined;
  let pemCache: { pem: string; algorithms: JwtAlgorithm[]; keys: Map<JwtAlgorithm, CryptoKey> } | undefined;

  async function hmacKey(ref: string, alg: JwtAlgorithm, env: Record<string, unknown>): Promise<CryptoKey> {
    const value = resolveSecret(ref, env);
    if (hmacCache?.secret !== value) hmacCache = { secret: value, keys: new Map() };
    let key = hmacCache.keys.get(alg);
    if (!key) {
      const bytes = new TextEncoder().encode(value);
      const needed = HMAC_KEY_BYTES[alg]!;
      if (bytes.byteLength < needed) throw new UnusableSecretError(secretName(ref), `${alg} needs at least ${needed} bytes (RFC 7518 §3.2)`);
      key = await crypto.subtle.importKey("raw", bytes, { name: "HMAC", hash: `SHA-${alg.slice(2)}` }, false, ["verify"]);
      hmacCache.keys.set(alg, key);
    }
    return key;
  }

  async function pemKey(ref: string, alg: JwtAlgorithm, env: Record<string, unknown>): Promise<CryptoKey> {
    const pem = resolveSecret(ref, env);
    if (pemCache?.pem !== pem) {
      try {
        pemCache = { pem, algorithms: publicKeyAlgorithms(pem), keys: new Map() };
      } catch (error) {
        throw new UnusableSecretError(secretName(ref), error instanceof Error ? error.message : "unreadable public key");
      }
    }
    if (!pemCache.algorithms.includes(alg)) throw new AuthRejection("key_type_mismatch");
    let key = pemCache.keys.get(alg);
    if (!key) {
      key = await importSPKI(pem, alg);
      pemCache.keys.set(alg, key);
    }
    return key;
  }

  /** The token and whether the client sent one, from the header or (only if configured) the query. */
  function presentedToken(request: Request): string | undefined {
    const value = request.headers.get(config.header);
    if (value !== null) {
      const bearer = BEARER.exec(value);
      if (bearer) return (bearer[1] ?? "").trim();
      if (bareTokenHeader) return value.trim();
      // Authorization carries another scheme (Basic …): not a token.
    }
    return config.query_param ? (new URL(request.url).searchParams.get(config.query_param) ?? undefined) : undefined;
  }

  function upstreamHeaders(payload: JWTPayload): Identity["headers"] {
    const headers: Identity["headers"] = [];
    for (const [claim, header] of claimHeaders) {
      const value = payload[claim];
      if (typeof value === "string" || typeof value === "number" || typeof value === "boolean") headers.push([header, headerSafe(String(value))]);
    }
    return headers;
  }

  return {
    name: "jwt",
    // RFC 6750 §3.1: no error code when the request carried no token; invalid_token, nothing more, for a bad one.
    challenge: (presented) => (presented ? `Bearer ${realm}, error="invalid_token"` : `Bearer ${realm}`),
    async verify(request, env) {
      const token = presentedToken(request);
      if (token === undefined) return refuse("missing_credentials", false);
      if (token.length > config.max_token_size) return refuse("token_too_large");
      if (!COMPACT_JWS.test(token)) return refuse(token.split(".").length === 5 ? "encrypted_token" : "malformed_token");
      const key: JWTVerifyGetKey = (header, jws) => {
        // jose has checked `alg` against `algorithms` before it asks for a key.
        const alg = header.alg as JwtAlgorithm;
        if (isHmac(alg)) return hmacKey(secret!, alg, env);
        if (publicKey) return pemKey(publicKey, alg, env);
        return jwks!(header, jws);
      };
      let payload: JWTPayload;
      try {
        ({ payload } = await jwtVerify(token, key, {
          algorithms,
          issuer: config.issuer,
          audience: config.audience,
          requiredClaims: config.required_claims,
          clockTolerance: toleranceSeconds,
        }));
      } catch (error) {
        if (error instanceof SecretUnavailableError) throw error;
        if (error instanceof AuthRejection) return refuse(error.reason);
        if (error instanceof errors.JOSEError) return refuse(reasonOf(error));
        throw error;
      }
      // jose checks `iat` only with maxTokenAge; a token issued in the future is not valid yet.
      if (payload.iat !== undefined && !(typeof payload.iat === "number" && payload.iat <= Date.now() / 1000 + toleranceSeconds)) {
        return refuse("issued_in_future");
      }
      return admit({ jwt: payload, headers: upstreamHeaders(payload) });
    },
  };
}
