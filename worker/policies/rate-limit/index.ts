/**
 * Rate limiting (Loom `rate_limit`): token buckets kept in one Durable Object per counter
 * (durable-objects/rate-limiter.ts), decided in the isolate whenever it can (limits/local-limiter.ts), so a
 * hot key costs a fraction of an object call per request. Runs after route match and auth.
 *
 * - Which limit: the consumer's own (from its record, `c.var.consumerRateLimit`), else
 *   the route's override, else the default. Consumer before route is Kong's plugin precedence.
 *   Each of them has its own counters: the object name is `<scope>|<key>`, scope being
 *   `default`, `route=<id>` or `consumer=<id>`, and key the evaluated key expression.
 * - Refused: 429 with Retry-After and `{error: "rate_limited", retry_after}`; the refusal is
 *   counted for an aggregated `rate_limit` audit event (./audit.ts).
 * - Every response of a limited route carries RateLimit-Policy and X-RateLimit-Limit and, once
 *   the counter has been seen, RateLimit and X-RateLimit-Remaining (./headers.ts; the X- pair is
 *   Loom's, 0 left on a 429).
 * - The object failing or overloaded: `fail_open` admits (default) or refuses with 503; either
 *   way it is logged once per failed call, the object is left alone for a second, and an
 *   `.overloaded` error is never retried (nothing here retries: one round trip at most).
 */
import type { Context, MiddlewareHandler } from "hono";
import type { RateLimiter } from "../../../durable-objects/rate-limiter";
import { bucketsOf, type Bucket, type RateLimitSpec } from "../../../durable-objects/token-bucket";
import type { AppEnv, Env } from "../../env";
import { passThrough } from "../../http/chain";
import { httpError, retryAfterSeconds, retryLater } from "../../http/errors";
import { refusalWindows, type AuditWindow, type OnLimited } from "./audit";
import { exhaustedHeader, loomLimitHeader, loomRemainingHeader, policyHeader, rateLimitHeader } from "./headers";
import { compileKey } from "../../limits/key-expression";
import { LocalLimiter, type RequestIo } from "../../limits/local-limiter";
import type { RateConfig } from "../../http/schema-kit/rate";
import type { RateLimitConfig } from "./schema";
import { log, errorName } from "../../observability/logger";

export type { AuditWindow, RateLimitedEvent, OnLimited } from "./audit";
export type { RateLimitConfig } from "./schema";

export interface RateLimitOptions {
  /** The parsed `rate_limit` block. */
  config: RateLimitConfig;
  /**
   * The consumer's own limit, asked only when `c.var.consumer` is set. Default: the limit auth
   * found on the consumer's record (`c.var.consumerRateLimit`).
   */
  consumerLimit?: (consumer: string, c: Context<AppEnv>) => RateConfig | undefined;
  /** Receives the aggregated refusals, after the response (e.g. the audit writer). */
  onLimited?: OnLimited;
  /** Length of an audit aggregation window in ms, or how to read it from the request; default 10 s. */
  auditWindowMs?: AuditWindow;
  /**
   * Identity headers the gateway asserts (auth's `identityHeaderNames`, lower case): in the key,
   * `${header.NAME}` of one of them is the verified value, never the client's copy.
   */
  identityHeaders?: readonly string[];
  /** Tests and simulations: a clock shared with the objects (sent with every call). */
  clock?: () => number;
  random?: () => number;
}

/** Which namespace holds the counters; tests wrap it to count or fail calls. */
export type LimiterNamespace = (env: Env) => DurableObjectNamespace<RateLimiter>;

interface Scope {
  name: string;
  spec: RateLimitSpec;
  buckets: Bucket[];
  /** RateLimit-Policy value, fixed per scope. */
  policy: string;
  /** X-RateLimit-Limit value, fixed per scope. */
  loomLimit: string;
}

const DEFAULT_AUDIT_WINDOW_MS = 10_000;

/**
 * The isolate's leases and deny-caches, one set per isolate and kept across config versions
 * (a counter is named by scope and key, and its limits travel with every call), so that an
 * admin reset can clear them here (`forgetRateLimitCounter`).
 */
const isolateLimiter = new LocalLimiter();

/** After `DELETE /admin/rate-limits/:key`: this isolate forgets its leases and cached refusal for the counter. */
export function forgetRateLimitCounter(name: string): void {
  isolateLimiter.forget(name);
}

