/**
 * One circuit per upstream (`CIRCUIT_BREAKER.getByName(upstreamName)`): the single truth about
 * whether the gateway should send it traffic. Isolates keep a short-lived copy and report
 * outcomes in batches, so a healthy request costs no call to this object (see
 * worker/policies/circuit-breaker).
 *
 * Time-driven transitions run on the object's alarm, not on the next request: open becomes
 * half-open when `timeout` has passed even if no traffic arrives, and probes that never report
 * back re-open the circuit. The alarm always stands for "the next transition is due", so the
 * handler applies it without comparing clocks (and `runDurableObjectAlarm` in tests is exact).
 * State lives in SQLite storage (synchronous KV API) and survives eviction.
 */
import { DurableObject } from "cloudflare:workers";
import type { Env } from "../worker/env";
import {
  applyOutcome,
  close,
  closedCircuit,
  halfOpen,
  open,
  toSnapshot,
  type CircuitConfig,
  type CircuitSnapshot,
  type CircuitState,
  type Outcome,
} from "./circuit-state";

export type { CircuitConfig, CircuitSnapshot, Outcome } from "./circuit-state";

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

export class CircuitBreaker extends DurableObject<Env> {
  #circuit: CircuitState;

  constructor(ctx: DurableObjectState, env: Env) {
    super(ctx, env);
    this.#circuit = ctx.storage.kv.get<CircuitState>(STATE_KEY) ?? closedCircuit();
  }

  /** A batch of outcomes, in the order the isolate saw them; answers with the state after them. */
  async report(batch: { config: CircuitConfig; outcomes: Outcome[] }): Promise<CircuitSnapshot> {
    const now = Date.now();
    for (const outcome of batch.outcomes) applyOutcome(this.#circuit, batch.config, outcome, now);
    await this.#save(batch.config);
    return toSnapshot(this.#circuit, now);
  }

  /** Asked by an isolate whose copy says open-and-expired or half-open: may this request go? */
  async acquireProbe(config: CircuitConfig): Promise<ProbeResult> {
    const now = Date.now();
    const circuit = this.#circuit;
    let granted = circuit.state === "closed";
    if (circuit.state === "half_open" && circuit.probesIssued < config.halfOpenRequests) {
      circuit.probesIssued += 1;
      if (circuit.probeDeadline === 0) circuit.probeDeadline = now + config.probeTimeoutMs;
      granted = true;
      await this.#save(config);
    }
    const retryAfterMs = granted ? 0 : circuit.state === "open" ? Math.max(0, circuit.openUntil - now) : Math.min(PROBE_RETRY_MS, Math.max(0, circuit.probeDeadline - now));
    return { granted, retryAfterMs, snapshot: toSnapshot(circuit, now) };
  }

  state(): CircuitView {
    const { probesIssued, probeSuccesses } = this.#circuit;
    return { ...toSnapshot(this.#circuit, Date.now()), config: this.ctx.storage.kv.get<CircuitConfig>(CONFIG_KEY), probesIssued, probeSuccesses };
  }

  /** Closes the circuit and forgets every endpoint's failures (admin reset). */
  async reset(): Promise<CircuitSnapshot> {
    this.#circuit = closedCircuit();
    await this.#save(undefined);
    return toSnapshot(this.#circuit, Date.now());
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
    const due = this.#circuit.state === "open" ? this.#circuit.openUntil : this.#circuit.state === "half_open" ? this.#circuit.probeDeadline : 0;
    if (due === 0) await this.ctx.storage.deleteAlarm();
    else if ((await this.ctx.storage.getAlarm()) !== due) await this.ctx.storage.setAlarm(due);
  }
}
