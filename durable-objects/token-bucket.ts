/**
 * The arithmetic of one rate-limit counter, kept apart from the Durable Object so it can be
 * read, tested and simulated without storage or a clock: every function takes `now` (ms).
 *
 * A counter is one or more token buckets (GCRA's continuous form): `burst` tokens at most,
 * refilled at `rate` per second; optional per-minute and per-hour buckets refill their whole
 * quota once per window, continuously. A request takes one token from every bucket, or none.
 *
 * Leases. An isolate that sees a hot key takes a batch of tokens at once and admits from it
 * locally. The batch leaves the buckets when it is granted and is recorded as outstanding
 * until its holder reports it spent (`held`) or it expires; a bucket never refills above
 * `capacity - outstanding`. So at every moment
 *
 *     tokens in the bucket + tokens leased, not yet expired nor reported spent  <=  capacity,
 *
 * which is the token-bucket invariant itself: in any interval of length t the admissions, from
 * the bucket and from all leases together, are at most `capacity + rate * t`, however many
 * isolates hold leases. Leasing never admits more; its cost is the other way: tokens of a
 * lease that expires unused are lost (a lease is what the isolate's share of the rate uses in
 * one period, at most). The one exception is `debt` (see `AcquireInput.debt`).
 *
 * Shares. Each caller reports its demand; over the limit, the rate is split in proportion to
 * demand (a hot data centre gets most admissions, a quiet one its part), the tokens left in the
 * bucket too, and a caller that found the bucket empty, or emptied it, is told to stay away
 * until its share has earned a batch. That is what keeps a key at 10x its limit to about one
 * object call per batch. While tokens are left nobody is told to stay away: that would refuse
 * requests with tokens in the bucket (issue 12).
 */

export type PolicyName = "burst" | "minute" | "hour";

/** Limits of one counter, sent by the caller on every call: the object keeps no config. */
export interface RateLimitSpec {
  /** Sustained requests per second (refill of the `burst` bucket). */
  rate?: number;
  /** Requests admitted at once: size of the `burst` bucket. Default `ceil(rate)`. */
  burst?: number;
  /** Quotas per minute and per hour, each a bucket of that size refilled over its window. */
  windows?: { minute?: number; hour?: number };
}

export type Lease = [expiresAt: number, tokens: number, holder?: string];

export interface Bucket {
  readonly name: PolicyName;
  readonly capacity: number;
  /** Refill, tokens per millisecond. */
  readonly perMs: number;
}

export interface BucketState {
  tokens: number;
  /** Time of the last refill. */
  at: number;
}

export interface CounterState {
  buckets: Partial<Record<PolicyName, BucketState>>;
  /**
   * Leased tokens not yet expired or reported spent, as [expiresAt, tokens, holder] grouped by
   * LEASE_SLOT_MS and holder (the caller's `holder` id; none for callers that send no id).
   */
  leases: Lease[];
}

/** Leases are sized for this long at most; shorter when the buckets are small (see `leasePeriod`). */
export const LEASE_PERIOD_MS = 1000;
/** Lease expiries are rounded up to this grid so the outstanding list stays short. */
export const LEASE_SLOT_MS = 100;
/**
 * A hot caller that was refused, or drained the bucket, waits until its share of the refill
 * is worth this many tokens (fewer if its lease is smaller, never less than one), so a key
 * at 10x its limit costs about one object call per BATCH admissions, not one per admission.
 */
export const BATCH = 5;

export function bucketsOf(spec: RateLimitSpec): Bucket[] {
  const buckets: Bucket[] = [];
  if (spec.rate !== undefined) {
    buckets.push({ name: "burst", capacity: spec.burst ?? Math.max(1, Math.ceil(spec.rate)), perMs: spec.rate / 1000 });
  }
  if (spec.windows?.minute !== undefined)
    buckets.push({ name: "minute", capacity: spec.windows.minute, perMs: spec.windows.minute / 60_000 });
  if (spec.windows?.hour !== undefined) buckets.push({ name: "hour", capacity: spec.windows.hour, perMs: spec.windows.hour / 3_600_000 });
  for (const bucket of buckets) {
    if (!(bucket.capacity >= 1 && bucket.perMs > 0 && Number.isFinite(bucket.capacity) && Number.isFinite(bucket.perMs))) {
      throw new RangeError(`rate limit ${bucket.name}: capacity must be >= 1 and the rate positive`);
    }
  }
  if (buckets.length === 0) throw new RangeError("a rate limit needs a rate, a per-minute or a per-hour quota");
  return buckets;
}

/**
 * Requests per second the counter can give over the next lease period: a bucket's refill,
 * or more while it has stock (a full per-minute bucket does not bind this second).
 */
function currentRate(state: CounterState, buckets: readonly Bucket[]): number {
  return Math.min(...buckets.map((bucket) => Math.max(bucket.perMs * 1000, (state.buckets[bucket.name]!.tokens * 1000) / LEASE_PERIOD_MS)));
}

/**
 * The period leases are sized for: LEASE_PERIOD_MS, but no longer than it takes to refill half
 * of the smallest bucket, so that leases outstanding leave room in the bucket for the refill
 * while isolates wait.
 */
