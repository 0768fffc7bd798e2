/**
 * The circuit breaker's state machine, shared by the CircuitBreaker object (the truth, one per
 * upstream) and each isolate's short-lived copy (which applies its own outcomes at once, so the
 * request after the one that trips the circuit is already refused, before the batch reaches the
 * object). Times are absolute ms on the holder's clock; snapshots carry durations instead, so
 * no two clocks are ever compared.
 *
 *   closed ──the window trips (below)──► open
 *   open ──timeout elapsed (the object's alarm)──► half_open
 *   half_open ──success_threshold probe successes in a row──► closed
 *   half_open ──a failure, or a probe that never reports back──► open
 *
 * The window trips when, within the rolling `window`, there were at least `minimum_requests`
 * requests, at least `failure_threshold` failures, and failures make at least `failure_ratio`
 * of the requests. What a failure is (no answer in time, no connection, a status of
 * `failure_status_codes`) the isolate decides; here a failure is a failure. The ratio and the
 * minimum are what keep one client from opening the circuit for everyone: the failures it can
 * provoke are drowned by everyone else's successes.
 *
 * Endpoints are tracked beside the circuit (Envoy's outlier ejection) by the same rule over
 * their own window: an endpoint that trips it is ejected for `timeout` while the others serve.
 * The circuit counts the endpoints in service: an ejected endpoint's counts leave its window
 * (one dead endpoint of two must not open the circuit on the healthy one), and the last endpoint
 * in service is never ejected (Envoy's max_ejection_percent): the circuit decides for it.
 */
import { addCounts, aged, fromAged, subtractWindow, totals, type AgedCounts, type Counts, type RollingWindow } from "./rolling-window";

export interface CircuitConfig {
  failureThreshold: number;
  minimumRequests: number;
  /** 0 < ratio ≤ 1. */
  failureRatio: number;
  /** The rolling window the three above are counted in, ms. */
  windowMs: number;
  /** How long the circuit stays open, and an endpoint ejected, ms. */
  timeoutMs: number;
  /** Probe requests in flight at once while half-open. */
  halfOpenRequests: number;
  /** Successful probes in a row that close a half-open circuit. */
  successThreshold: number;
  /** A probe that has not reported after this long counts as failed, ms. */
  probeTimeoutMs: number;
  /** How many endpoints the upstream has: the last one in service is never ejected. */
  endpointCount: number;
}

export type CircuitStateName = "closed" | "open" | "half_open";

export interface EndpointState {
  window: RollingWindow;
  /** 0 when not ejected. */
  ejectedUntil: number;
}

export interface CircuitState {
  state: CircuitStateName;
  /** The upstream's requests and failures (counted while closed). */
  window: RollingWindow;
  /** open: when it becomes half-open. */
  openUntil: number;
  probesIssued: number;
  probeSuccesses: number;
  /** half_open with probes out: when they count as failed; 0 otherwise. */
  probeDeadline: number;
  endpoints: Record<string, EndpointState>;
}

/** Outcomes of one endpoint in one slice of time, as an isolate reports them: `ageMs` ago. */
export interface EndpointCounts extends AgedCounts {
  endpoint: string;
}

export interface EndpointSnapshot extends Counts {
  endpoint: string;
  ejectedForMs: number;
  window: AgedCounts[];
}

/** What an isolate needs to know, with durations instead of times. */
export interface CircuitSnapshot extends Counts {
  state: CircuitStateName;
  /** open: ms until half-open. */
  retryAfterMs: number;
  window: AgedCounts[];
  /** Endpoints with requests in their window, or ejected. */
  endpoints: EndpointSnapshot[];
}

export function closedCircuit(): CircuitState {
  return { state: "closed", window: [], openUntil: 0, probesIssued: 0, probeSuccesses: 0, probeDeadline: 0, endpoints: {} };
}

