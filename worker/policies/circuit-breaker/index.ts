/**
 * Circuit breakers (Loom `upstreams[].circuit_breaker`), one CircuitBreaker object per upstream
 * (durable-objects/circuit-breaker.ts), seen through a short-lived copy in each isolate:
 *
 * - `guard` (before the proxy): closed → go on, no call; open → 503 with Retry-After, the
 *   upstream is not contacted; open past its timeout, or half-open → one call to the object,
 *   which lets `half_open_requests` probes through at once and refuses the rest.
 * - `record` (the proxy, per attempt): the attempt's status, or none for a timeout or a
 *   connection failure. Failures are those and `failure_status_codes` (502, 503, 504 by
 *   default); every other answer, 500 included, is a success: the circuit measures whether the
 *   upstream answers, and one client provoking 500s from one path must not open it for
 *   everyone. The outcome is applied to the isolate's copy at once (so the request after the one
 *   that trips the circuit is already refused) and queued as counts per endpoint and slice of
 *   time. A failure, or a probe's outcome, is sent to the object after the response
 *   (waitUntil); a success while closed waits for the next refresh: a healthy request costs no
 *   object call.
 * - `healthyEndpoints` (the proxy, per request): the upstream's endpoints minus those ejected
 *   for their own failures, so a failing endpoint is skipped while others serve.
 * - The copy is refreshed in the background when older than `refreshMs`, sending the queued
 *   successes with it: how an isolate learns that others opened (or an admin reset) the
 *   circuit, and how the object learns of the successes that make the failure ratio.
 * - Health checks (`upstreams[].health_check`, run by the same object on its alarm): the spec
 *   goes with every refresh (which is what keeps the object's rounds going), and the endpoints
 *   the checks found down come back with the circuit state. They are skipped like ejected ones;
 *   when every endpoint is down, `guard` answers 503 `upstream_unhealthy` without contacting
 *   any. An upstream with health checks and no circuit breaker is refreshed all the same.
 * - `allDown` (the AI gateway, per request, for each provider with `health_path`, whose checks
 *   run on an object named `ai-provider:<name>`, given here as an upstream with health checks
 *   only): the same copy's verdict, refreshed the same way, never an object call on the path.
 * - The object failing is logged and fails open: a broken breaker must not take a healthy
 *   upstream down with it. The isolate's copy then works alone, tripped by its own outcomes.
 */
import type { Context, MiddlewareHandler } from "hono";
import type {
  CircuitBreaker,
  CircuitConfig,
  EndpointCounts,
  HealthCheckSpec,
  UpstreamSnapshot,
} from "../../../durable-objects/circuit-breaker";
import {
  applyCounts,
  close,
  closedCircuit,
  fromSnapshot,
  healthyEndpoints,
  type CircuitState,
} from "../../../durable-objects/circuit-state";
import { addCounts, type Counts, type RollingWindow } from "../../../durable-objects/rolling-window";
import type { AppEnv, Env } from "../../env";
import { passThrough } from "../../http/chain";
import type { CircuitBreakerConfig } from "./schema";
import { retryAfterSeconds, retryLater } from "../../http/errors";
import { log, errorName } from "../../observability/logger";

export interface CircuitBreakerOptions {
  upstreams: readonly BreakerUpstream[];
  /** Which namespace holds the circuits; tests wrap it to count or fail calls. */
  namespace?: (env: Env) => DurableObjectNamespace<CircuitBreaker>;
  /** The isolate's copies; by default one per isolate, kept across config versions. */
  cache?: CircuitCache;
  /** How long a copy is trusted before a background refresh; default 2 s. */
  refreshMs?: number;
  clock?: () => number;
}

/** What the breaker reads of an upstream (config/schema.ts's UpstreamConfig has more). */
export interface BreakerUpstream {
  name: string;
  /** Only counted. */
  endpoints: readonly unknown[];
  /** Per attempt, in ms. */
  timeout: number;
  retries: number;
  /** Loom's retry block, which replaces `retries` when set: its attempts and their backoff waits. */
  retry?: { max_retries: number; backoff_max: number };
  circuit_breaker?: CircuitBreakerConfig;
  /** The upstream's health checks as its object runs them (gateway/health-check.ts compiles them). */
  health?: HealthCheckSpec;
}

export interface CircuitBreakers {
  guard: MiddlewareHandler<AppEnv>;
  /**
   * Whether the health checks found every endpoint of `upstream` down, as this isolate's copy
   * says (false without health checks); a stale copy is refreshed in the background, so the
   * answer never waits for the object. The AI gateway's providers with `health_path` ask it.
   */
  allDown(c: Context<AppEnv>, upstream: string): boolean;
  /** The endpoints of `upstream` worth trying, in the order given (all of them if every one is ejected). */
  healthyEndpoints(upstream: string, endpoints: readonly string[]): string[];
  /** One attempt's outcome: the upstream's status, or undefined when it gave none (a timeout, a connection failure). */
  record(c: Context<AppEnv>, upstream: string, endpoint: string, status: number | undefined): void;
}

