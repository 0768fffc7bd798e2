/**
 * One rate-limit counter per limited key (`RATE_LIMITER.getByName(name)`), never one global
 * object: the load of a key lands on its own object, and each object is strongly consistent.
 *
 * State lives in the object's SQLite storage (the synchronous KV API), written on every change,
 * so eviction or a restart loses nothing but the demand table, which rebuilds itself within one
 * lease period. The limits travel with every call: the config stays in one place (KV), and a
 * config change takes effect on the next call.
 *
 * Accuracy (the arithmetic is in ./token-bucket.ts, measurements in ./README.md). Leased
 * tokens leave the buckets when granted and count against their capacity until they expire,
 * so over any interval of length t the admissions of one key, across all isolates, are at most
 *
 *     burst + rate * t + D
 *
 * where D is unpaid credit: requests that joined an in-flight call beyond its lease, admitted
 * up to the `remaining` the object reported and paid by a background call within one round
 * trip (0 with a single isolate). Leased tokens an isolate reports spent (`held`) stop counting
 * at once. Admissions are lost only to leases that expire unused (at most one period of the
 * isolate's share) and to a hot isolate waiting out one batch of its share after draining the
 * bucket. A key that stays under its limit (its bucket never drained) has no request refused.
 *
 * The same class keeps, under names of their own, failure limits (failure-count.ts) and the AI
 * gateway's token budgets and daily quotas (budget-store.ts, token-budget.ts): reserved before a
 * request is forwarded and settled with the provider's reported usage.
 */
import { DurableObject } from "cloudflare:workers";
import {
  acquire,
  bucketsOf,
  emptyState,
  inspect,
  type AcquireResult,
  type CounterState,
  type LimitStatus,
  type RateLimitSpec,
} from "./token-bucket";

import { countFailures, emptyFailureState, type FailureLimitSpec, type FailureState } from "./failure-count";
import { BudgetStore, type BudgetView } from "./budget-store";

export type { AcquireResult, LimitStatus, RateLimitSpec } from "./token-bucket";
export type { FailureLimitSpec } from "./failure-count";
export type { BudgetView } from "./budget-store";

/** Failed authentications to add to a failure limit's count (worker/limits/failure-limit.ts). */
export interface FailureReport extends FailureLimitSpec {
  failures: number;
  /** Simulated time, ms, for tests; production callers omit it. */
  now?: number;
}

/** Until when (epoch ms) the key is blocked; 0 when it is not. */
export interface FailureVerdict {
  blockedUntil: number;
}

export interface AcquireRequest extends RateLimitSpec {
  /** Tokens needed now: 1 per request; 0 when the call only settles debt or fetches a lease. */
  want: number;
  /** Requests per second the calling isolate currently sees on this key (leases follow it). */
  isolateDemand: number;
  /** A random id of the calling isolate, so demand is summed per isolate. */
  isolate?: string;
  /** The isolate's recent round trip to this object, ms (leases are extended by it). */
  roundTripMs?: number;
  /** Requests the isolate admitted on credit since its last call (see the accuracy note). */
  debt?: number;
  /** Tokens of its leases the isolate has not spent yet (with `isolate`): the rest stop counting. */
  held?: number;
  /** Simulated time, ms, for tests and simulations; production callers omit it. */
  now?: number;
}

/** A token budget (`max_tokens_per_minute`) or a provider's `rate_limit`: see token-budget.ts. */
export interface TokenReservationRequest {
  /** Tokens (or requests) per window. */
  limit: number;
  windowMs: number;
  /** What to reserve: the request's estimate (or 1 request); more than `limit` holds the whole limit. */
  tokens: number;
  /** How long the isolate may take to settle (stream included); absent or 0: the charge is final. */
  settleWithinMs?: number;
  /** Simulated time, ms, for tests; production callers omit it (then the alarm is set). */
  now?: number;
}

export interface TokenReservation {
  allowed: boolean;
  /** Tokens left after this call. */
  remaining: number;
  /** When refused: the wait until the budget holds the reservation. */
  retryAfterMs: number;
  /** Pass to `settleTokens`; present when allowed with `settleWithinMs`. */
  reservationId?: string;
}

/** A daily quota (per consumer or tenant): the object is named by its UTC day. */
export interface QuotaReservationRequest {
  /** The day's limits; absent: counted, not limited. */
  maxTokens?: number;
  maxCostMicros?: number;
  tokens: number;
  /** Millionths of the cost unit of `cost_per_1k`. */
  costMicros: number;
  /** Epoch ms of the period's end (the next UTC midnight): the state is deleted after it and `settleWithinMs`. */
  periodEndsAt: number;
  settleWithinMs: number;
  now?: number;
}

