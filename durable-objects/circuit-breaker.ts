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
 *
 * The object also runs the upstream's active health checks (health-check.ts) on the same alarm:
 * the first isolate that gives it a check spec (with `report`) starts the rounds, each round
 * re-arms the alarm while isolates keep giving the spec, and the rounds stop once none has for
 * HEALTH_STALE_MS. The alarm then stands for the earlier of the circuit's next transition and
 * the next round; a transition not yet due by the clock means the alarm was the round's.
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
import { applyCheck, check, checkHeaders, downEndpoints, isFresh, requested, type HealthCheckSpec, type HealthState } from "./health-check";

export type { CircuitConfig, CircuitSnapshot, EndpointCounts } from "./circuit-state";
export type { HealthCheckSpec } from "./health-check";

/** The circuit's snapshot and the endpoints the health checks found down. */
export interface UpstreamSnapshot extends CircuitSnapshot {
  down: string[];
}

export interface ProbeResult {
  /** True: send this request (the circuit is half-open and a probe slot was free, or it is closed). */
  granted: boolean;
  /** Refused: ms before asking again. */
  retryAfterMs: number;
  snapshot: UpstreamSnapshot;
}

export interface CircuitView extends UpstreamSnapshot {
  /** The config of the latest call; undefined before the first. */
  config?: CircuitConfig;
  probesIssued: number;
  probeSuccesses: number;
}

const STATE_KEY = "circuit";
const CONFIG_KEY = "config";
const HEALTH_KEY = "health";
/** An isolate giving the same spec again is written down only this often: refreshes come every few seconds. */
const ASKED_AT_WRITE_MS = 60_000;
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
  #health: HealthState | undefined;

  constructor(ctx: DurableObjectState, env: unknown) {
    super(ctx, env);
    this.#circuit = upgraded(ctx.storage.kv.get<CircuitState>(STATE_KEY));
    this.#health = ctx.storage.kv.get<HealthState>(HEALTH_KEY);
  }

  /**
   * An isolate's outcomes since its last report, oldest first (none: a refresh), and the
   * upstream's health check spec if it has one (no circuit config: an upstream with health
   * checks and no circuit breaker); answers with the state after them. Storage is written only
   * when there was something to count, or the health checks' schedule changed.
   */
  async report(batch: { config?: CircuitConfig; counts: EndpointCounts[]; health?: HealthCheckSpec }): Promise<UpstreamSnapshot> {
    const now = Date.now();
    const { config, counts, health } = batch;
    let changed = false;
    if (config && counts.length > 0) {
      for (const { endpoint, ageMs, requests, failures } of counts)
        applyCounts(this.#circuit, config, endpoint, now - Math.max(0, ageMs), { requests, failures }, now);
      pruneEndpoints(this.#circuit, config, now);
      changed = true;
    }
    if (health) {
      const before = this.#health;
      this.#health = requested(before, health, now);
      if (this.#health.spec !== before?.spec || now - before.askedAt >= ASKED_AT_WRITE_MS) {
        this.ctx.storage.kv.put(HEALTH_KEY, this.#health);
        changed = true;
      }
    }
    if (changed) await this.#save(config);
    return this.#snapshot(config, now);
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
    return { granted, retryAfterMs, snapshot: this.#snapshot(config, now) };
  }

  state(): CircuitView {
    const { probesIssued, probeSuccesses } = this.#circuit;
    const config = this.ctx.storage.kv.get<CircuitConfig>(CONFIG_KEY);
    return { ...this.#snapshot(config, Date.now()), config, probesIssued, probeSuccesses };
  }

  /** Closes the circuit and forgets every endpoint's failures (admin reset); the health checks' verdicts stay (they are the origin's own answers). */
  async reset(): Promise<UpstreamSnapshot> {
    this.#circuit = closedCircuit();
    await this.#save(undefined);
    return this.#snapshot(undefined, Date.now());
  }

  override async alarm(): Promise<void> {
    const circuit = this.#circuit;
    const now = Date.now();
    const due = this.#circuitDue();
    const health = isFresh(this.#health, now) ? this.#health : undefined;
    if (due > 0 && (due <= now || !health)) {
      if (circuit.state === "open") halfOpen(circuit);
      else {
        const config = this.ctx.storage.kv.get<CircuitConfig>(CONFIG_KEY);
        if (config) open(circuit, config, now);
        else close(circuit);
      }
    } else if (health) await this.#checkRound(health.spec);
    await this.#save(undefined);
  }

  /** Checks every endpoint at once, then applies the outcomes to the spec in force by then (an isolate may have given a new one meanwhile). */
  async #checkRound(spec: HealthCheckSpec): Promise<void> {
    const outcomes = await Promise.all(
      spec.targets.map(async (target) => ({
        endpoint: target.endpoint,
        passed: await check(target.url, spec.timeoutMs, fetch, checkHeaders(target, this.env as Record<string, unknown>)),
      })),
    );
    const health = this.#health;
    if (!health) return;
    const names = new Set(health.spec.targets.map(({ endpoint }) => endpoint));
    for (const { endpoint, passed } of outcomes) if (names.has(endpoint)) applyCheck(health, endpoint, passed);
    // Counted from the round's end: rounds never overlap, whatever the origins' delays.
    health.nextAt = Date.now() + health.spec.intervalMs;
    this.ctx.storage.kv.put(HEALTH_KEY, health);
  }

  #snapshot(config: CircuitConfig | undefined, now: number): UpstreamSnapshot {
    return { ...toSnapshot(this.#circuit, config, now), down: downEndpoints(this.#health) };
  }

  /** When the circuit's next time-driven transition is due; 0 for none. */
  #circuitDue(): number {
    const circuit = this.#circuit;
    return circuit.state === "open" ? circuit.openUntil : circuit.state === "half_open" ? circuit.probeDeadline : 0;
  }

  /** Persists the state and points the alarm at the next transition or health check round, whichever is first. */
  async #save(config: CircuitConfig | undefined): Promise<void> {
    if (config) this.ctx.storage.kv.put(CONFIG_KEY, config);
    this.ctx.storage.kv.put(STATE_KEY, this.#circuit);
    const now = Date.now();
    const times = [this.#circuitDue(), isFresh(this.#health, now) ? this.#health.nextAt : 0].filter((time) => time > 0);
    const due = times.length > 0 ? Math.min(...times) : 0;
    if (due === 0) await this.ctx.storage.deleteAlarm();
    else if ((await this.ctx.storage.getAlarm()) !== due) await this.ctx.storage.setAlarm(due);
  }
}