/** The rule both the circuit and each endpoint trip by. */
function trips({ requests, failures }: Counts, config: CircuitConfig): boolean {
  return requests >= config.minimumRequests && failures >= config.failureThreshold && failures >= config.failureRatio * requests;
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

/** Closed with an empty window: the failures that opened it are behind it. */
export function close(circuit: CircuitState): void {
  circuit.state = "closed";
  circuit.window = [];
  circuit.openUntil = 0;
  resetProbes(circuit);
}

export function halfOpen(circuit: CircuitState): void {
  circuit.state = "half_open";
  circuit.openUntil = 0;
  resetProbes(circuit);
}

/**
 * Applies outcomes of one endpoint that happened at `at`. While open they are ignored for the
 * circuit (they belong to requests sent before it opened). While half-open they are the
 * probes': any failure opens again, before the successes of the same slice are counted.
 */
export function applyCounts(circuit: CircuitState, config: CircuitConfig, endpoint: string, at: number, counts: Counts, now: number): void {
  const tracked = (circuit.endpoints[endpoint] ??= { window: [], ejectedUntil: 0 });
  addCounts(tracked.window, config.windowMs, at, counts, now);
  // Outcomes of an ejected endpoint (requests sent before it was ejected) are its own.
  const inService = tracked.ejectedUntil <= now;
  const closed = circuit.state === "closed";
  if (closed && inService) addCounts(circuit.window, config.windowMs, at, counts, now);
  if (
    counts.failures > 0 &&
    inService &&
    trips(totals(tracked.window, config.windowMs, now), config) &&
    inServiceCount(circuit, config, now) > 1
  ) {
    tracked.ejectedUntil = now + config.timeoutMs;
    if (closed) return subtractWindow(circuit.window, tracked.window);
  }
  if (closed) {
    if (counts.failures > 0 && trips(totals(circuit.window, config.windowMs, now), config)) open(circuit, config, now);
  } else if (circuit.state === "half_open") {
    if (counts.failures > 0) open(circuit, config, now);
    else if ((circuit.probeSuccesses += counts.requests) >= config.successThreshold) close(circuit);
  }
}

function inServiceCount(circuit: CircuitState, config: CircuitConfig, now: number): number {
  let ejected = 0;
  for (const { ejectedUntil } of Object.values(circuit.endpoints)) if (ejectedUntil > now) ejected++;
  return config.endpointCount - ejected;
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

export function toSnapshot(circuit: CircuitState, config: Pick<CircuitConfig, "windowMs"> | undefined, now: number): CircuitSnapshot {
  // Before any config (never reported to, or reset) every window is empty.
  const windowMs = config?.windowMs ?? 0;
  const endpoints: EndpointSnapshot[] = [];
  for (const [endpoint, { window, ejectedUntil }] of Object.entries(circuit.endpoints)) {
    const counts = totals(window, windowMs, now);
    const ejectedForMs = Math.max(0, ejectedUntil - now);
    if (counts.requests > 0 || ejectedForMs > 0) endpoints.push({ endpoint, ...counts, ejectedForMs, window: aged(window, windowMs, now) });
  }
  return {
    state: circuit.state,
    ...totals(circuit.window, windowMs, now),
    retryAfterMs: circuit.state === "open" ? Math.max(0, circuit.openUntil - now) : 0,
    window: aged(circuit.window, windowMs, now),
    endpoints,
  };
}

export function fromSnapshot(snapshot: CircuitSnapshot, config: CircuitConfig, now: number): CircuitState {
  const circuit = closedCircuit();
  circuit.state = snapshot.state;
  circuit.window = fromAged(snapshot.window, config.windowMs, now);
  circuit.openUntil = snapshot.state === "open" ? now + snapshot.retryAfterMs : 0;
  for (const { endpoint, window, ejectedForMs } of snapshot.endpoints) {
    circuit.endpoints[endpoint] = {
      window: fromAged(window, config.windowMs, now),
      ejectedUntil: ejectedForMs > 0 ? now + ejectedForMs : 0,
    };
  }
  return circuit;
}

/** Forgets endpoints with nothing left in their window and no ejection, so the state stays small. */
export function pruneEndpoints(circuit: CircuitState, config: CircuitConfig, now: number): void {
  for (const [endpoint, { window, ejectedUntil }] of Object.entries(circuit.endpoints)) {
    if (ejectedUntil <= now && totals(window, config.windowMs, now).requests === 0) delete circuit.endpoints[endpoint];
  }
}
