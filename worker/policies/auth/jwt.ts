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
 * are refused, as is anything but a three-part compact JWS (a JWE has five parts) whose parts
 * are canonical base64url: no padding, no other characters, and zero unused bits in the last
 * character (RFC 7515 §2, RFC 4648 §3.5), so that no token has a second spelling that verifies.
 * Claims: `exp` is required unless `require_exp: false`; `exp` and `nbf` (jose), `iat` not in
 * the future, all with `clock_tolerance`; `iss`, `aud`, `required_claims` and the `typ` header
 * (RFC 8725 §3.11, compared as jose does: case-insensitively, `application/` optional as RFC
 * 7515 §4.1.9 allows) when configured.
 *
 * Verified tokens are kept per scheme (as Envoy's jwt_cache), at most VERIFIED_TOKENS of them and
 * VERIFIED_CHARS of token text (oldest out first), for at most VERIFIED_FOR_MS, so that a client sending the same token again does not pay a
 * signature verification per request. A kept token is admitted only while its `exp`/`nbf`
 * still hold and the key it was verified with is still the one its header selects: a secret
 * or PEM key that changed, or a JWKS refreshed without that key, sends it through full
 * verification again (and so to a 401).
 */
import {
  errors,
  jwtVerify,
  importSPKI,
  type FlattenedJWSInput,
  type JWTHeaderParameters,
  type JWTPayload,
  type JWTVerifyGetKey,
} from "jose";
import { resolveSecret, secretName, SecretUnavailableError } from "../../http/schema-kit/secrets";
import type { RemoteKeySet } from "./jwks";
import { publicKeyAlgorithms } from "./public-key";
import { isHmac, type JwtAlgorithm } from "../../http/schema-kit/jwt-algorithms";
import type { RefusalReason } from "./refusal";
import type { JwtAuthConfig } from "./schema";
import { admit, AuthRejection, headerSafe, refuse, UnusableSecretError, type Identity, type Scheme } from "./scheme";

/** Three base64url parts, the last one (the signature) non-empty: no JWE, no unsecured JWT. */
const COMPACT_JWS = /^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+$/;
const BASE64URL_ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
/** RFC 6750 §2.1; the scheme name is case-insensitive (RFC 9110 §11.1). */
const BEARER = /^Bearer(?: +(.*))?$/i;
/** RFC 7518 §3.2: an HMAC key at least as long as the hash output. */
const HMAC_KEY_BYTES: Partial<Record<JwtAlgorithm, number>> = { HS256: 32, HS384: 48, HS512: 64 };

/**
 * A base64url segment (alphabet already checked) that is the one encoding of its bytes: RFC 4648
 * §3.5 lets decoders ignore the unused low bits of the last character, so "AB" and "AA" decode
 * alike; RFC 7515 §2 requires them zero. A length of 1 mod 4 encodes no whole byte.
 */
function canonicalBase64url(segment: string): boolean {
  const rest = segment.length % 4;
  if (rest === 0) return true;
  if (rest === 1) return false;
  const last = BASE64URL_ALPHABET.indexOf(segment[segment.length - 1]!);
  return (last & (rest === 2 ? 0b1111 : 0b11)) === 0;
}

/** A compact JWS in the one spelling this gateway verifies; anything else is `malformed_token`. */
function canonicalCompactJws(token: string): boolean {
  if (!COMPACT_JWS.test(token)) return false;
  const first = token.indexOf(".");
  const second = token.indexOf(".", first + 1);
  return (
    canonicalBase64url(token.slice(0, first)) &&
    canonicalBase64url(token.slice(first + 1, second)) &&
    canonicalBase64url(token.slice(second + 1))
  );
}

/** A short reason for the audit log from what jose reports. */
function reasonOf(error: errors.JOSEError): RefusalReason {
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

/** How many verified tokens a scheme keeps, and for how long at most (also never past `exp`). */
const VERIFIED_TOKENS = 1000;
/** Bounds the memory the kept tokens take, whatever `max_token_size` allows: 1 MiB of text (2 bytes a character at most). */
const VERIFIED_CHARS = 512 * 1024;
const VERIFIED_FOR_MS = 60_000;

interface Verified {
  header: JWTHeaderParameters;
  payload: JWTPayload;
  /** The key that verified the signature: the token is kept only while its header still selects it. */
  key: unknown;
  /** Not admitted from the cache after this (ms). */
  until: number;
}

/** The compact JWS's parts as jose hands them to a key lookup. */
function flattened(token: string): FlattenedJWSInput {
  const [protectedHeader, payload, signature] = token.split(".");
  return { protected: protectedHeader, payload: payload!, signature: signature! };
}

export interface JwtSchemeOptions {
  /** The JWKS key lookup (remoteKeySet), shared by the routes that name the same jwks_uri. */
  jwks?: RemoteKeySet;
}

export function jwtScheme(config: JwtAuthConfig, options: JwtSchemeOptions = {}): Scheme {
  const { secret, public_key: publicKey } = config;
  const jwks = options.jwks;
  // An algorithm no configured key can verify is dropped from the allow-list (RS256 with only a secret).
  const algorithms = config.algorithms.filter((alg) =>
    isHmac(alg) ? secret !== undefined : publicKey !== undefined || jwks !== undefined,
  );
  const toleranceSeconds = Math.floor(config.clock_tolerance / 1000);
  const bareTokenHeader = config.header.toLowerCase() !== "authorization";
  const claimHeaders = Object.entries(config.claim_headers);
  // RFC 7519 §4.1.4 makes `exp` optional, but a token that never expires cannot be withdrawn
  // short of rotating the key that signed it.
  const requiredClaims =
    config.require_exp && !config.required_claims.includes("exp") ? [...config.required_claims, "exp"] : config.required_claims;

  let hmacCache: { secret: string; keys: Map<JwtAlgorithm, CryptoKey> } | undefined;
  let pemCache: { pem: string; algorithms: JwtAlgorithm[]; keys: Map<JwtAlgorithm, CryptoKey> } | undefined;

  async function hmacKey(ref: string, alg: JwtAlgorithm, env: Record<string, unknown>): Promise<CryptoKey> {
    const value = resolveSecret(ref, env);
    if (hmacCache?.secret !== value) hmacCache = { secret: value, keys: new Map() };
    let key = hmacCache.keys.get(alg);
    if (!key) {
      const bytes = new TextEncoder().encode(value);
      const needed = HMAC_KEY_BYTES[alg]!;
      if (bytes.byteLength < needed)
        throw new UnusableSecretError(secretName(ref), `${alg} needs at least ${needed} bytes (RFC 7518 §3.2)`);
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

  /** Verified tokens, oldest first (a Map keeps insertion order), and the characters they hold. */
  const verified = new Map<string, Verified>();
  let keptChars = 0;

  /** jose's `exp`/`nbf` checks (types were checked when the token was verified), at `now` ms. */
  function timeClaimsHold(payload: JWTPayload, now: number): boolean {
    const seconds = Math.floor(now / 1000);
    return (
      !(payload.exp !== undefined && payload.exp <= seconds - toleranceSeconds) &&
      !(payload.nbf !== undefined && payload.nbf > seconds + toleranceSeconds)
    );
  }

  /** The kept verification of `token`, if it still stands. */
  async function stillVerified(token: string, key: JWTVerifyGetKey): Promise<Verified | undefined> {
    const entry = verified.get(token);
    if (!entry) return undefined;
    const now = Date.now();
    if (now < entry.until && timeClaimsHold(entry.payload, now)) {
      try {
        if ((await key(entry.header, flattened(token))) === entry.key) return entry;
      } catch {
        // The key is gone (a JWKS without it): full verification answers.
      }
    }
    forget(token);
    return undefined;
  }

  function forget(token: string): void {
    if (verified.delete(token)) keptChars -= token.length;
  }

  function keep(token: string, entry: Verified): void {
    if (token.length > VERIFIED_CHARS) return;
    forget(token);
    keptChars += token.length;
    verified.set(token, entry);
    for (const oldest of verified.keys()) {
      if (verified.size <= VERIFIED_TOKENS && keptChars <= VERIFIED_CHARS) break;
      forget(oldest);
    }
  }

  function upstreamHeaders(payload: JWTPayload): Identity["headers"] {
    const headers: Identity["headers"] = [];
    for (const [claim, header] of claimHeaders) {
      const value = payload[claim];
      if (typeof value === "string" || typeof value === "number" || typeof value === "boolean")
        headers.push([header, headerSafe(String(value))]);
    }
    return headers;
  }

  return {
    name: "jwt",
    realm: config.realm,
    async verify(request, env, ctx) {
      const token = presentedToken(request);
      if (token === undefined) return refuse("missing_credentials", false);
      if (token.length > config.max_token_size) return refuse("token_too_large");
      const key: JWTVerifyGetKey = (header, jws) => {
        // jose has checked `alg` against `algorithms` before it asks for a key.
        const alg = header.alg as JwtAlgorithm;
        if (isHmac(alg)) return hmacKey(secret!, alg, env);
        if (publicKey) return pemKey(publicKey, alg, env);
        return jwks!(header, jws, ctx);
      };
      // Only tokens that passed every check below are kept, under their exact text: a second
      // spelling of a kept token (non-canonical base64url) is another key and is refused below.
      const kept = await stillVerified(token, key);
      if (kept) return admit({ jwt: kept.payload, headers: upstreamHeaders(kept.payload) });
      if (!canonicalCompactJws(token)) return refuse(token.split(".").length === 5 ? "encrypted_token" : "malformed_token");
      let usedKey: unknown;
      let result: { payload: JWTPayload; protectedHeader: JWTHeaderParameters };
      try {
        result = await jwtVerify(token, async (header, jws) => (usedKey = await key(header, jws)), {
          algorithms,
          issuer: config.issuer,
          audience: config.audience,
          requiredClaims,
          typ: config.typ,
          clockTolerance: toleranceSeconds,
        });
      } catch (error) {
        if (error instanceof SecretUnavailableError) throw error;
        if (error instanceof AuthRejection) return refuse(error.reason);
        if (error instanceof errors.JOSEError) return refuse(reasonOf(error));
        throw error;
      }
      const { payload, protectedHeader } = result;
      // jose checks `iat` only with maxTokenAge; a token issued in the future is not valid yet.
      if (payload.iat !== undefined && !(typeof payload.iat === "number" && payload.iat <= Date.now() / 1000 + toleranceSeconds)) {
        return refuse("issued_in_future");
      }
      const now = Date.now();
      keep(token, {
        header: protectedHeader,
        payload,
        key: usedKey,
        until: Math.min(
          now + VERIFIED_FOR_MS,
          payload.exp === undefined ? Number.POSITIVE_INFINITY : (payload.exp + toleranceSeconds) * 1000,
        ),
      });
      return admit({ jwt: payload, headers: upstreamHeaders(payload) });
    },
  };
}
