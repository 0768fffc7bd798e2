/**
 * The isolate's side of a rate limit: decides most requests without calling the key's object.
 *
 * A request is, in this order,
 *   1. admitted from a local lease (tokens the object granted this isolate in advance),
 *   2. refused from the local deny-cache (the object said when to come back; jittered so the
 *      isolates of the world do not come back in the same millisecond; asked again after
 *      DENY_RECHECK_MS at most, so an admin reset of the key reaches every isolate),
 *   3. refused or admitted by the fail policy while the object is known to be failing,
 *   4. or decided by one round trip: the call already in flight for the key, if any (joining
 *      it costs no extra call), or a new one.
 * Never a second round trip, never a wait loop. Requests that join a call beyond what its lease
 * covers are admitted on credit, up to the `remaining` the object reported, and the debt is
 * paid at once by a background call (see durable-objects/README.md for the accuracy).
 *
 * Per key it keeps a demand meter (requests per second seen here), sent with every call so the
 * object sizes the lease to this isolate's demand and share.
 */
import type { AcquireRequest, AcquireResult, LimitStatus, RateLimitSpec } from "../../../durable-objects/rate-limiter";

export type Decision =
  | { outcome: "admitted"; limits: LimitStatus[] | undefined }
  | { outcome: "refused"; retryAfterMs: number }
  /** The object could not be asked; `error` is set only on the request whose call failed. */
  | { outcome: "unavailable"; error?: unknown };

export interface LocalLimiterOptions {
  clock?: () => number;
  /** Also send `clock()` to the object as its time (tests and simulations only). */
  sendClock?: boolean;
  random?: () => number;
  /** Keys remembered per isolate; the oldest is forgotten beyond it. */
  maxKeys?: number;
}

/** What a request lends the limiter: a call to its key's object, and ctx.waitUntil. */
export interface RequestIo {
  acquire(request: AcquireRequest): Promise<AcquireResult>;
  background(work: Promise<unknown>): void;
}

/** After a failed call, the key's object is not asked again for this long. */
const FAILURE_BACKOFF_MS = 1_000;
/** A refusal is cached up to this much longer than the object said, at random. */
const JITTER = 0.25;
/**
 * A refusal is cached for at most this long (times the same jitter) even when the object's retry
 * time is later (a per-hour quota can say minutes): then the object is asked again. So an admin
 * reset (DELETE /admin/rate-limits/:key) reaches every isolate within this, plus the jitter and
 * one round trip, at the cost of one call per isolate and refused key per period. The client's
 * Retry-After is still the object's word.
 */
export const DENY_RECHECK_MS = 2_000;
const DEMAND_WINDOW_MS = 1_000;
const WARM_UP_HITS = 10;
const WARM_UP_MIN_MS = 100;

/** Requests per second by the sliding-window approximation (two fixed windows, weighted). */
class DemandMeter {
  #start = 0;
  #current = 0;
  #previous = 0;

