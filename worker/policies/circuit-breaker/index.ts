/**
 * Circuit breakers (Loom `upstreams[].circuit_breaker`), one CircuitBreaker object per upstream
 * (durable-objects/circuit-breaker.ts), seen through a short-lived copy in each isolate:
 *
 * - `guard` (before the proxy): closed → go on, no call; open → 503 with Retry-After, the
 *   upstream is not contacted; open past its timeout, or half-open → one call to the object,
 *   which lets `half_open_requests` probes through and refuses the rest.
 * - `record` (the proxy, per attempt): the outcome is applied to the isolate's copy at once (so
 *   the request after the one that trips the circuit is already refused) and sent to the
 *   object in batches after the response (waitUntil). A success while everything is healthy
 *   is not sent at all: a healthy request costs no object call.
 * - `healthyEndpoints` (the proxy, per request): the upstream's endpoints minus those ejected
 *   for their own consecutive failures, so a failing endpoint is skipped while others serve.
 * - The copy is refreshed in the background when older than `refreshMs`, which is how an
 *   isolate learns that others opened (or an admin reset) the circuit.
 * - The object failing is logged and fails open: a broken breaker must not take a healthy
 *   upstream down with it. The isolate's copy then works alone, tripped by its own outcomes.
 */
import type { Context, MiddlewareHandler } from "hono";
import type { CircuitBreaker, CircuitConfig, CircuitSnapshot, Outcome } from "../../../durable-objects/circuit-breaker";
import { applyOutcome, close, closedCircuit, fromSnapshot, healthyEndpoints, type CircuitState } from "../../../durable-objects/circuit-state";
import type { UpstreamConfig } from "../../config/schema";
import type { AppEnv, Env } from "../../env";
import { passThrough } from "../../gateway/chain";
import { gatewayError } from "../../gateway/errors";

export interface CircuitBreakerOptions {
  upstreams: readonly UpstreamConfig[];
  /** Which namespace holds the circuits; tests wrap it to count or fail calls. */
  namespace?: (env: Env) => DurableObjectNamespace<CircuitBreaker>;
  /** The isolate's copies; by default one per isolate, kept across config versions. */
  cache?: CircuitCache;
  /** How long a copy is trusted before a background refresh; default 2 s. */
  refreshMs?: number;
  clock?: () => number;
}

export interface CircuitBreakers {
  guard: MiddlewareHandler<AppEnv>;
  /** The endpoints of `upstream` worth trying, in the order given (all of them if every one is ejected). */
  healthyEndpoints(upstream: string, endpoints: readonly string[]): string[];
  /** One attempt's outcome; `ok` false for a 5xx answer, a timeout or a connection failure (see `isFailure`). */
  record(c: Context<AppEnv>, upstream: string, endpoint: string, ok: boolean): void;
}

/** An upstream answer that counts as a failure: 5xx (timeouts and connection failures count too). */
export function isFailure(status: number): boolean {
  return status >= 500;
}

interface Copy {
  circuit: CircuitState;
  /** When the copy last took the object's word; -Infinity before the first time. */
  syncedAt: number;
  /** Outcomes applied here and not yet sent. */
  pending: Outcome[];
  /** The running send loop, if any; every request with an outcome in it waits for it. */
  flushing?: Promise<void>;
  refreshing: boolean;
}

/** The isolate's copies of circuit state, by upstream name. */
export class CircuitCache {
  readonly #copies = new Map<string, Copy>();

  copy(upstream: string): Copy {
    let copy = this.#copies.get(upstream);
    if (!copy) {
      copy = { circuit: closedCircuit(), syncedAt: -Infinity, pending: [], refreshing: false };
      this.#copies.set(upstream, copy);
    }
    return copy;
  }

  peek(upstream: string): Copy | undefined {
    return this.#copies.get(upstream);
  }

  /** Drops the copy, unsent outcomes included: the next request starts closed and refreshes it. */
  forget(upstream: string): void {
    this.#copies.delete(upstream);
  }
}

const isolateCircuits = new CircuitCache();

/**
 * After `POST /admin/circuits/:upstream/reset`: this isolate forgets its copy at once (the
 * outcomes it had not sent belong to before the reset); other isolates take the object's word
 * at their next refresh, within `refreshMs` (2 s) and a round trip.
 */
export function forgetCircuit(upstream: string): void {
  isolateCircuits.forget(upstream);
}

const DEFAULT_REFRESH_MS = 2_000;
/** A probe may take every attempt of the upstream request; after that and this margin it counts as lost. */
const PROBE_MARGIN_MS = 5_000;

function circuitConfig(upstream: UpstreamConfig): CircuitConfig | undefined {
  const breaker = upstream.circuit_breaker;
  if (!breaker?.enabled) return undefined;
  return {
    failureThreshold: breaker.failure_threshold,
    timeoutMs: breaker.timeout,
    halfOpenRequests: breaker.half_open_requests,
    probeTimeoutMs: upstream.timeout * (upstream.retries + 1) + PROBE_MARGIN_MS,
  };
}

