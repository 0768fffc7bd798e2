/**
 * Loom's `cache` block (its code's dialect) and a route's own `cache`. The response cache is the
 * Workers Cache API of the data centre (policies/cache/index.ts); the keys say what may be
 * stored and for how long. Off unless `enabled: true`, as in Loom's code. A route's block
 * replaces the top-level one for that route, key by key: what it leaves out comes from the
 * top-level block (README "Response cache").
 */
import { z } from "zod";
import { CACHE_DEFAULTS } from "../../http/schema-kit/defaults";
import { boundedDuration, duration, headerName, routePath, size } from "../../http/schema-kit/fields";

const DAY_MS = 86_400_000;

const ttl = boundedDuration(1000, 365 * DAY_MS, "1s and 365d");
const staleWindow = boundedDuration(0, DAY_MS, "0s and 24h");
const pathList = z.array(routePath).max(100);

export const cacheSchema = z
  .strictObject({
    enabled: z.boolean().default(false).describe("Default false, as in Loom's code: nothing is cached until enabled."),
    default_ttl: ttl
      .default(CACHE_DEFAULTS.default_ttl)
      .describe(
        "Freshness of a response that states none (no `s-maxage`, `max-age` or `Expires`), for the statuses RFC 9110 §15.1 calls heuristically cacheable. Default 5m, 1s-365d.",
      ),
    stale_while_revalidate: staleWindow
      .default(CACHE_DEFAULTS.stale_while_revalidate)
      .describe(
        "How long past its freshness a response is still served (X-Cache: STALE) while one background request revalidates it. Default 30s, 0s-24h; 0s: a stale entry is a miss.",
      ),
    excluded_paths: pathList
      .default([])
      .describe("Request paths never cached, in route path syntax (`/api/auth/*`, `/users/:id`). Default none; at most 100."),
    included_paths: pathList
      .default([])
      .describe(
        "When not empty, only these request paths are cached (route path syntax); excluded_paths still win. Default all; at most 100.",
      ),
    bypass_header: headerName
      .default(CACHE_DEFAULTS.bypass_header)
      .describe(
        "A request carrying this header (any non-empty value) goes to the upstream (X-Cache: BYPASS) and its response is not stored. Default X-Cache-Bypass.",
      ),
    max_size: size
      .prefault("100MB")
      .describe(
        "Accepted and warned: the Cache API's storage is the data centre's, evicted by Cloudflare (512 MB per response). Default 100MB.",
      ),
    cleanup_interval: duration
      .prefault("1m")
      .describe("Accepted and warned: expired entries are evicted by Cloudflare, not swept by the gateway. Default 1m."),
  })
  .describe("Loom's response cache (its code's dialect) on the Workers Cache API of each data centre; off unless enabled.");

/** A route's `cache`: `false`/`true`, or a block whose unset keys come from the top-level `cache`. */
export const routeCacheSchema = z
  .union([
    z.boolean(),
    z.strictObject({
      enabled: z.boolean().default(true).describe("Default true: writing a route's block turns the cache on for the route."),
      default_ttl: ttl.optional().describe("As cache.default_ttl; unset: the top-level value."),
      stale_while_revalidate: staleWindow.optional().describe("As cache.stale_while_revalidate; unset: the top-level value."),
      excluded_paths: pathList.optional().describe("As cache.excluded_paths; unset: the top-level list."),
      included_paths: pathList.optional().describe("As cache.included_paths; unset: the top-level list."),
      bypass_header: headerName.optional().describe("As cache.bypass_header; unset: the top-level value."),
    }),
  ])
  .transform((value) => (typeof value === "boolean" ? { enabled: value } : value))
  .describe(
    "This route's response cache: `false` (or `enabled: false`) turns it off, `true` turns it on with the top-level block's settings, a block replaces them key by key.",
  );

export type CacheConfig = z.output<typeof cacheSchema>;
export type RouteCacheConfig = z.output<typeof routeCacheSchema>;
