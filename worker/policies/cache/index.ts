/**
 * The response cache (Loom's `cache` block) on the Workers Cache API of the data centre.
 *
 * It runs after IP rules, CORS, authentication, rate limits, the body limit and the route's
 * plugins (pipeline/compile.ts), so a hit never skips access control; the response steps above
 * it (CORS headers, security headers, the access log) decorate a hit as any response.
 *
 * - Only GET and HEAD; a HEAD is answered from the GET entry. A request with `Range`,
 *   `If-Match`/`If-Unmodified-Since` (the upstream's to evaluate), or the route's
 *   `bypass_header` goes to the upstream (X-Cache: BYPASS) and is never stored: a client must
 *   not be able to write entries others are served outside the usual rules.
 * - What is stored and how long it stays fresh: freshness.ts (RFC 9111). Each entry keeps the
 *   gateway's own freshness metadata (entry.ts); the key is route + tenant + host + path + query
 *   (key.ts), plus the varied request headers for a response with `Vary`.
 * - Fresh: HIT. Past fresh but within `stale_while_revalidate`: STALE, served at once while one
 *   background request per key and isolate revalidates it (`waitUntil`), conditionally
 *   (`If-None-Match`/`If-Modified-Since` from the entry): a 304 refreshes the entry's freshness,
 *   a new response replaces it, one no longer storable removes it, a failure keeps it.
 * - Misses go to the upstream without the client's validators, so the answer can be stored;
 *   the client's `If-None-Match`/`If-Modified-Since` are then answered here (304), from a hit
 *   or a miss alike (conditional.ts).
 * - A purge (purge.ts) makes the entries stored before it misses.
 */
import type { Context, MiddlewareHandler } from "hono";
import type { AppEnv } from "../../env";
import { targetOf } from "../../http/request-target";
import { errorName, log } from "../../observability/logger";
import { CONDITIONAL_HEADERS, notModified, notModifiedResponse, UPSTREAM_PRECONDITIONS } from "./conditional";
import { clientCopy, entryMeta, storedCopy, upstreamHeaders, withoutGatewayHeaders, type EntryMeta } from "./entry";
import { storeDecision, type StoreDecision } from "./freshness";
import { baseKey, variantKey, varyDigest, varyNames, type KeyParts } from "./key";
import type { PurgeCheck } from "./purge";

/** One route's cache settings, compiled once per config (the top-level block merged with the route's). */
export interface CacheRule {
  defaultTtl: number;
  staleMs: number;
  /** Lower case. */
  bypassHeader: string;
  /** Whether `included_paths`/`excluded_paths` let the normalised request path be cached. */
  cachesPath: (path: string) => boolean;
}

export interface ResponseCacheOptions {
  /** Route id → its rule; routes without one are not cached. */
  rules: ReadonlyMap<string, CacheRule>;
  /**
   * Sends `request` through the steps after the cache (circuit, credential, proxy) for the
   * request `c`, outside its response: background revalidation. The pipeline builds it.
   */
  revalidate: (c: Context<AppEnv>, request: Request) => Promise<Response>;
  /** Whether an entry is purged (purge.ts); default: none is. */
  purged?: PurgeCheck;
  /** The Cache API cache; default `caches.default`. */
  cache?: () => Cache;
  now?: () => number;
}

type CacheState = "HIT" | "MISS" | "STALE" | "BYPASS";

/** Fields that describe the stored body, never taken from a 304 (RFC 9111 §3.2). */
const BODY_FRAMING = new Set(["content-length", "content-encoding", "transfer-encoding", "content-range"]);

