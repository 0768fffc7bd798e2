/**
 * The circuit breaker's state machine, shared by the CircuitBreaker object (the truth, one per
 * upstream) and each isolate's short-lived copy (which applies its own outcomes at once, so the
 * request after the one that trips the circuit is already refused, before the batch reaches the
 * object). Times are absolute ms on the holder's clock; snapshots carry durations instead, so
 * no two clocks are ever compared.
 *
 *   closed ──failure_threshold consecutive failures──► open
 *   open ──timeout elapsed (the object's alarm)──► half_open
 *   half_open ──half_open_requests probe successes──► closed
 *   half_open ──a failure, or a probe that never reports back──► open
 *
 * Endpoints are tracked beside the circuit (Envoy's outlier ejection): an endpoint with
 * failure_threshold consecutive failures is ejected for `timeout` while the others serve.
 */

export interface CircuitConfig {
  failureThreshold: number;
  /** How long the circuit stays open, and an endpoint ejected, ms. */
  timeoutMs: number;
  /** Probe requests let through while half-open; all must succeed to close. */
  halfOpenRequests: number;
  /** A probe that has not reported after this long counts as failed, ms. */
  probeTimeoutMs: number;
}

export type CircuitStateName = "closed" | "open" | "half_open";

export interface EndpointState {
  failures: number;
  /** 0 when not ejected. */
  ejectedUntil: number;
}

export interface CircuitState {
  state: CircuitStateName;
  /** Consecutive failures (closed). */
  failures: number;
  /** open: when it becomes half-open. */
  openUntil: number;
  probesIssued: number;
  probeSuccesses: number;
  /** half_open with probes out: when they count as failed; 0 otherwise. */
  probeDeadline: number;
  endpoints: Record<string, EndpointState>;
}

export interface Outcome {
  endpoint: string;
  ok: boolean;
}

/** What an isolate needs to know, with durations instead of times. */
export interface CircuitSnapshot {
  state: CircuitStateName;
  failures: number;
  /** open: ms until half-open. */
  retryAfterMs: number;
  endpoints: { endpoint: string; failures: number; ejectedForMs: number }[];
}

export function closedCircuit(): CircuitState {
  return { state: "closed", failures: 0, openUntil: 0, probesIssued: 0, probeSuccesses: 0, probeDeadline: 0, endpoints: {} };
}

/** Every transition starts a fresh probe round: none issued, none succeeded, no deadline. */
function resetProbes(circuit: CircuitState): void {
  circuit.probesIssued = 0;
  circuit.probeSuccesses = 0;
  circuit.probeDeadline = 0;
}

export function open(circuit: CircuitState, config: CircuitConfig, now: number): void {
  circuit.state = "open";
  circuit.openUntil = now + config.timeoutMs;
  resetProbes(circuit);
}

export function close(circuit: CircuitState): void {
  circuit.state = "closed";
  circuit.failures = 0;
  circuit.openUntil = 0;
  resetProbes(circuit);
}

export function halfOpen(circuit: CircuitState): void {
  circuit.state = "half_open";
  circuit.openUntil = 0;
  resetProbes(circuit);
}

/** Applies one upstream outcome. Outcomes reported while open belong to requests sent before it opened: ignored. */
export function applyOutcome(circuit: CircuitState, config: CircuitConfig, outcome: Outcome, now: number): void {
  if (outcome.ok) {
    delete circuit.endpoints[outcome.endpoint];
  } else {
    // An ejection that ran out leaves the count at the threshold: one more failure ejects again.
    const endpoint = (circuit.endpoints[outcome.endpoint] ??= { failures: 0, ejectedUntil: 0 });
    endpoint.failures += 1;
    if (endpoint.failures >= config.failureThreshold && endpoint.ejectedUntil <= now) endpoint.ejectedUntil = now + config.timeoutMs;
  }
  if (circuit.state === "closed") {
    circuit.failures = outcome.ok ? 0 : circuit.failures + 1;
    if (circuit.failures >= config.failureThreshold) open(circuit, config, now);
  } else if (circuit.state === "half_open") {
    if (!outcome.ok) open(circuit, config, now);
    else if (++circuit.probeSuccesses >= config.halfOpenRequests) close(circuit);
  }
}

export function isEjected(circuit: CircuitState, endpoint: string, now: number): boolean {
  return (circuit.endpoints[endpoint]?.ejectedUntil ?? 0) > now;
}

/**
 * The endpoints worth trying, in the given order. When every one is ejected, all of them
 * (Envoy's panic routing): the circuit itself decides whether the upstream is tried at all.
 */
export function healthyEndpoints(circuit: CircuitState | undefined, endpoints: readonly string[], now: number): string[] {
  if (!circuit) return [...endpoints];
  const healthy = endpoints.filter((endpoint) => !isEjected(circuit, endpoint, now));
  return healthy.length > 0 ? healthy : [...endpoints];
}

export function toSnapshot(circuit: CircuitState, now: number): CircuitSnapshot {
  return {
    state: circuit.state,
    failures: circuit.failures,
    retryAfterMs: circuit.state === "open" ? Math.max(0, circuit.openUntil - now) : 0,
    endpoints: Object.entries(circuit.endpoints).map(([endpoint, { failures, ejectedUntil }]) => ({
      endpoint,
      failures,
      ejectedForMs: Math.max(0, ejectedUntil - now),
    })),
  };
}

export function fromSnapshot(snapshot: CircuitSnapshot, now: number): CircuitState {
  const circuit = closedCircuit();
  circuit.state = snapshot.state;
  circuit.failures = snapshot.failures;
  circuit.openUntil = snapshot.state === "open" ? now + snapshot.retryAfterMs : 0;
  for (const { endpoint, failures, ejectedForMs } of snapshot.endpoints) {
    circuit.endpoints[endpoint] = { failures, ejectedUntil: ejectedForMs > 0 ? now + ejectedForMs : 0 };
  }
  return circuit;
}