export function leasePeriod(buckets: readonly Bucket[]): number {
  return Math.min(LEASE_PERIOD_MS, ...buckets.map((bucket) => bucket.capacity / 2 / bucket.perMs));
}

export interface AcquireInput {
  /** Tokens needed now: 1 for a request, 0 for a call that only settles debt or leases. */
  want: number;
  /**
   * Requests the caller already admitted on credit: when more requests joined one in-flight
   * call than its lease covered, the isolate admits up to the `remaining` that call reported
   * and pays here. The only way a counter goes below zero, and the one slack in the bound.
   */
  debt: number;
  /** Requests per second the caller sees on this key. */
  demand: number;
  /** The same, summed over every isolate recently calling for this key (this one included). */
  totalDemand: number;
  /** The caller's recent round trip to the object, ms: a lease must outlive its own delivery. */
  roundTripMs: number;
  /** Who holds the leases granted to this caller (an isolate id), so it can report them spent. */
  holder?: string;
  /**
   * Tokens of the holder's leases it has not spent yet (sent with `holder`). The rest of its
   * leases were admitted already and stop counting against the capacity now, not at expiry.
   */
  held?: number;
}

export interface LimitStatus {
  name: PolicyName;
  /** Whole tokens left in the bucket after this call. */
  remaining: number;
  /** Until the bucket is full again, ms. */
  resetMs: number;
}

export interface AcquireResult {
  granted: boolean;
  /** Tokens leased to the caller besides `want`; valid for `leaseTtlMs` from when it sent the call. */
  leaseTokens: number;
  leaseTtlMs: number;
  /**
   * Refused: wait this long before asking again. Granted with a drained bucket: once the
   * lease is used, refuse locally until then. 0 otherwise.
   */
  retryAfterMs: number;
  /**
   * Requests that joined the caller's call beyond its lease it may still admit, on credit (paid
   * with its next call): the tokens left, when the caller is under the limit; over it, its part
   * of them by demand.
   */
  credit: number;
  limits: LimitStatus[];
}

/** Refilling in many small steps drifts by float rounding; a token this close to whole counts. */
const EPSILON = 1e-9;

export function emptyState(): CounterState {
  return { buckets: {}, leases: [] };
}

/** Drops expired leases and refills every bucket up to `capacity - outstanding`. */
function settle(state: CounterState, buckets: readonly Bucket[], now: number): number {
  state.leases = state.leases.filter(([expiresAt]) => expiresAt > now);
  const outstanding = state.leases.reduce((sum, [, tokens]) => sum + tokens, 0);
  for (const bucket of buckets) {
    const room = Math.max(0, bucket.capacity - outstanding);
    const current = state.buckets[bucket.name];
    if (!current) {
      state.buckets[bucket.name] = { tokens: room, at: now };
      continue;
    }
    const elapsed = Math.max(0, now - current.at);
    current.tokens = Math.min(room, current.tokens + elapsed * bucket.perMs);
    current.at = Math.max(current.at, now);
  }
  // Buckets no longer configured (the operator removed a window) are forgotten.
  for (const name of Object.keys(state.buckets) as PolicyName[]) {
    if (!buckets.some((bucket) => bucket.name === name)) delete state.buckets[name];
  }
  return outstanding;
}

/**
 * Keeps `held` tokens of `holder`'s leases, the latest-expiring ones (a holder spends the
 * earliest-expiring lease first), and drops the rest: those tokens were admitted, so they no
 * longer need room in the buckets. The bound holds as long as `held` is at least what the
 * holder has not spent, which is what it reports (it can only spend more while the call travels).
 */
function release(state: CounterState, holder: string, held: number): void {
  let keep = held;
  const mine = state.leases.filter((lease) => lease[2] === holder).sort((a, b) => b[0] - a[0]);
  for (const lease of mine) {
    const kept = Math.min(lease[1], keep);
    keep -= kept;
    lease[1] = kept;
  }
  state.leases = state.leases.filter(([, tokens]) => tokens > 0);
}

function take(state: CounterState, buckets: readonly Bucket[], tokens: number): void {
  for (const bucket of buckets) {
    const current = state.buckets[bucket.name]!;
    current.tokens = Math.max(-bucket.capacity, current.tokens - tokens);
  }
}

/** Whole tokens every bucket can give. */
function available(state: CounterState, buckets: readonly Bucket[]): number {
  return Math.floor(Math.min(...buckets.map((bucket) => state.buckets[bucket.name]!.tokens)) + EPSILON);
}

/** Capacity of the smallest bucket. */
function smallest(buckets: readonly Bucket[]): number {
  return Math.min(...buckets.map((bucket) => bucket.capacity));
}

/** Time until every bucket holds `tokens`, at the full refill rate. */
function timeUntil(state: CounterState, buckets: readonly Bucket[], tokens: number): number {
  return Math.max(0, ...buckets.map((bucket) => (tokens - state.buckets[bucket.name]!.tokens) / bucket.perMs));
}

