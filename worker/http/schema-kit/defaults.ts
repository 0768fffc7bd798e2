/**
 * Defaults that a policy's schema writes into the config and its factory also applies when
 * called directly: here, apart from the schemas, so that a factory on the request path reads
 * them without loading zod (README, "What a cold isolate loads").
 */

/** Largest body the `request-validator` plugin reads (1 MiB): it is held in memory and parsed whole. */
export const DEFAULT_MAX_BODY_SIZE = 1024 * 1024;

/** Loom's `cache` defaults (its code's dialect): what a route with `cache: true` gets without a top-level block. */
export const CACHE_DEFAULTS = {
  default_ttl: 300_000,
  stale_while_revalidate: 30_000,
  bypass_header: "X-Cache-Bypass",
} as const;
