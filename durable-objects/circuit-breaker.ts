/**
 * One circuit per upstream (`CIRCUIT_BREAKER.getByName(upstreamName)`): the single truth about
 * whether the gateway should send it traffic. Isolates keep a short-lived copy and report
 * outcomes as counts per endpoint and slice of time: failures at once, successes with their
 * next refresh, so a healthy request costs no call to this object (see
 * worker/policies/circuit-breaker).
 *
 * Time-driven transitions run on the object's alarm, not on the next request: open becomes
 * half-open when `timeout` has passed even if no traffic arrives, and probes that never report
 * back re-open the circuit. The alarm always stands for "the next transition is due", so the
 * handler applies it without comparing clocks (and `runDurableObjectAlarm` in tests is exact).
 * State lives in SQLite storage (synchronous KV API) and survives eviction.
 */
import { DurableObject } from "cloudflare:workers";
import {
  applyCounts,
  close,
  closedCircuit,
  halfOpen,
  open,
  pruneEndpoints,
  toSnapshot,
  type CircuitConfig,
  type CircuitSnapshot,
  type CircuitState,
  type EndpointCounts,
} from "./circuit-state";

export type { CircuitConfig, CircuitSnapshot, EndpointCounts } from "./circuit-state";

export interface ProbeResult {
  /** True: send this request (the circuit is half-open and a probe slot was free, or it is closed). */
  granted: boolean;
  /** Refused: ms before asking again. */
  retryAfterMs: number;
  snapshot: CircuitSnapshot;
}

export interface CircuitView extends CircuitSnapshot {
  /** The config of the latest call; undefined before the first. */
  config?: CircuitConfig;
  probesIssued: number;
  probeSuccesses: number;
}

const STATE_KEY = "circuit";
const CONFIG_KEY = "config";
/** A refused probe asks again after this long at most. */
const PROBE_RETRY_MS = 1_000;

/**
 * The stored state, or a closed circuit. State stored before the rolling windows (consecutive
 * failure counts) keeps its state, timers and ejections and starts with empty windows.
 */
function upgraded(stored: CircuitState | undefined): CircuitState {
  if (!stored) return closedCircuit();
  if (Array.isArray(stored.window)) return stored;
  const endpoints = Object.entries(stored.endpoints).map(([endpoint, { ejectedUntil }]) => [endpoint, { window: [], ejectedUntil }]);
  return { ...stored, window: [], endpoints: Object.fromEntries(endpoints) };
}

export class CircuitBreaker extends DurableObject<unknown> {
  #circuit: CircuitState;

  constructor(ctx: DurableObjectState, env: unknown) {
    super(ctx, env);
    this.#circuit = upgraded(ctx.storage.kv.get<CircuitState>(STATE_KEY));
  }

  /**
   * An isolate's outcomes since its last report, oldest first (none: a refresh); answers with
   * the state after them. Storage is written only when there was something to count.
   */
  async report(batch: { config: CircuitConfig; counts: EndpointCounts[] }): Promise<CircuitSnapshot> {
    const now = Date.now();
    const { config, counts } = batch;
    if (counts.length > 0) {
      for (const { endpoint, ageMs, requests, failures } of counts)
        applyCounts(this.#circuit, config, endpoint, now - Math.max(0, ageMs), { requests, failures }, now);
      pruneEndpoints(this.#circuit, config, now);
      await this.#save(config);
    }
    return toSnapshot(this.#circuit, config, now);
  }

  /** Asked by an isolate whose copy says open-and-expired or half-open: may this request go? */
  async acquireProbe(config: CircuitConfig): Promise<ProbeResult> {
    const now = Date.now();
    const circuit = this.#circuit;
    let granted = circuit.state === "closed";
    // A probe that succeeded frees its slot, so success_threshold may exceed half_open_requests.
    if (circuit.state === "half_open" && circuit.probesIssued - circuit.probeSuccesses < config.halfOpenRequests) {
      circuit.probesIssued += 1;
      // The newest probe's deadline: the round is lost only when no probe reported for that long.
      circuit.probeDeadline = now + config.probeTimeoutMs;
      granted = true;
      await this.#save(config);
    }
    const retryAfterMs = granted
      ? 0
      : circuit.state === "open"
        ? Math.max(0, circuit.openUntil - now)
        : Math.min(PROBE_RETRY_MS, Math.max(0, circuit.probeDeadline - now));
    return { granted, retryAfterMs, snapshot: toSnapshot(circuit, config, now) };
  }

  state(): CircuitView {
    const { probesIssued, probeSuccesses } = this.#circuit;
    const config = this.ctx.storage.kv.get<CircuitConfig>(CONFIG_KEY);
    return { ...toSnapshot(this.#circuit, config, Date.now()), config, probesIssued, probeSuccesses };
  }

  /** Closes the circuit and forgets every endpoint's failures (admin reset). */
  async reset(): Promise<CircuitSnapshot> {
    this.#circuit = closedCircuit();
    await this.#save(undefined);
    return toSnapshot(this.#circuit, undefined, Date.now());
  }

  override async alarm(): Promise<void> {
    const circuit = this.#circuit;
    if (circuit.state === "open") halfOpen(circuit);
    else if (circuit.state === "half_open" && circuit.probeDeadline > 0) {
      const config = this.ctx.storage.kv.get<CircuitConfig>(CONFIG_KEY);
      if (config) open(circuit, config, Date.now());
      else close(circuit);
    }
    await this.#save(undefined);
  }

  /** Persists the state and points the alarm at the next time-driven transition. */
  async #save(config: CircuitConfig | undefined): Promise<void> {
    if (config) this.ctx.storage.kv.put(CONFIG_KEY, config);
    this.ctx.storage.kv.put(STATE_KEY, this.#circuit);
    const due =
      this.#circuit.state === "open" ? this.#circuit.openUntil : this.#circuit.state === "half_open" ? this.#circuit.probeDeadline : 0;
    if (due === 0) await this.ctx.storage.deleteAlarm();
    else if ((await this.ctx.storage.getAlarm()) !== due) await this.ctx.storage.setAlarm(due);
  }
}
