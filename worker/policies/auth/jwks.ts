/**
 * A remote JSON Web Key Set (RFC 7517 §5), cached per isolate. jose's createLocalJWKSet picks
 * and imports the key (by `kid`, `alg`, `kty`, `crv`, `use`; public keys only); this module
 * decides when to download. jose's createRemoteJWKSet is not used because once its cache has
 * expired, a failed download fails every verification, and on Workers each request would wait
 * for the download timeout again: an outage of the identity provider would become ours.
 *
 * - First use: download. Concurrent requests share one download, which the request that
 *   started it keeps alive with `ctx.waitUntil`, so that request's client going away does not
 *   leave the others waiting or failing (http/shared-work.ts). After a failed first
 *   download, no new attempt for `cooldownMs`; meanwhile verification fails closed (401).
 * - Older than `maxAgeMs`: download again, at most once per `cooldownMs`; if that fails the
 *   cached keys keep serving (stale-if-error, RFC 5861 §4), and the failure is logged, for at
 *   most `staleIfErrorMs` more: keys older than both are not used (401 `jwks_unavailable`,
 *   fail closed), because a key the provider withdrew (a leaked one) must stop verifying even
 *   while the provider cannot be reached.
 * - Unknown `kid`: download again, at most once per `cooldownMs`, so tokens with made-up key
 *   ids cannot make the gateway hammer the identity provider.
 * - Downloads time out after `timeoutMs`, never follow redirects, and read at most 256 KiB.
 */
import { createLocalJWKSet, errors, type FlattenedJWSInput, type JSONWebKeySet, type JWTHeaderParameters } from "jose";
import { contentLength, readAtMost } from "../../http/body";
import { sharedWork, type WaitUntil } from "../../http/shared-work";
import { AuthRejection } from "./scheme";
import { errorName, log } from "../../observability/logger";

/** The runtime's fetch, or a stand-in for tests. */
export type JwksFetch = (url: string, init: RequestInit) => Promise<Response>;

export interface RemoteKeySetOptions {
  timeoutMs: number;
  cooldownMs: number;
  maxAgeMs: number;
  staleIfErrorMs: number;
  fetch?: JwksFetch;
}

/** The key for a token's header from the JWKS; `ctx` is the request's (shared downloads). */
export type RemoteKeySet = (header: JWTHeaderParameters, token: FlattenedJWSInput, ctx?: WaitUntil) => Promise<CryptoKey>;

const MAX_JWKS_BYTES = 256 * 1024;

async function readCapped(response: Response, limit: number): Promise<string> {
  const tooLarge = () => new RangeError("JWKS too large");
  if ((contentLength(response.headers) ?? 0) > limit) throw tooLarge();
  return response.body ? new TextDecoder().decode(await readAtMost(response.body, limit, tooLarge)) : "";
}

async function download(url: string, options: RemoteKeySetOptions): Promise<JSONWebKeySet> {
  const fetchJwks: JwksFetch = options.fetch ?? ((input, init) => fetch(input, init));
  const response = await fetchJwks(url, {
    signal: AbortSignal.timeout(options.timeoutMs),
    redirect: "manual",
    headers: { Accept: "application/jwk-set+json, application/json" },
  });
  if (response.status !== 200) {
    await response.body?.cancel();
    throw new Error(`JWKS answered ${response.status}`);
  }
  return JSON.parse(await readCapped(response, MAX_JWKS_BYTES)) as JSONWebKeySet;
}

export function remoteKeySet(url: string, options: RemoteKeySetOptions): RemoteKeySet {
  let keys: ReturnType<typeof createLocalJWKSet> | undefined;
  let fetchedAt = Number.NEGATIVE_INFINITY;
  let attemptedAt = Number.NEGATIVE_INFINITY;
  let failedAt = Number.NEGATIVE_INFINITY;

  /** Keys downloaded longer ago than maxAgeMs + staleIfErrorMs verify nothing. */
  const tooOld = (now: number) => now - fetchedAt >= options.maxAgeMs + options.staleIfErrorMs;

  /** The download in progress, shared by the requests that need it. */
  let refreshing: Promise<void> | undefined;

  function refresh(ctx: WaitUntil | undefined): Promise<void> {
    refreshing ??= sharedWork(
      downloadKeys().finally(() => {
        refreshing = undefined;
      }),
      ctx,
    );
    return refreshing;
  }

  async function downloadKeys(): Promise<void> {
    attemptedAt = Date.now();
    try {
      keys = createLocalJWKSet(await download(url, options)); // validates the set's shape
      fetchedAt = Date.now();
    } catch (error) {
      failedAt = Date.now();
      log.warn("jwks_refresh_failed", {
        jwks_uri: url,
        name: errorName(error),
        serving_cached_keys: keys !== undefined && !tooOld(failedAt),
      });
    }
  }

  return async function jwksKey(header, token, ctx) {
    const now = Date.now();
    if (
      keys === undefined
        ? now - failedAt >= options.cooldownMs
        : now - fetchedAt >= options.maxAgeMs && now - attemptedAt >= options.cooldownMs
    ) {
      await refresh(ctx);
    }
    if (keys === undefined || tooOld(Date.now())) throw new AuthRejection("jwks_unavailable");
    try {
      return await keys(header, token);
    } catch (error) {
      if (!(error instanceof errors.JWKSNoMatchingKey) || Date.now() - attemptedAt < options.cooldownMs) throw error;
      await refresh(ctx); // an unknown kid may be a key the provider has just rotated in
      return keys(header, token);
    }
  };
}