function logFailure(event: string, upstream: string, error: unknown): void {
  const overloaded = (error as { overloaded?: unknown } | null)?.overloaded === true;
  console.warn(JSON.stringify({ level: "warn", event, upstream, name: error instanceof Error ? error.name : typeof error, overloaded }));
}

function circuitOpen(retryAfterMs: number): Error {
  const seconds = Math.max(1, Math.ceil(retryAfterMs / 1000));
  return gatewayError(503, "upstream_circuit_open", `the upstream is failing and requests to it are paused; retry in ${seconds} s`, {
    headers: { "Retry-After": String(seconds) },
    extra: { retry_after: seconds },
  });
}

export const circuitBreaker = (options: CircuitBreakerOptions): CircuitBreakers => {
  const configs = new Map<string, CircuitConfig>();
  for (const upstream of options.upstreams) {
    const config = circuitConfig(upstream);
    if (config) configs.set(upstream.name, config);
  }
  const namespace = options.namespace ?? ((env: Env) => env.CIRCUIT_BREAKER);
  const cache = options.cache ?? isolateCircuits;
  const refreshMs = options.refreshMs ?? DEFAULT_REFRESH_MS;
  const clock = options.clock ?? Date.now;

  /** Takes the object's word, then re-applies what was recorded here since (not yet sent). */
  function adopt(copy: Copy, config: CircuitConfig, snapshot: CircuitSnapshot): void {
    const now = clock();
    copy.circuit = fromSnapshot(snapshot, now);
    for (const outcome of copy.pending) applyOutcome(copy.circuit, config, outcome, now);
    copy.syncedAt = now;
  }

  function refreshIfStale(c: Context<AppEnv>, upstream: string, copy: Copy, config: CircuitConfig): void {
    if (copy.refreshing || copy.flushing || clock() - copy.syncedAt < refreshMs) return;
    copy.refreshing = true;
    const refresh = namespace(c.env)
      .getByName(upstream)
      .state()
      .then((snapshot) => {
        // A report sent meanwhile answers with fresher state than this.
        if (!copy.flushing) adopt(copy, config, snapshot);
      })
      .catch((error: unknown) => logFailure("circuit_refresh_failed", upstream, error))
      .finally(() => (copy.refreshing = false));
    c.executionCtx.waitUntil(refresh);
  }

  function flush(c: Context<AppEnv>, upstream: string, copy: Copy, config: CircuitConfig): Promise<void> {
    copy.flushing ??= (async () => {
      while (copy.pending.length > 0) {
        const outcomes = copy.pending.splice(0);
        try {
          adopt(copy, config, await namespace(c.env).getByName(upstream).report({ config, outcomes }));
        } catch (error) {
          // Not retried: the copy already holds these outcomes, and the next batch carries on.
          logFailure("circuit_report_failed", upstream, error);
        }
      }
      copy.flushing = undefined;
    })();
    return copy.flushing;
  }

  return {
    // Without a circuit on any upstream the guard has nothing to check.
    guard: configs.size === 0 ? passThrough : async function circuitBreaker(c, next) {
      const upstream = c.get("route")?.config.upstream;
      const config = upstream === undefined ? undefined : configs.get(upstream);
      if (upstream === undefined || !config) return next();
      const copy = cache.copy(upstream);
      refreshIfStale(c, upstream, copy, config);
      const { circuit } = copy;
      const now = clock();
      if (circuit.state === "closed") return next();
      if (circuit.state === "open" && now < circuit.openUntil) throw circuitOpen(circuit.openUntil - now);
      let probe;
      try {
        probe = await namespace(c.env).getByName(upstream).acquireProbe(config);
      } catch (error) {
        // Fail open, and let this isolate's own outcomes trip its copy again if need be,
        // rather than asking the unreachable object on every request.
        logFailure("circuit_probe_failed", upstream, error);
        close(copy.circuit);
        return next();
      }
      adopt(copy, config, probe.snapshot);
      if (!probe.granted) {
        // Refuse locally until then rather than asking the object on every request.
        copy.circuit.state = "open";
        copy.circuit.openUntil = clock() + probe.retryAfterMs;
        throw circuitOpen(probe.retryAfterMs);
      }
      return next();
    },

    healthyEndpoints(upstream, endpoints) {
      return configs.has(upstream) ? healthyEndpoints(cache.peek(upstream)?.circuit, endpoints, clock()) : [...endpoints];
    },

    record(c, upstream, endpoint, ok) {
      const config = configs.get(upstream);
      if (!config) return;
      const copy = cache.copy(upstream);
      const { circuit } = copy;
      const healthy = circuit.state === "closed" && circuit.failures === 0 && circuit.endpoints[endpoint] === undefined;
      if (ok && healthy && copy.pending.length === 0 && !copy.flushing) return;
      const outcome = { endpoint, ok };
      applyOutcome(circuit, config, outcome, clock());
      copy.pending.push(outcome);
      c.executionCtx.waitUntil(flush(c, upstream, copy, config));
    },
  };
};
