/**
 * What a shared cache may store and for how long (RFC 9111), read from the upstream's response
 * once, when it is stored; a hit never parses these headers again (entry.ts keeps the result).
 */

/** Statuses RFC 9110 §15.1 calls heuristically cacheable: the only ones stored. */
const CACHEABLE_STATUSES = new Set([200, 203, 204, 300, 301, 308, 404, 405, 410, 414, 501]);

/** `Cache-Control` directives, names lower case (RFC 9111 §5.2: case-insensitive), `true` when valueless. */
export function cacheDirectives(value: string | null): Map<string, string | true> {
  const directives = new Map<string, string | true>();
  if (!value) return directives;
  for (const part of value.split(",")) {
    const [name, argument] = part.split("=", 2) as [string, string | undefined];
    const key = name.trim().toLowerCase();
    if (key) directives.set(key, argument === undefined ? true : argument.trim().replace(/^"(.*)"$/, "$1"));
  }
  return directives;
}

/** Seconds of a delta-seconds directive (RFC 9111 §1.2.2), undefined when absent or malformed. */
function seconds(directives: Map<string, string | true>, name: string): number | undefined {
  const value = directives.get(name);
  return typeof value === "string" && /^\d+$/.test(value) ? Number(value) : undefined;
}

/**
 * Stored, for `freshMs` from now; `neverStale`: the response forbids serving it stale
 * (`must-revalidate`, `proxy-revalidate`, or `s-maxage`, which implies proxy-revalidate: RFC 9111
 * §5.2.2.2, §5.2.2.8, §5.2.2.10), so no stale-while-revalidate. Or not stored, and why.
 */
export type StoreDecision = { store: true; freshMs: number; neverStale: boolean } | { store: false; reason: string };

/**
 * Whether a response may be stored by a shared cache, and its freshness lifetime:
 * `s-maxage` > `max-age` > `Expires` − `Date` > `defaultTtl` (RFC 9111 §4.2.1; the default is
 * the heuristic of §4.2.2), less the `Age` it already had (§4.2.3).
 * Never stored: `no-store`, `private`, `no-cache` (it would have to be revalidated on every use),
 * `Set-Cookie` (one client's session), `Vary: *`, a status outside the heuristically cacheable
 * set, and, for a request that carried credentials, a response that does not allow a shared
 * cache to reuse it (§3.5: `public`, `s-maxage` or `must-revalidate`).
 */
export function storeDecision(response: Response, options: { authenticated: boolean; defaultTtl: number }): StoreDecision {
  if (!CACHEABLE_STATUSES.has(response.status)) return { store: false, reason: "status" };
  const headers = response.headers;
  if (headers.has("set-cookie")) return { store: false, reason: "set-cookie" };
  const directives = cacheDirectives(headers.get("cache-control"));
  for (const name of ["no-store", "private", "no-cache"]) {
    if (directives.has(name)) return { store: false, reason: name };
  }
  if (headers.get("vary")?.includes("*")) return { store: false, reason: "vary-star" };
  const sharedMaxAge = seconds(directives, "s-maxage");
  if (options.authenticated && !directives.has("public") && sharedMaxAge === undefined && !directives.has("must-revalidate")) {
    return { store: false, reason: "authenticated" };
  }
  const age = Number(headers.get("age") ?? 0) || 0;
  const lifetime = lifetimeSeconds(directives, sharedMaxAge, headers);
  const freshMs = lifetime === undefined ? options.defaultTtl : (lifetime - age) * 1000;
  if (freshMs <= 0) return { store: false, reason: "expired" };
  const neverStale = sharedMaxAge !== undefined || directives.has("must-revalidate") || directives.has("proxy-revalidate");
  return { store: true, freshMs, neverStale };
}

/** The freshness lifetime the response states, in seconds; undefined when it states none. */
function lifetimeSeconds(directives: Map<string, string | true>, sharedMaxAge: number | undefined, headers: Headers): number | undefined {
  const maxAge = sharedMaxAge ?? seconds(directives, "max-age");
  if (maxAge !== undefined) return maxAge;
  const expires = headers.get("expires");
  if (expires === null) return undefined;
  // An invalid date, "0" included, means already expired (RFC 9111 §5.3).
  const expiresAt = Date.parse(expires);
  if (Number.isNaN(expiresAt)) return 0;
  const date = Date.parse(headers.get("date") ?? "");
  return Math.floor((expiresAt - (Number.isNaN(date) ? Date.now() : date)) / 1000);
}