export function responseCache(options: ResponseCacheOptions): MiddlewareHandler<AppEnv> {
  const { rules, revalidate } = options;
  const cacheOf = options.cache ?? (() => caches.default);
  const purged = options.purged ?? (() => false);
  const now = options.now ?? Date.now;
  /** Keys this isolate is revalidating: one background request per key at a time. */
  const revalidating = new Set<string>();

  /** Stores a response storeDecision allowed, for `freshMs` from now. */
  async function store(
    cache: Cache,
    parts: KeyParts,
    request: Headers,
    response: Response,
    decision: Extract<StoreDecision, { store: true }>,
    rule: CacheRule,
  ): Promise<void> {
    const names = varyNames(response.headers.get("vary"));
    const base = baseKey(parts);
    const storedAt = now();
    const digest = names.length > 0 ? await varyDigest(names, request) : "";
    const meta: EntryMeta = {
      storedAt,
      freshUntil: storedAt + decision.freshMs,
      staleUntil: storedAt + decision.freshMs + (decision.neverStale ? 0 : rule.staleMs),
      varyDigest: digest,
      varyNames: names,
    };
    if (names.length === 0) {
      await cache.put(base, storedCopy(response, meta));
      return;
    }
    // A varying response is stored under its variant's key, and under the base key as the
    // variant most recently stored, which a request with the same values finds in one lookup.
    const [forBase, forVariant] = response.body ? response.body.tee() : [null, null];
    const init = { status: response.status, statusText: response.statusText, headers: response.headers };
    await Promise.all([
      cache.put(base, storedCopy(new Response(forBase, init), meta)),
      cache.put(variantKey(parts, digest), storedCopy(new Response(forVariant, init), meta)),
    ]);
  }

  /** The entry for this request: the base key's, or its variant's when the base holds another variant. */
  async function lookup(
    cache: Cache,
    parts: KeyParts,
    headers: Headers,
  ): Promise<{ entry: Response; meta: EntryMeta; key: string } | undefined> {
    const base = baseKey(parts);
    const entry = await cache.match(base);
    if (!entry) return undefined;
    const meta = entryMeta(entry.headers);
    if (!meta) return undefined;
    if (meta.varyNames.length === 0) return { entry, meta, key: base };
    const digest = await varyDigest(meta.varyNames, headers);
    if (digest === meta.varyDigest) return { entry, meta, key: base };
    void entry.body?.cancel();
    const key = variantKey(parts, digest);
    const variant = await cache.match(key);
    const variantMeta = variant && entryMeta(variant.headers);
    return variant && variantMeta ? { entry: variant, meta: variantMeta, key } : undefined;
  }

  /** Revalidates a stale entry in the background: a 304 refreshes it, anything else is stored as a miss would be. */
  async function refresh(
    c: Context<AppEnv>,
    cache: Cache,
    key: string,
    parts: KeyParts,
    stale: Response,
    meta: EntryMeta,
    rule: CacheRule,
    authenticated: boolean,
  ): Promise<void> {
    const request = c.req.raw;
    const headers = new Headers(request.headers);
    for (const name of CONDITIONAL_HEADERS) headers.delete(name);
    const etag = stale.headers.get("etag");
    const lastModified = stale.headers.get("last-modified");
    if (etag !== null) headers.set("if-none-match", etag);
    else if (lastModified !== null) headers.set("if-modified-since", lastModified);
    const response = await revalidate(c, new Request(request.url, { method: "GET", headers }));
    let fresh = response;
    if (response.status === 304) {
      // RFC 9111 §4.3.4: the stored response, with the header fields the 304 carries.
      const updated = upstreamHeaders(stale.headers, meta);
      for (const [name, value] of response.headers) if (!BODY_FRAMING.has(name)) updated.set(name, value);
      fresh = new Response(stale.body, { status: stale.status, statusText: stale.statusText, headers: updated });
    } else void stale.body?.cancel();
    const decision = storeDecision(fresh, { authenticated, defaultTtl: rule.defaultTtl });
    if (decision.store) return store(cache, parts, request.headers, fresh, decision, rule);
    // An answer that may no longer be stored removes the entry it would have replaced.
    void fresh.body?.cancel();
    await cache.delete(key);
  }

  function startRefresh(c: Context<AppEnv>, key: string, work: () => Promise<void>): void {
    if (revalidating.has(key)) return;
    revalidating.add(key);
    c.executionCtx.waitUntil(
      work()
        .catch((error: unknown) => log.warn("cache_revalidation_failed", { route: c.get("route")?.id, error: errorName(error) }))
        .finally(() => revalidating.delete(key)),
    );
  }

  return async function responseCache(c, next) {
    const route = c.get("route")!;
    const rule = rules.get(route.id);
    const method = c.req.method;
    if (!rule || (method !== "GET" && method !== "HEAD") || !rule.cachesPath(route.path)) return next();
    const request = c.req.raw;
    if (
      request.headers.get(rule.bypassHeader) ||
      request.headers.has("range") ||
      UPSTREAM_PRECONDITIONS.some((name) => request.headers.has(name))
    ) {
      return forward(c, next, "BYPASS");
    }

    const target = targetOf(c);
    const parts: KeyParts = {
      route: route.id,
      scope: c.get("tenant") ?? "-",
      host: target.authority.toLowerCase(),
      path: route.forwardPath,
      query: target.query,
    };
    // RFC 9111 §3.5: credentials the gateway checked, or any the upstream might check itself.
    const authenticated = c.get("authScheme") !== undefined || request.headers.has("authorization");
    const cache = cacheOf();
    const found = await lookup(cache, parts, request.headers);
    const at = now();
    if (found && at < found.meta.staleUntil && !purged(found.meta.storedAt, parts.host, route.path, parts.query)) {
      const fresh = at < found.meta.freshUntil;
      let entry = found.entry;
      if (!fresh) {
        const stale = entry.clone();
        startRefresh(c, found.key, () => refresh(c, cache, found.key, parts, stale, found.meta, rule, authenticated));
      }
      entry = clientCopy(entry, found.meta, at, fresh ? "HIT" : "STALE", method === "HEAD");
      return notModified(request.headers, entry) ? notModifiedResponse(entry) : entry;
    }
    if (found) void found.entry.body?.cancel();

    // A miss: the upstream answers in full, so the answer can be stored; the client's validators are answered here.
    if (CONDITIONAL_HEADERS.some((name) => request.headers.has(name))) {
      const headers = new Headers(request.headers);
      for (const name of CONDITIONAL_HEADERS) headers.delete(name);
      c.req.raw = new Request(request, { headers });
    }
    await forward(c, next, "MISS");
    const response = c.res;
    // Decided on the headers first: an answer that may not be stored is never copied.
    const decision = method === "GET" ? storeDecision(response, { authenticated, defaultTtl: rule.defaultTtl }) : undefined;
    if (decision?.store) {
      const copy = response.clone();
      c.executionCtx.waitUntil(
        store(cache, parts, request.headers, copy, decision, rule).catch((error: unknown) =>
          log.warn("cache_store_failed", { route: route.id, error: errorName(error) }),
        ),
      );
    }
    if (notModified(request.headers, response)) {
      c.res = undefined;
      c.res = notModifiedResponse(response);
    }
  };
}

/** Passes the request on and marks the answer. */
async function forward(c: Context<AppEnv>, next: () => Promise<void>, state: CacheState): Promise<void> {
  await next();
  withoutGatewayHeaders(c.res.headers);
  c.res.headers.set("x-cache", state);
}