export interface QuotaReservation {
  allowed: boolean;
  /** What is left of each limit after this call; null when it is not limited. */
  remaining: { tokens: number | null; costMicros: number | null };
  /** When refused: until the period's end. */
  retryAfterMs: number;
  reservationId?: string;
}

export interface CounterView {
  /** The limits of the latest call. */
  limits: RateLimitSpec;
  buckets: LimitStatus[];
  /** Tokens leased to isolates and not yet expired. */
  leasedTokens: number;
  /**
   * `acquire` calls since the counter was created or reset: with the requests the key received,
   * what the isolates' leases and deny-caches save (the target is at most 0.1 per request).
   */
  calls: number;
}

const STATE_KEY = "counter";
/** The limits of the latest call, so the admin API can show a counter without the config. */
const LIMITS_KEY = "limits";
const CALLS_KEY = "calls";
/** A failure limit's count and block, when the object counts failed authentications. */
const FAILURES_KEY = "failures";
/** An isolate that has not called for this long no longer counts towards the key's demand. */
const DEMAND_TTL_MS = 5_000;
const MAX_ISOLATES = 1_000;

function limitsOf({ rate, burst, windows }: RateLimitSpec): RateLimitSpec {
  return { rate, burst, windows };
}

export class RateLimiter extends DurableObject<unknown> {
  #counter: CounterState;
  #calls: number;
  readonly #budget: BudgetStore;
  /** Latest demand reported by each calling isolate: memory only, an estimate by nature. */
  readonly #demand = new Map<string, { perSecond: number; at: number }>();

  constructor(ctx: DurableObjectState, env: unknown) {
    super(ctx, env);
    this.#counter = ctx.storage.kv.get<CounterState>(STATE_KEY) ?? emptyState();
    this.#calls = ctx.storage.kv.get<number>(CALLS_KEY) ?? 0;
    this.#budget = new BudgetStore(ctx.storage.kv);
  }

