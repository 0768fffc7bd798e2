/**
 * The gateway's two stateful protections, for operators to see and reset: rate-limit counters
 * (one RateLimiter object per counter) and upstream circuits (one CircuitBreaker object per
 * upstream), both in durable-objects/. A reset reads the object's state, writes a `state_reset`
 * audit row naming it (refused with 503 when the row cannot be written), resets the object, and
 * clears this isolate's local copy; other isolates follow at their next call or refresh, within
 * the bounds each endpoint's description states.
 */
import { HTTPException } from "hono/http-exception";
import type { z } from "zod";
import type { CircuitSnapshot, UpstreamSnapshot } from "../../durable-objects/circuit-breaker";
import type { CounterView } from "../../durable-objects/rate-limiter";
import { bucketsOf } from "../../durable-objects/token-bucket";
import { writeAuditEvent } from "../audit";
import type { UpstreamConfig } from "../config/schema";
import { maskValues } from "../config/variable-fields";
import { variableValue } from "../http/schema-kit/variables";
import { auditUnavailable } from "../audit/change-author";
import { httpError } from "../http/errors";
import { forgetCircuit } from "../policies/circuit-breaker";
import type { AiProvider } from "../policies/ai-gateway";
import { PROVIDER_HEALTH, providerHealthObject } from "../policies/ai-gateway/health";
import { forgetRateLimitCounter } from "../policies/rate-limit";
import { DENY_RECHECK_MS } from "../limits/local-limiter";
import { changeAuthor, type AdminContext, type AdminEndpoint } from "./context";
import { notFound } from "./http";
import type { aiProviderHealthSchema, circuitStateSchema, healthCheckStateSchema, rateLimitStateSchema } from "./schemas";
import { compiledConfigOf } from "../pipeline/request-context";
import { log, errorName } from "../observability/logger";

type RateLimitState = z.output<typeof rateLimitStateSchema>;
type CircuitState = z.output<typeof circuitStateSchema>;
type HealthCheckState = z.output<typeof healthCheckStateSchema>;
type AiProviderHealth = z.output<typeof aiProviderHealthSchema>;

/** `<scope>|<key>`, the scope being what worker/policies/rate-limit names counters with. */
const COUNTER_NAME = /^(?:default|route=[^|]+|consumer=[^|]+)\|./s;
const MAX_COUNTER_NAME = 1024;

/** An object call that failed (unreachable, overloaded): 503, nothing changed. */
export async function fromObject<T>(store: "rate_limit" | "circuit", operation: () => Promise<T>): Promise<T> {
  try {
    return await operation();
  } catch (error) {
    if (error instanceof HTTPException) throw error;
    const overloaded = (error as { overloaded?: unknown } | null)?.overloaded === true;
    log.error(`${store}_store_unavailable`, { name: errorName(error), overloaded });
    const what = store === "rate_limit" ? "the rate-limit counter" : "the circuit";
    throw httpError(`${store}_store_unavailable`, `${what} (a Durable Object) cannot be reached; retry shortly`, {
      headers: { "Retry-After": "1" },
    });
  }
}

/** The audit row of a reset, written before it. */
export async function auditReset(
  c: AdminContext,
  action: "rate_limit_reset" | "circuit_reset" | "ai_budget_reset",
  target: string,
  details: Record<string, unknown>,
): Promise<void> {
  try {
    await writeAuditEvent(c.env, { event: "state_reset", action, target, ...changeAuthor(c), details });
  } catch (error) {
    throw auditUnavailable(error);
  }
}

// ---------------------------------------------------------------- rate-limit counters

function counterName(c: AdminContext): string {
  const name = c.req.param("key")!;
  if (name.length > MAX_COUNTER_NAME || !COUNTER_NAME.test(name)) {
    throw httpError("invalid_rate_limit_key");
  }
  return name;
}

function rateLimitState(name: string, view: CounterView): RateLimitState {
  const { rate, windows } = view.limits;
  return {
    key: name,
    limits: {
      requests_per_second: rate,
      burst: bucketsOf(view.limits).find((bucket) => bucket.name === "burst")?.capacity,
      requests_per_minute: windows?.minute,
      requests_per_hour: windows?.hour,
    },
    buckets: view.buckets.map(({ name: bucket, remaining, resetMs }) => ({ name: bucket, remaining, reset_ms: resetMs })),
    leased_tokens: view.leasedTokens,
    calls: view.calls,
  };
}

