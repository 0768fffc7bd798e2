/**
 * The response cache's per-route rules, compiled once per config: the top-level `cache` block
 * merged with a route's own, key by key (the route's wins), and the path lists compiled with
 * the router's own matcher, so `excluded_paths: [/api/auth/*]` means exactly what a route path
 * `/api/auth/*` means (case-insensitive literals, no trailing-slash difference).
 */
import { compileRouter } from "../gateway/router";
import type { CacheRule } from "../policies/cache";
import type { Config } from "../config/schema";
import { CACHE_DEFAULTS } from "../http/schema-kit/defaults";

/** Whether a normalised path matches one of `patterns` (route path syntax). */
function pathSet(patterns: readonly string[]): ((path: string) => boolean) | undefined {
  if (patterns.length === 0) return undefined;
  const router = compileRouter(
    patterns.map((path, index) => ({
      id: `p${index}`,
      path,
      upstream: "-",
      priority: 0,
      strip_prefix: false,
      forward_override_headers: false,
    })),
  );
  return (path) => router.match("", path, "GET") !== undefined;
}

/** Route id → the cache rule of every route whose cache is on. */
export function cacheRules(config: Config): Map<string, CacheRule> {
  const top = config.cache;
  const rules = new Map<string, CacheRule>();
  for (const route of config.routes) {
    const own = route.cache;
    if (!(own?.enabled ?? top?.enabled)) continue;
    const included = pathSet(own?.included_paths ?? top?.included_paths ?? []);
    const excluded = pathSet(own?.excluded_paths ?? top?.excluded_paths ?? []);
    rules.set(route.id, {
      defaultTtl: own?.default_ttl ?? top?.default_ttl ?? CACHE_DEFAULTS.default_ttl,
      staleMs: own?.stale_while_revalidate ?? top?.stale_while_revalidate ?? CACHE_DEFAULTS.stale_while_revalidate,
      bypassHeader: (own?.bypass_header ?? top?.bypass_header ?? CACHE_DEFAULTS.bypass_header).toLowerCase(),
      cachesPath: (path) => (!included || included(path)) && !(excluded && excluded(path)),
    });
  }
  return rules;
}
