/**
 * A consumer as the request path sees it, and the lookup by key digest that api-key auth
 * (policies/auth/api-key.ts) is given (lookup.ts implements it over D1, with a cache).
 */
import type { Env } from "../env";
import type { RateConfig } from "../http/schema-kit/rate";
import type { WaitUntil } from "../http/shared-work";

/** A consumer-store record, found by the digest of one of its keys. */
export interface StoredConsumer {
  consumer: string;
  tenant?: string;
  /** Route ids the consumer may call; every route when unset. */
  allowedRoutes?: readonly string[];
  /** Models the consumer may ask of an AI route (with the route's own list); every model when unset. */
  allowedModels?: ReadonlySet<string>;
  /** The consumer's own rate limit, for the rate-limit policy. */
  rateLimit?: RateConfig;
}

/**
 * Finds the consumer a key belongs to by the key's SHA-256 digest (lower-case hex); undefined
 * when none. May throw (e.g. a 503 when the store is down): the request then fails closed.
 */
/** `ctx`: the request's, to keep a query other requests share alive (http/shared-work.ts). */
export type KeyHashLookup = (sha256Hex: string, env: Env, ctx?: WaitUntil) => Promise<StoredConsumer | undefined>;