interface Copy {
  circuit: CircuitState;
  /** Endpoints the object's health checks found down, as of the last sync. */
  down: ReadonlySet<string>;
  /** When the copy last took the object's word; -Infinity before the first time. */
  syncedAt: number;
  /** Outcomes applied here and not yet sent, per endpoint, on this isolate's clock. */
  pending: Map<string, RollingWindow>;
  /** A failure or a probe's outcome is pending: the running sync goes round again for it. */
  urgent: boolean;
  /** The running exchange with the object (report and adopt), if any; requests that queued an outcome wait for it. */
  syncing?: Promise<void>;
}

/** The isolate's copies of circuit state, by upstream name. */
export class CircuitCache {
  readonly #copies = new Map<string, Copy>();

  copy(upstream: string): Copy {
    let copy = this.#copies.get(upstream);
    if (!copy) {
      copy = { circuit: closedCircuit(), down: new Set(), syncedAt: -Infinity, pending: new Map(), urgent: false };
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

/** One attempt's outcome as counts; constants, so recording a success allocates nothing. */
const SUCCESS: Counts = Object.freeze({ requests: 1, failures: 0 });
const FAILURE: Counts = Object.freeze({ requests: 1, failures: 1 });

/** An upstream's circuit and health checks as compiled once per config: what the object is told, and what fails. */
interface Breaker {
  /** Undefined: no circuit breaker, health checks only. */
  config?: CircuitConfig;
  failureStatuses: ReadonlySet<number>;
  health?: HealthCheckSpec;
}

function compileBreaker(upstream: BreakerUpstream): Breaker | undefined {
  const breaker = upstream.circuit_breaker?.enabled ? upstream.circuit_breaker : undefined;
  const { health } = upstream;
  if (!breaker && !health) return undefined;
  return { config: breaker && circuitConfig(upstream, breaker), failureStatuses: new Set(breaker?.failure_status_codes), health };
}

function circuitConfig(upstream: BreakerUpstream, breaker: CircuitBreakerConfig): CircuitConfig {
  return {
    failureThreshold: breaker.failure_threshold,
    minimumRequests: breaker.minimum_requests,
    failureRatio: breaker.failure_ratio,
    windowMs: breaker.window,
    timeoutMs: breaker.timeout,
    halfOpenRequests: breaker.half_open_requests,
    successThreshold: breaker.success_threshold,
    probeTimeoutMs: longestForwarding(upstream) + PROBE_MARGIN_MS,
    endpointCount: upstream.endpoints.length,
  };
}

/** The longest a request can spend on the upstream: every attempt's timeout and every backoff wait. */
export function longestForwarding({ timeout, retries, retry }: BreakerUpstream): number {
  if (!retry) return timeout * (retries + 1);
  return timeout * (retry.max_retries + 1) + retry.backoff_max * retry.max_retries;
}

/** The pending outcomes as the object takes them (ages, not times), leaving none pending. */
function takePending(copy: Copy, now: number): EndpointCounts[] {
  const counts: EndpointCounts[] = [];
  for (const [endpoint, window] of copy.pending) {
    for (const { start, requests, failures } of window) counts.push({ endpoint, ageMs: now - start, requests, failures });
  }
  copy.pending.clear();
  copy.urgent = false;
  return counts;
}

function logFailure(event: string, upstream: string, error: unknown): void {
  const overloaded = (error as { overloaded?: unknown } | null)?.overloaded === true;
  log.warn(event, { upstream, name: errorName(error), overloaded });
}

function allUnhealthy(intervalMs: number): Error {
  // A round of checks may bring an endpoint back: not before the next one.
  const seconds = retryAfterSeconds(intervalMs);
  return retryLater("upstream_unhealthy", `every endpoint of the upstream fails its health check; retry in ${seconds} s`, seconds);
}

function circuitOpen(retryAfterMs: number): Error {
  const seconds = retryAfterSeconds(retryAfterMs);
  return retryLater("upstream_circuit_open", `the upstream is failing and requests to it are paused; retry in ${seconds} s`, seconds);
}

/** Whether the health checks found every endpoint down, as of the copy's last sync. */
const everyEndpointDown = (health: HealthCheckSpec, copy: Copy) =>
  copy.down.size > 0 && health.targets.every(({ endpoint }) => copy.down.has(endpoint));

export const circuitBreaker = (options: CircuitBreakerOptions): CircuitBreakers => {
  const breakers = new Map<string, Breaker>();
  for (const upstream of options.upstreams) {
    const breaker = compileBreaker(upstream);
    if (breaker) breakers.set(upstream.name, breaker);
  }
  const namespace = options.namespace ?? ((env: Env) => env.CIRCUIT_BREAKER);
  const cache = options.cache ?? isolateCircuits;
  const refreshMs = options.refreshMs ?? DEFAULT_REFRESH_MS;
  const clock = options.clock ?? Date.now;

  /** Takes the object's word, then re-applies what was recorded here since (not yet sent). */
  function adopt(copy: Copy, config: CircuitConfig | undefined, snapshot: UpstreamSnapshot): void {
    const now = clock();
    copy.down = new Set(snapshot.down);
    copy.syncedAt = now;
    if (!config) return;
    copy.circuit = fromSnapshot(snapshot, config, now);
    for (const [endpoint, window] of copy.pending) {
      for (const bucket of window) applyCounts(copy.circuit, config, endpoint, bucket.start, bucket, now);
    }
  }

  /**
   * Sends what is pending (possibly nothing: a refresh) and adopts the answer; goes round again
   * while a failure or a probe's outcome came in meanwhile. Successes that came in wait for
   * the next refresh, so steady traffic does not keep a loop of calls running.
   */
  function sync(c: Context<AppEnv>, upstream: string, copy: Copy, { config, health }: Breaker): Promise<void> {
    copy.syncing ??= (async () => {
      do {
        const urgent = copy.urgent;
        const counts = takePending(copy, clock());
        try {
          adopt(copy, config, await namespace(c.env).getByName(upstream).report({ config, counts, health }));
        } catch (error) {
          // Not retried: the copy already holds these outcomes, and the next batch carries on.
          logFailure(urgent ? "circuit_report_failed" : "circuit_refresh_failed", upstream, error);
        }
      } while (copy.urgent);
      copy.syncing = undefined;
    })();
    return copy.syncing;
  }

  /** The isolate's copy, refreshed in the background when stale: the request never waits for the object. */
  function refreshedCopy(c: Context<AppEnv>, upstream: string, breaker: Breaker): Copy {
    const copy = cache.copy(upstream);
    if (!copy.syncing && clock() - copy.syncedAt >= refreshMs) c.executionCtx.waitUntil(sync(c, upstream, copy, breaker));
    return copy;
  }

  return {
    // Without a circuit on any upstream the guard has nothing to check.
    guard:
      breakers.size === 0
        ? passThrough
        : async function circuitBreaker(c, next) {
            const upstream = c.get("route")?.config.upstream;
            const breaker = upstream === undefined ? undefined : breakers.get(upstream);
            if (upstream === undefined || !breaker) return next();
            const copy = refreshedCopy(c, upstream, breaker);
            if (breaker.health && everyEndpointDown(breaker.health, copy)) throw allUnhealthy(breaker.health.intervalMs);
            const { config } = breaker;
            if (!config) return next();
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

    allDown(c, upstream) {
      const breaker = breakers.get(upstream);
      return breaker?.health !== undefined && everyEndpointDown(breaker.health, refreshedCopy(c, upstream, breaker));
    },

    healthyEndpoints(upstream, endpoints) {
      const copy = breakers.has(upstream) ? cache.peek(upstream) : undefined;
      if (!copy) return [...endpoints];
      const up = copy.down.size === 0 ? endpoints : endpoints.filter((endpoint) => !copy.down.has(endpoint));
      // Every one down: the guard refused the request unless the checks' verdict arrived since; the circuit decides.
      return healthyEndpoints(copy.circuit, up.length > 0 ? up : endpoints, clock());
    },

    record(c, upstream, endpoint, status) {
      const breaker = breakers.get(upstream);
      const config = breaker?.config;
      if (!breaker || !config) return;
      const counts = status === undefined || breaker.failureStatuses.has(status) ? FAILURE : SUCCESS;
      const copy = cache.copy(upstream);
      const now = clock();
      // Probes' outcomes (the copy not closed) decide the circuit: they go at once, like failures.
      if (counts === FAILURE || copy.circuit.state !== "closed") copy.urgent = true;
      applyCounts(copy.circuit, config, endpoint, now, counts, now);
      let window = copy.pending.get(endpoint);
      if (!window) copy.pending.set(endpoint, (window = []));
      addCounts(window, config.windowMs, now, counts, now);
      if (copy.urgent) c.executionCtx.waitUntil(sync(c, upstream, copy, breaker));
    },
  };
};