export function status(state: CounterState, buckets: readonly Bucket[]): LimitStatus[] {
  return buckets.map((bucket) => {
    const tokens = state.buckets[bucket.name]?.tokens ?? bucket.capacity;
    return {
      name: bucket.name,
      remaining: Math.max(0, Math.floor(tokens + EPSILON)),
      resetMs: Math.ceil(Math.max(0, bucket.capacity - tokens) / bucket.perMs),
    };
  });
}

/** One decision: take `want` tokens if every bucket has them, lease more to a hot caller. */
export function acquire(state: CounterState, buckets: readonly Bucket[], input: AcquireInput, now: number): AcquireResult {
  for (const [name, value] of Object.entries(input)) {
    if (name === "holder" || value === undefined) continue;
    if (!Number.isFinite(value) || value < 0) throw new RangeError(`${name} must be a finite number >= 0`);
  }
  settle(state, buckets, now);
  // After settling: the room the release makes is refilled from now on, never retroactively.
  if (input.holder !== undefined && input.held !== undefined) release(state, input.holder, input.held);
  if (input.debt > 0) take(state, buckets, input.debt);
  const period = leasePeriod(buckets);
  // The caller's share: its demand while the key is under its limit; over it, the rate split in
  // proportion to demand, so a hot data centre gets most admissions and a quiet one its part.
  const share = input.totalDemand > 0 ? input.demand * Math.min(1, currentRate(state, buckets) / input.totalDemand) : 0;
  // What this caller would use in one period at its share of the rate.
  const target = Math.floor((share * period) / 1000);
  // A hot caller (one that leases, or wants more than its share) that finds the bucket empty
  // comes back when its share is worth a batch, at least one token: not before, or it would
  // only find the tokens its peers are owed.
  const hot = share > 0 && (target >= 1 || input.demand > share);
  const batchWait = hot ? (Math.max(1, Math.min(target, BATCH)) * 1000) / share : 0;

  const granted = available(state, buckets) >= input.want;
  const over = input.demand > share;
  let leaseTokens = 0;
  let leaseTtlMs = period;
  let retryAfterMs: number;
  if (granted) {
    take(state, buckets, input.want);
    const stock = available(state, buckets);
    if (over) {
      // Tokens left in the bucket are admissions the key is owed now: the caller takes its part
      // of them (by demand) besides its share of the period, so the stock is spent within a few
      // calls instead of sitting in the bucket while callers are refused. At most half a bucket
      // at once: an unspent lease keeps room in the bucket, and the half left is room for the
      // refill while the lease is spent (else the refill would be lost).
      const stockPart = Math.floor((stock * input.demand) / input.totalDemand);
      leaseTokens = Math.min(Math.max(target, stockPart), stock, Math.floor(smallest(buckets) / 2));
    } else {
      leaseTokens = Math.min(target, stock);
    }
    leaseTokens = Math.max(0, leaseTokens);
    if (leaseTokens > 0) {
      take(state, buckets, leaseTokens);
      // The lease lives twice as long as this caller's demand needs to use it (at most one
      // period), plus its trip back: a lease used up at once stops counting soon after.
      leaseTtlMs = Math.ceil(
        Math.min(period, Math.max(LEASE_SLOT_MS, (2000 * leaseTokens) / input.demand)) + Math.min(input.roundTripMs, period),
      );
      const slot = Math.ceil((now + leaseTtlMs) / LEASE_SLOT_MS) * LEASE_SLOT_MS;
      const same = state.leases.find(([expiresAt, , holder]) => expiresAt === slot && holder === input.holder);
      if (same) same[1] += leaseTokens;
      else state.leases.push(input.holder === undefined ? [slot, leaseTokens] : [slot, leaseTokens, input.holder]);
    }
    if (available(state, buckets) >= 1) {
      // Tokens are left: the caller may come back as soon as it has used its lease. Telling
      // it to stay away now would refuse requests while the bucket holds tokens.
      retryAfterMs = 0;
    } else {
      // Drained: come back when this caller's share has earned a batch (or it would settle at
      // one call per token), and not before the next token.
      retryAfterMs = Math.max(batchWait, timeUntil(state, buckets, 1));
    }
  } else {
    retryAfterMs = Math.max(timeUntil(state, buckets, input.want), batchWait);
  }
  const limits = status(state, buckets);
  // Over the limit, only the caller's part (by demand) of the tokens left: the rest is the other
  // callers' part, which they could spend too before the credit is paid.
  const left = Math.min(...limits.map((limit) => limit.remaining));
  const credit = !granted ? 0 : over ? Math.floor((left * input.demand) / input.totalDemand) : left;
  return { granted, leaseTokens, leaseTtlMs, retryAfterMs: Math.ceil(retryAfterMs), credit, limits };
}

/** The counter as the admin API shows it, refilled to `now`; `state` is left as it was. */
export function inspect(state: CounterState, buckets: readonly Bucket[], now: number): { buckets: LimitStatus[]; leasedTokens: number } {
  const copy = structuredClone(state);
  const leasedTokens = settle(copy, buckets, now);
  return { buckets: status(copy, buckets), leasedTokens };
}