async function readCounter(c: AdminContext) {
  const name = counterName(c);
  const stub = c.env.RATE_LIMITER.getByName(name);
  const view = await fromObject("rate_limit", () => stub.state());
  if (!view) throw notFound(`rate-limit counter "${name}"`);
  return { name, stub, state: rateLimitState(name, view) };
}

async function resetCounter(c: AdminContext) {
  const { name, stub, state } = await readCounter(c);
  await auditReset(c, "rate_limit_reset", `rate-limits/${name}`, {
    limiter: name,
    buckets: state.buckets,
    leased_tokens: state.leased_tokens,
  });
  await fromObject("rate_limit", () => stub.reset());
  forgetRateLimitCounter(name);
  return c.json({ key: name, reset: true as const, previous: state });
}

// ---------------------------------------------------------------- circuits

type CircuitUpstream = UpstreamConfig & { circuit_breaker: NonNullable<UpstreamConfig["circuit_breaker"]> };

function withCircuit(upstream: UpstreamConfig): upstream is CircuitUpstream {
  return upstream.circuit_breaker?.enabled === true;
}

/** The object's view (a snapshot after a reset: no probes) with the thresholds of the config in force. */
function circuitState(upstream: CircuitUpstream, view: CircuitSnapshot & { probesIssued?: number; probeSuccesses?: number }): CircuitState {
  const breaker = upstream.circuit_breaker;
  return {
    upstream: upstream.name,
    state: view.state,
    requests: view.requests,
    failures: view.failures,
    retry_after_ms: view.retryAfterMs,
    probes_issued: view.probesIssued ?? 0,
    probe_successes: view.probeSuccesses ?? 0,
    endpoints: view.endpoints.map(({ endpoint, requests, failures, ejectedForMs }) => ({
      endpoint,
      requests,
      failures,
      ejected_for_ms: ejectedForMs,
    })),
    failure_threshold: breaker.failure_threshold,
    minimum_requests: breaker.minimum_requests,
    failure_ratio: breaker.failure_ratio,
    window_ms: breaker.window,
    failure_status_codes: breaker.failure_status_codes,
    timeout_ms: breaker.timeout,
    half_open_requests: breaker.half_open_requests,
    success_threshold: breaker.success_threshold,
  };
}

type CheckedUpstream = UpstreamConfig & { health_check: NonNullable<UpstreamConfig["health_check"]> };

/** The health checks' verdicts the object holds, with the settings of the config in force. */
function healthCheckState(upstream: CheckedUpstream, view: UpstreamSnapshot, values: readonly string[]): HealthCheckState {
  const spec = upstream.health_check;
  return {
    upstream: upstream.name,
    endpoints_down: view.down,
    // A path written with `${VAR}` references holds their values in the config in force: masked.
    path: maskValues(spec.path, values),
    interval_ms: spec.interval,
    healthy_threshold: spec.healthy_threshold,
    unhealthy_threshold: spec.unhealthy_threshold,
  };
}

/** A provider's health checks (policies/ai-gateway/health.ts): down when its one endpoint, its name, is. */
function aiProviderHealth(provider: AiProvider & { health_path: string }, view: UpstreamSnapshot): AiProviderHealth {
  return {
    provider: provider.name,
    down: view.down.includes(provider.name),
    path: provider.health_path,
    interval_ms: PROVIDER_HEALTH.intervalMs,
    healthy_threshold: PROVIDER_HEALTH.healthyThreshold,
    unhealthy_threshold: PROVIDER_HEALTH.unhealthyThreshold,
  };
}

async function listCircuits(c: AdminContext) {
  const { config, version, variables } = compiledConfigOf(c);
  const values = variables.flatMap((name) => variableValue(c.env, name) ?? []);
  const circuited = config.upstreams.filter(withCircuit);
  const checked = config.upstreams.filter((upstream): upstream is CheckedUpstream => upstream.health_check !== undefined);
  const providers = (config.ai_gateway?.providers ?? []).filter(
    (provider): provider is AiProvider & { health_path: string } => provider.health_path !== undefined,
  );
  // One object per upstream holds both: one call each, whichever of the two it has.
  const names = [
    ...new Set([...circuited, ...checked].map((upstream) => upstream.name)),
    ...providers.map((provider) => providerHealthObject(provider.name)),
  ];
  const views = await fromObject("circuit", () => Promise.all(names.map((name) => c.env.CIRCUIT_BREAKER.getByName(name).state())));
  const viewOf = (name: string) => views[names.indexOf(name)]!;
  return c.json({
    version,
    circuits: circuited.map((upstream) => circuitState(upstream, viewOf(upstream.name))),
    health_checks: checked.map((upstream) => healthCheckState(upstream, viewOf(upstream.name), values)),
    ai_provider_health_checks: providers.map((provider) => aiProviderHealth(provider, viewOf(providerHealthObject(provider.name)))),
  });
}