function scope(name: string, rate: RateConfig): Scope {
  const spec: RateLimitSpec = {
    rate: rate.requests_per_second,
    burst: rate.burst,
    windows: { minute: rate.requests_per_minute, hour: rate.requests_per_hour },
  };
  const buckets = bucketsOf(spec);
  return { name, spec, buckets, policy: policyHeader(buckets), loomLimit: loomLimitHeader(buckets) };
}

function errorFlags(error: unknown): { name: string; overloaded: boolean; retryable: boolean } {
  const flags = (error ?? {}) as { overloaded?: unknown; retryable?: unknown };
  return {
    name: errorName(error),
    overloaded: flags.overloaded === true,
    retryable: flags.retryable === true,
  };
}

export const rateLimit = (
  options: RateLimitOptions,
  namespace: LimiterNamespace = (env) => env.RATE_LIMITER,
): MiddlewareHandler<AppEnv> => {
  const { config } = options;
  if (!config.enabled) return passThrough;
  const defaultScope = scope("default", config.default);
  const routeScopes = new Map(Object.entries(config.routes).map(([id, rate]) => [id, scope(`route=${id}`, rate)]));
  const keyOf = compileKey(config.key, options.identityHeaders);
  const clock = options.clock ?? Date.now;
  // Tests and simulations with their own clock or randomness get a limiter of their own.
  const limiter =
    options.clock || options.random
      ? new LocalLimiter({ clock, sendClock: options.clock !== undefined, random: options.random })
      : isolateLimiter;
  const refusals = options.onLimited && refusalWindows(options.onLimited, options.auditWindowMs ?? DEFAULT_AUDIT_WINDOW_MS, clock);
  /** Consumer scopes are built on first use and kept while the consumer's limit stays the same. */
  const consumerScopes = new Map<string, { limit: string; scope: Scope }>();
  const consumerLimit = options.consumerLimit ?? ((_consumer: string, c: Context<AppEnv>) => c.get("consumerRateLimit"));

  function consumerScope(c: Context<AppEnv>): Scope | undefined {
    const consumer = c.get("consumer");
    const rate = consumer === undefined ? undefined : consumerLimit(consumer, c);
    if (consumer === undefined || rate === undefined) return undefined;
    const limit = JSON.stringify(rate);
    const known = consumerScopes.get(consumer);
    if (known?.limit === limit) return known.scope;
    if (consumerScopes.size >= 10_000) consumerScopes.clear();
    const built = scope(`consumer=${consumer}`, rate);
    consumerScopes.set(consumer, { limit, scope: built });
    return built;
  }

  return async function rateLimit(c, next) {
    const routeId = c.get("route")?.id;
    const limit = consumerScope(c) ?? (routeId === undefined ? undefined : routeScopes.get(routeId)) ?? defaultScope;
    const name = `${limit.name}|${keyOf(c)}`;
    const io: RequestIo = {
      // async: a binding that throws at once (not only a call that fails) follows fail_open too.
      acquire: async (request) => namespace(c.env).getByName(name).acquire(request),
      background: (work) => c.executionCtx.waitUntil(work),
    };
    const decision = await limiter.decide(name, limit.spec, io);

    if (decision.outcome === "refused") {
      refusals?.note(`${routeId ?? ""}\n${name}`, { key: name, route: routeId }, c);
      const seconds = retryAfterSeconds(decision.retryAfterMs);
      throw retryLater("rate_limited", `too many requests; retry in ${seconds} s`, seconds, {
        "RateLimit-Policy": limit.policy,
        RateLimit: exhaustedHeader(limit.buckets, seconds),
        "X-RateLimit-Limit": limit.loomLimit,
        "X-RateLimit-Remaining": "0",
      });
    }
    if (decision.outcome === "unavailable") {
      if (decision.error !== undefined) {
        log.warn("rate_limit_store_unavailable", {
          request_id: c.get("requestId"),
          fail_open: config.fail_open,
          ...errorFlags(decision.error),
        });
      }
      if (!config.fail_open) {
        throw httpError("rate_limit_unavailable", "the rate limiter is unavailable; retry shortly", {
          headers: { "Retry-After": "1", "RateLimit-Policy": limit.policy, "X-RateLimit-Limit": limit.loomLimit },
        });
      }
    }
    await next();
    c.res.headers.set("RateLimit-Policy", limit.policy);
    c.res.headers.set("X-RateLimit-Limit", limit.loomLimit);
    if (decision.outcome === "admitted" && decision.limits) {
      c.res.headers.set("RateLimit", rateLimitHeader(decision.limits));
      c.res.headers.set("X-RateLimit-Remaining", loomRemainingHeader(decision.limits));
    }
  };
};