  /** Takes `want` tokens or refuses; leases more to a hot isolate. Never waits. */
  acquire(request: AcquireRequest): AcquireResult {
    const now = request.now ?? Date.now();
    const buckets = bucketsOf(request);
    const demand = request.isolateDemand;
    const totalDemand = this.#totalDemand(demand, request.isolate, now);
    const input = {
      want: request.want,
      debt: request.debt ?? 0,
      demand,
      totalDemand,
      roundTripMs: request.roundTripMs ?? 0,
      holder: request.isolate,
      held: request.held,
    };
    const result = acquire(this.#counter, buckets, input, now);
    this.ctx.storage.kv.put(STATE_KEY, this.#counter);
    this.ctx.storage.kv.put(LIMITS_KEY, limitsOf(request));
    this.ctx.storage.kv.put(CALLS_KEY, ++this.#calls);
    return result;
  }

  /** The counter for the admin API, refilled to now; takes nothing. Undefined before the first call. */
  state(now?: number): CounterView | undefined {
    const limits = this.ctx.storage.kv.get<RateLimitSpec>(LIMITS_KEY);
    if (!limits) return undefined;
    return { limits, ...inspect(this.#counter, bucketsOf(limits), now ?? Date.now()), calls: this.#calls };
  }

  /** Forgets the counter: the key starts again with full buckets. */
  reset(): void {
    this.ctx.storage.kv.delete(STATE_KEY);
    this.ctx.storage.kv.delete(LIMITS_KEY);
    this.ctx.storage.kv.delete(CALLS_KEY);
    this.#counter = emptyState();
    this.#calls = 0;
    this.#demand.clear();
    this.#budget.clear();
  }

  /**
   * Reserves tokens of this object's budget, or refuses; never waits. Parallel calls are taken one
   * at a time, so reservations never hold more than the budget.
   */
  async reserveTokens(request: TokenReservationRequest): Promise<TokenReservation> {
    const now = request.now ?? Date.now();
    const meters = [{ limit: request.limit, windowMs: request.windowMs }];
    const result = this.#budget.reserve(meters, [request.tokens], request.settleWithinMs ?? 0, now);
    if (request.now === undefined && result.allowed) await this.#armAlarm();
    return {
      allowed: result.allowed,
      remaining: result.remaining[0]!,
      retryAfterMs: result.retryAfterMs,
      reservationId: result.reservationId,
    };
  }

  /** Replaces a reservation by the tokens used; false when it expired (and was charged in full) or is unknown. */
  settleTokens(settlement: { reservationId: string; actual: number; now?: number }): { settled: boolean } {
    return { settled: this.#budget.settle(settlement.reservationId, [settlement.actual], settlement.now ?? Date.now()) };
  }

  /** Reserves tokens and cost of this object's daily quota (both, or neither), or refuses until the period's end. */
  async reserveQuota(request: QuotaReservationRequest): Promise<QuotaReservation> {
    const now = request.now ?? Date.now();
    const meters = [{ limit: request.maxTokens ?? Infinity }, { limit: request.maxCostMicros ?? Infinity }];
    const amounts = [request.tokens, request.costMicros];
    const result = this.#budget.reserve(meters, amounts, request.settleWithinMs, now, request.periodEndsAt);
    if (request.now === undefined && result.allowed) await this.#armAlarm();
    const limited = (limit: number | undefined, remaining: number) => (limit === undefined ? null : remaining);
    return {
      allowed: result.allowed,
      remaining: {
        tokens: limited(request.maxTokens, result.remaining[0]!),
        costMicros: limited(request.maxCostMicros, result.remaining[1]!),
      },
      retryAfterMs: result.allowed ? 0 : Math.max(0, request.periodEndsAt - now),
      reservationId: result.reservationId,
    };
  }

  /** The AI budget or quota this object keeps, refilled to now, for the admin API; takes nothing. */
  budgetState(now?: number): BudgetView | undefined {
    return this.#budget.view(now ?? Date.now());
  }

  /** Replaces a quota reservation by what was used; false when it expired (charged in full) or is unknown. */
  settleQuota(settlement: { reservationId: string; tokens: number; costMicros: number; now?: number }): { settled: boolean } {
    const actual = [settlement.tokens, settlement.costMicros];
    return { settled: this.#budget.settle(settlement.reservationId, actual, settlement.now ?? Date.now()) };
  }

  /**
   * Counts failed authentications of this object's key; says until when the key is blocked.
   * Never waits for anything but its own storage. The count is deleted on an alarm once it
   * means nothing (../worker/limits/failure-limit.ts names one object per client block: a flood
   * from many addresses must not leave storage behind). Simulated time (`now`) sets no alarm,
   * which runs on real time.
   */
  async countFailures(report: FailureReport): Promise<FailureVerdict> {
    const now = report.now ?? Date.now();
    const state = countFailures(this.ctx.storage.kv.get<FailureState>(FAILURES_KEY) ?? emptyFailureState(), report, report.failures, now);
    this.ctx.storage.kv.put(FAILURES_KEY, state);
    if (report.now === undefined) await this.#armAlarm();
    return { blockedUntil: state.blockedUntil > now ? state.blockedUntil : 0 };
  }

  /**
   * Deletes a failure count that means nothing any more, charges expired budget reservations in
   * full and deletes a budget that means nothing; then arms the alarm for what is left.
   */
  override async alarm(): Promise<void> {
    const now = Date.now();
    const state = this.ctx.storage.kv.get<FailureState>(FAILURES_KEY);
    if (state && state.forgetAt <= now) this.ctx.storage.kv.delete(FAILURES_KEY);
    this.#budget.sweep(now);
    await this.#armAlarm();
  }

  /** One alarm serves the failure count and the budget: the earlier of their next times. */
  async #armAlarm(): Promise<void> {
    const at = Math.min(this.ctx.storage.kv.get<FailureState>(FAILURES_KEY)?.forgetAt ?? Infinity, this.#budget.alarmAt() ?? Infinity);
    if (at === Infinity) return;
    if ((await this.ctx.storage.getAlarm()) !== at) await this.ctx.storage.setAlarm(at);
  }

  /** Until when this object's key is blocked by its failure limit; counts nothing. */
  failureBlock(now?: number): FailureVerdict {
    const blockedUntil = this.ctx.storage.kv.get<FailureState>(FAILURES_KEY)?.blockedUntil ?? 0;
    return { blockedUntil: blockedUntil > (now ?? Date.now()) ? blockedUntil : 0 };
  }

  /** Records this isolate's demand; returns the key's demand summed over recently seen isolates. */
  #totalDemand(demand: number, isolate: string | undefined, now: number): number {
    if (isolate !== undefined) {
      this.#demand.delete(isolate);
      this.#demand.set(isolate, { perSecond: demand, at: now });
    }
    let total = isolate === undefined ? demand : 0;
    for (const [id, entry] of this.#demand) {
      if (now - entry.at > DEMAND_TTL_MS || this.#demand.size > MAX_ISOLATES) this.#demand.delete(id);
      else total += entry.perSecond;
    }
    return total;
  }
}