async function resetCircuit(c: AdminContext) {
  const name = c.req.param("upstream")!;
  const upstream = compiledConfigOf(c).config.upstreams.find((candidate) => candidate.name === name);
  if (!upstream) throw notFound(`upstream "${name}"`);
  if (!withCircuit(upstream))
    throw httpError(
      "not_found",
      `upstream "${name}" has no circuit_breaker enabled in the config in force (version ${compiledConfigOf(c).version})`,
    );
  const stub = c.env.CIRCUIT_BREAKER.getByName(name);
  const before = await fromObject("circuit", () => stub.state());
  await auditReset(c, "circuit_reset", `circuits/${name}`, {
    previous_state: before.state,
    failures: before.failures,
    ejected_endpoints: before.endpoints.filter((endpoint) => endpoint.ejectedForMs > 0).map((endpoint) => endpoint.endpoint),
  });
  const after = await fromObject("circuit", () => stub.reset());
  forgetCircuit(name);
  return c.json({ ...circuitState(upstream, after), previous_state: before.state });
}

// ---------------------------------------------------------------- the table

export const objectUnavailable = { description: "The Durable Object cannot be reached; nothing changed.", schema: "Error" } as const;
const recheckSeconds = DENY_RECHECK_MS / 1000;

export const protectionEndpoints: AdminEndpoint[] = [
  {
    method: "GET",
    path: "/rate-limits/:key{.+}",
    summary: "One rate-limit counter",
    description:
      "`key` is the counter's name `<scope>|<key>`, percent-encoded (`default%7C203.0.113.7`): scope `default`, `route=<id>` or `consumer=<id>`, and the evaluated `rate_limit.key`, as `details.limiter` of the rate_limit audit rows. Shows the buckets refilled to now; takes no token.",
    responses: {
      200: { description: "The counter.", schema: "RateLimitState" },
      400: { description: "Not a counter name.", schema: "Error" },
      404: { description: "No such counter: no request was counted under this name since it was created or reset.", schema: "Error" },
      503: objectUnavailable,
    },
    handler: async (c) => c.json((await readCounter(c)).state),
  },
  {
    method: "DELETE",
    path: "/rate-limits/:key{.+}",
    summary: "Reset a rate-limit counter",
    description: `The counter starts again with full buckets. Audited first as state_reset/rate_limit_reset (the buckets before the reset). Applies at once in the isolate that served it. Other isolates may still admit from the leases they hold (at most about one second of their share of the rate) and refuse from their deny-caches for at most ${recheckSeconds} s (+25 % jitter) and one round trip, after which they ask the counter again.`,
    responses: {
      200: { description: "Reset; `previous` is the counter before.", schema: "RateLimitReset" },
      400: { description: "Not a counter name.", schema: "Error" },
      404: { description: "No such counter: nothing to reset.", schema: "Error" },
      503: { description: "The Durable Object or the audit log (D1) cannot be reached; nothing changed.", schema: "Error" },
    },
    handler: resetCounter,
  },
  {
    method: "GET",
    path: "/circuits",
    summary: "The circuit of every upstream with a circuit breaker, and the health checks' verdicts",
    description:
      "The state each upstream's CircuitBreaker object holds, with the thresholds of the config in force: its circuit, and the endpoints its health checks found down; and whether each AI provider with a health_path is down. Isolates act on copies refreshed every 2 s.",
    responses: { 200: { description: "The circuits.", schema: "CircuitList" }, 503: objectUnavailable },
    handler: listCircuits,
  },
  {
    method: "POST",
    path: "/circuits/:upstream/reset",
    summary: "Close an upstream's circuit",
    description:
      "Closes the circuit and forgets every endpoint's failures and ejection. Audited first as state_reset/circuit_reset (the state before). Applies at once in the isolate that served it; other isolates take it at their next refresh of their copy, within 2 s and a round trip of their next request.",
    responses: {
      200: { description: "Closed; `previous_state` is the state before.", schema: "CircuitReset" },
      404: { description: "No such upstream in the config in force, or it has no circuit breaker.", schema: "Error" },
      503: { description: "The Durable Object or the audit log (D1) cannot be reached; nothing changed.", schema: "Error" },
    },
    handler: resetCircuit,
  },
];