  #roll(now: number): void {
    const elapsed = now - this.#start;
    if (elapsed < DEMAND_WINDOW_MS) return;
    this.#previous = elapsed < 2 * DEMAND_WINDOW_MS ? this.#current : 0;
    this.#current = 0;
    this.#start = now - (elapsed % DEMAND_WINDOW_MS);
  }

  hit(now: number): void {
    this.#roll(now);
    this.#current += 1;
  }

  perSecond(now: number): number {
    this.#roll(now);
    const elapsed = now - this.#start;
    // A key that just became hot has no previous window: measure over what has elapsed, so
    // its leases grow in milliseconds instead of over the first second.
    if (this.#previous === 0 && this.#current >= WARM_UP_HITS) return (this.#current * 1000) / Math.max(elapsed, WARM_UP_MIN_MS);
    const weight = 1 - elapsed / DEMAND_WINDOW_MS;
    return ((this.#previous * weight + this.#current) * 1000) / DEMAND_WINDOW_MS;
  }
}

interface Lease {
  tokens: number;
  expiresAt: number;
}

interface Call {
  /** 1 when the call was made for a request, 0 when it only pays debt (and fetches a lease). */
  want: number;
  /** Requests waiting on it: the caller (if `want`), then those that joined. */
  requests: number;
  /** One decision per waiting request, in order. */
  settled: Promise<Decision[]>;
}

interface Counter {
  leases: Lease[];
  /** Refused locally until then (the object's retry time, capped at DENY_RECHECK_MS). */
  deniedUntil: number;
  /** When the object said to come back: the Retry-After of a locally refused request. */
  retryAt: number;
  failedUntil: number;
  /** Requests admitted on credit, paid with the next call. */
  debt: number;
  demand: DemandMeter;
  inFlight?: Call;
  /** The object's latest view of the buckets. */
  limits?: LimitStatus[];
}

export class LocalLimiter {
  readonly #counters = new Map<string, Counter>();
  readonly #clock: () => number;
  readonly #sendClock: boolean;
  readonly #random: () => number;
  readonly #maxKeys: number;
  #isolate: string | undefined;
  /** Smoothed round trip to the objects (all keys: they share the network path), ms. */
  #roundTripMs = 0;

  constructor(options: LocalLimiterOptions = {}) {
    this.#clock = options.clock ?? Date.now;
    this.#sendClock = options.sendClock ?? false;
    this.#random = options.random ?? Math.random;
    this.#maxKeys = options.maxKeys ?? 10_000;
  }

  /** Decides one request on the counter `name` with limits `spec`. */
  decide(name: string, spec: RateLimitSpec, io: RequestIo): Decision | Promise<Decision> {
    const now = this.#clock();
    const counter = this.#counter(name);
    counter.demand.hit(now);
    if (takeLease(counter, now)) return { outcome: "admitted", limits: limitsWithLease(counter, now) };
    if (now < counter.deniedUntil) return { outcome: "refused", retryAfterMs: counter.retryAt - now };
    if (now < counter.failedUntil) return { outcome: "unavailable" };
    const call = counter.inFlight;
    if (call) {
      const ticket = call.requests++;
      return call.settled.then((decisions) => decisions[ticket]!);
    }
    return this.#call(counter, spec, 1, io).then((decisions) => decisions[0]!);
  }

  /**
   * Forgets what this isolate holds for counter `name` (leases, cached refusal, demand), as
   * after an admin reset of its object: the next request asks the object.
   */
  forget(name: string): void {
    this.#counters.delete(name);
  }

  #counter(name: string): Counter {
    let counter = this.#counters.get(name);
    if (!counter) {
      if (this.#counters.size >= this.#maxKeys) this.#counters.delete(this.#counters.keys().next().value!);
      counter = { leases: [], deniedUntil: 0, retryAt: 0, failedUntil: 0, debt: 0, demand: new DemandMeter() };
      this.#counters.set(name, counter);
    }
    return counter;
  }

  /** One call to the object, deciding its caller and every request that joins it in flight. */
  #call(counter: Counter, spec: RateLimitSpec, want: number, io: RequestIo): Promise<Decision[]> {
    const sentAt = this.#clock();
    this.#isolate ??= crypto.randomUUID();
    const debt = counter.debt;
    counter.debt = 0;
    const request: AcquireRequest = { ...spec, want, debt, isolateDemand: counter.demand.perSecond(sentAt), isolate: this.#isolate, roundTripMs: Math.round(this.#roundTripMs) };
    if (this.#sendClock) request.now = sentAt;
    const call = { want, requests: want } as Call;
    call.settled = io.acquire(request).then(
      (result) => this.#apply(counter, spec, call, result, sentAt, io),
      (error: unknown) => {
        counter.inFlight = undefined;
        counter.debt += debt;
        counter.failedUntil = this.#clock() + FAILURE_BACKOFF_MS;
        // The error is logged once, by the first request that waited for it.
        return Array.from({ length: call.requests }, (_, index): Decision => (index === 0 ? { outcome: "unavailable", error } : { outcome: "unavailable" }));
      },
    );
    counter.inFlight = call;
    return call.settled;
  }

  #apply(counter: Counter, spec: RateLimitSpec, call: Call, result: AcquireResult, sentAt: number, io: RequestIo): Decision[] {
    counter.inFlight = undefined;
    const now = this.#clock();
    this.#roundTripMs += (now - sentAt - this.#roundTripMs) / 4;
    // The lease is counted from when the call was sent, so it ends here before it ends at the object.
    if (result.leaseTokens > 0) counter.leases.push({ tokens: result.leaseTokens, expiresAt: sentAt + result.leaseTtlMs });
    counter.limits = result.limits;
    // Isolates refused together would come back together: jitter spreads them. A wait after a
    // grant is already out of step (each isolate has its own) and is not lengthened.
    const stretch = result.granted ? 1 : 1 + JITTER * this.#random();
    counter.retryAt = result.retryAfterMs > 0 ? now + result.retryAfterMs * stretch : 0;
    counter.deniedUntil = Math.min(counter.retryAt, now + DENY_RECHECK_MS * stretch);
    const admitted = (): Decision => ({ outcome: "admitted", limits: limitsWithLease(counter, now) });
    const refused = (): Decision => ({ outcome: "refused", retryAfterMs: Math.max(0, counter.retryAt - now) });
    // Joiners the lease cannot cover may take what the object still had, on credit.
    let credit = result.granted ? Math.min(...result.limits.map((limit) => limit.remaining)) : 0;
    const decisions: Decision[] = [];
    for (let index = 0; index < call.requests; index++) {
      if (index < call.want) {
        decisions.push(result.granted ? admitted() : refused());
      } else if (takeLease(counter, now)) {
        decisions.push(admitted());
      } else if (credit > 0) {
        credit -= 1;
        counter.debt += 1;
        decisions.push(admitted());
      } else {
        decisions.push(refused());
      }
    }
    // Pay the credit at once, so another isolate cannot spend the same tokens for long.
    if (counter.debt > 0 && !counter.inFlight) io.background(this.#call(counter, spec, 0, io));
    return decisions;
  }
}

/** Takes one token from the earliest-expiring live lease. */
function takeLease(counter: Counter, now: number): boolean {
  counter.leases = counter.leases.filter((lease) => lease.expiresAt > now && lease.tokens > 0);
  const lease = counter.leases.reduce<Lease | undefined>((best, lease) => (best && best.expiresAt <= lease.expiresAt ? best : lease), undefined);
  if (!lease) return false;
  lease.tokens -= 1;
  return true;
}

/** The object's remaining counts plus what this isolate still holds in leases. */
function limitsWithLease(counter: Counter, now: number): LimitStatus[] | undefined {
  const held = counter.leases.reduce((sum, lease) => (lease.expiresAt > now ? sum + lease.tokens : sum), 0);
  return counter.limits?.map((limit) => ({ ...limit, remaining: limit.remaining + held }));
}
