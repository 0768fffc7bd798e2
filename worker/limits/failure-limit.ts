/**
 * The isolate's side of failure limits: failed authentications counted per subject (a client
 * block, an admin user name) across all isolates in the rate-limit Durable Objects
 * (`RateLimiter.countFailures`, arithmetic in durable-objects/failure-count.ts), one object per
 * scope and subject, named `failures|<scope>|<subject>`.
 *
 * Off the hot path: whether a subject is blocked is answered from this isolate's deny cache,
 * without an object call, so a request from a client that is not blocked never waits for one
 * (while nothing is blocked the check is one Map size). A failure is reported to the object
 * after the response (the caller's waitUntil), and the object's answer (blocked until when)
 * fills the cache: an isolate learns of a block from the first failure it reports after the
 * block began, so a blocked client gets at most the failures in flight during one round trip
 * per isolate beyond the limit, and an isolate that never saw it fail does not refuse it.
 * Where one more guess matters and calls are rare (admin logins) `confirmedBlockFor` asks the
 * object when the cache knows of no block.
 *
 * One call in flight per subject and isolate: failures that happen meanwhile go with the next
 * call, counted together, so a flood from one client costs about one object call per round
 * trip, not one per request. When the object cannot be reached the failures are not counted
 * (logged once per call): a limiter outage must not lock every client out.
 */
import type { FailureLimitSpec, FailureReport, FailureVerdict } from "../../durable-objects/rate-limiter";
import type { Env } from "../env";
import { errorName, log } from "../observability/logger";

export type { FailureLimitSpec } from "../../durable-objects/rate-limiter";

/** The calls a limiter makes; tests replace them to count or fail calls. */
export interface FailureIo {
  report(name: string, report: FailureReport): Promise<FailureVerdict>;
  block(name: string): Promise<FailureVerdict>;
}

/** The rate-limit objects of `env`. */
export const objectFailureIo = (env: Pick<Env, "RATE_LIMITER">): FailureIo => ({
  report: async (name, report) => env.RATE_LIMITER.getByName(name).countFailures(report),
  block: async (name) => env.RATE_LIMITER.getByName(name).failureBlock(),
});

export interface FailureLimiterOptions {
  clock?: () => number;
  /** Blocked subjects remembered per isolate; the oldest is forgotten beyond it. */
  maxBlocked?: number;
}

interface Unsent {
  failures: number;
  /** Settles once every failure counted here reached the object (or could not). */
  reported: Promise<void>;
}

export class FailureLimiter {
  /** Object name → until when (epoch ms) it is blocked, as the object last said. */
  readonly #blocked = new Map<string, number>();
  readonly #unsent = new Map<string, Unsent>();
  /** When the last known block ends: after it, the whole deny cache is stale. */
  #lastUntil = 0;
  readonly #clock: () => number;
  readonly #maxBlocked: number;

  constructor(options: FailureLimiterOptions = {}) {
    this.#clock = options.clock ?? Date.now;
    this.#maxBlocked = options.maxBlocked ?? 10_000;
  }

  /** Whether this isolate knows of any block in force: while it knows of none, checks need no name. */
  get blocking(): boolean {
    if (this.#blocked.size === 0) return false;
    if (this.#clock() < this.#lastUntil) return true;
    // Every block ended: forget them at once rather than one by one as their clients return.
    this.#blocked.clear();
    return false;
  }

  /** How long `name` stays blocked as far as this isolate knows, ms; 0 when it is not. No object call. */
  blockedFor(name: string): number {
    const until = this.#blocked.get(name);
    if (until === undefined) return 0;
    const left = until - this.#clock();
    if (left > 0) return left;
    this.#blocked.delete(name);
    return 0;
  }

  /** Like blockedFor, but asks the object when this isolate knows of no block. 0 when the object cannot say. */
  async confirmedBlockFor(name: string, io: FailureIo): Promise<number> {
    const known = this.blockedFor(name);
    if (known > 0) return known;
    try {
      this.#learn(name, (await io.block(name)).blockedUntil);
    } catch (error) {
      unavailable(error);
    }
    return this.blockedFor(name);
  }

  /** Counts one failure of `name`; settles (never rejects) once the object has it and this isolate knows its verdict. */
  fail(name: string, spec: FailureLimitSpec, io: FailureIo): Promise<void> {
    const unsent = this.#unsent.get(name);
    if (unsent) {
      unsent.failures += 1;
      return unsent.reported;
    }
    const entry = { failures: 1 } as Unsent;
    this.#unsent.set(name, entry);
    entry.reported = this.#report(name, spec, entry, io);
    return entry.reported;
  }

  async #report(name: string, spec: FailureLimitSpec, entry: Unsent, io: FailureIo): Promise<void> {
    try {
      while (entry.failures > 0) {
        const failures = entry.failures;
        entry.failures = 0;
        const report: FailureReport = { maxFailures: spec.maxFailures, windowMs: spec.windowMs, blockMs: spec.blockMs, failures };
        this.#learn(name, (await io.report(name, report)).blockedUntil);
      }
    } catch (error) {
      unavailable(error);
    } finally {
      this.#unsent.delete(name);
    }
  }

  #learn(name: string, blockedUntil: number): void {
    this.#blocked.delete(name);
    if (blockedUntil <= this.#clock()) return;
    if (this.#blocked.size >= this.#maxBlocked) this.#blocked.delete(this.#blocked.keys().next().value!);
    this.#blocked.set(name, blockedUntil);
    this.#lastUntil = Math.max(this.#lastUntil, blockedUntil);
  }
}

function unavailable(error: unknown): void {
  log.warn("failure_limit_unavailable", { name: errorName(error) });
}

/** The isolate's limiter, shared by the gateway's auth and the admin API (each its own scopes). */
export const isolateFailureLimiter = new FailureLimiter();

/** The object name of `subject`'s count in `scope`. */
export const failureCounterName = (scope: string, subject: string): string => `failures|${scope}|${subject}`;
