/**
 * The arithmetic of the AI gateway's token budgets and daily quotas (issue 15), kept in a
 * RateLimiter object (rate-limiter.ts) beside, never instead of, its request counters.
 *
 * A budget has one or more meters (tokens; or tokens and cost for a quota), each with its own
 * limit. A reservation takes its amount from every meter or from none, so many requests
 * reserving at once can never take more than the limits: the object handles one call at a time
 * and this code never waits. The provider's reported usage later replaces the reservation
 * (`charge` with the difference: a refund, or more when the answer used more than reserved).
 *
 * - A meter with `windowMs` is a token bucket refilled continuously over that window (GCRA's
 *   continuous form, as the request limits of token-bucket.ts): `limit` per minute means the
 *   full limit at once when nothing was spent, and the spent amount drains at `limit / windowMs`.
 * - A meter without one is never refilled: a daily quota, whose object is named by its UTC day,
 *   so the next day starts on a fresh object.
 *
 * A reservation larger than a meter's whole limit is counted as the whole limit (the estimate
 * errs high, worker/policies/ai-gateway/shapes/token-estimate.ts): it waits for a full bucket
 * instead of being refused forever, and its settlement charges what the provider really used.
 * Spent amounts may then exceed the limit (a debt): later requests wait until it drains.
 */

export interface BudgetMeter {
  /** The most that reservations may hold at once, in the meter's unit; Infinity: counted, never limited. */
  limit: number;
  /** Refilled continuously over this window; absent: never refilled (a quota for a fixed period). */
  windowMs?: number;
}

export interface BudgetState {
  /** Per meter, the amount spent as of `at` (reservations included); may exceed the limit after a settlement. */
  spent: number[];
  /** Epoch ms of `spent`. */
  at: number;
}

export interface ReserveOutcome {
  allowed: boolean;
  /** Per meter, what is left after this call (whole units, rounded down; Infinity for an unlimited meter). */
  remaining: number[];
  /** When refused: the wait until every meter holds the amount (Infinity when a meter is never refilled). */
  retryAfterMs: number;
}

export const emptyBudget = (meterCount: number, now: number): BudgetState => ({ spent: new Array<number>(meterCount).fill(0), at: now });

/** The spent amounts refilled up to `now` (never below 0; a meter count that changed starts afresh). */
export function drain(state: BudgetState, meters: readonly BudgetMeter[], now: number): BudgetState {
  if (state.spent.length !== meters.length) return emptyBudget(meters.length, now);
  const elapsed = Math.max(0, now - state.at);
  const spent = state.spent.map((amount, index) => {
    const { limit, windowMs } = meters[index]!;
    return windowMs === undefined || !Number.isFinite(limit) ? amount : Math.max(0, amount - (elapsed * limit) / windowMs);
  });
  return { spent, at: Math.max(now, state.at) };
}

/**
 * What a reservation holds on each meter: its amount, at most the meter's whole limit. An amount
 * that is no number (NaN, Infinity) holds the whole limit: it must never corrupt the state.
 */
export const heldAmounts = (meters: readonly BudgetMeter[], amounts: readonly number[]): number[] =>
  amounts.map((amount, index) => {
    const { limit } = meters[index]!;
    return Number.isFinite(amount) ? Math.min(Math.max(0, amount), limit) : Number.isFinite(limit) ? limit : 0;
  });

/** Takes `amounts` (already capped by `heldAmounts`) from every meter, or nothing. */
export function reserve(
  state: BudgetState,
  meters: readonly BudgetMeter[],
  amounts: readonly number[],
  now: number,
): { state: BudgetState } & ReserveOutcome {
  const current = drain(state, meters, now);
  let retryAfterMs = 0;
  meters.forEach(({ limit, windowMs }, index) => {
    const excess = current.spent[index]! + amounts[index]! - limit;
    if (excess <= 0) return;
    retryAfterMs = Math.max(retryAfterMs, windowMs === undefined ? Infinity : Math.ceil((excess * windowMs) / limit));
  });
  const allowed = retryAfterMs === 0;
  const next = allowed ? { spent: current.spent.map((spent, index) => spent + amounts[index]!), at: current.at } : current;
  const remaining = meters.map(({ limit }, index) => Math.max(0, Math.floor(limit - next.spent[index]!)));
  return { state: next, allowed, remaining, retryAfterMs };
}

/** Adds `deltas` (negative: a refund) to the spent amounts, as of `now`. */
export function charge(state: BudgetState, meters: readonly BudgetMeter[], deltas: readonly number[], now: number): BudgetState {
  const current = drain(state, meters, now);
  return { spent: current.spent.map((spent, index) => Math.max(0, spent + (deltas[index] ?? 0))), at: current.at };
}

/** When the state means nothing any more: every refilled meter drained to 0 (a quota's never does). */
export function idleAt(state: BudgetState, meters: readonly BudgetMeter[]): number {
  let at = state.at;
  meters.forEach(({ limit, windowMs }, index) => {
    const spent = state.spent[index]!;
    if (spent <= 0) return;
    at = Math.max(at, windowMs === undefined || !Number.isFinite(limit) ? Infinity : state.at + Math.ceil((spent * windowMs) / limit));
  });
  return at;
}
