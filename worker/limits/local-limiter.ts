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
 * covers are admitted on credit, up to the `credit` the object allowed (the tokens it still had,
 * or this isolate's part of them when over the limit), and the debt is paid at once by a
 * background call (see durable-objects/README.md for the accuracy). A call outlives a cancelled
 * request that made it (waitUntil), and its joiners stop waiting for it after ABANDONED_CALL_MS.
 *
 * Per key it keeps a demand meter (requests per second seen here), sent with every call so the
 * object sizes the lease to this isolate's demand and share.
 */
import type { AcquireRequest, AcquireResult, LimitStatus, RateLimitSpec } from "../../durable-objects/rate-limiter";
import { bucketsOf } from "../../durable-objects/token-bucket";

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
/**
 * A refusal is cached up to this much shorter or longer than the object said, at random (never
 * past the Retry-After it was told), so that isolates sent away together do not come back
 * together.
 */
const JITTER = 0.25;
/**
 * A refusal is cached for at most this long (times the same jitter) even when the object's retry
 * time is later (a per-hour quota can say minutes): then the object is asked again. So an admin
 * reset (DELETE /admin/rate-limits/:key) reaches every isolate within this, plus the jitter and
 * one round trip, at the cost of one call per isolate and refused key per period. The client's
 * Retry-After is still the object's word.
 */
export const DENY_RECHECK_MS = 2_000;
/**
 * A call to the object not answered after this long is abandoned by the requests that joined
 * it: the request that made it may have been cancelled. An object call normally takes
 * milliseconds; this only bounds how long a cancellation can hold other requests.
 */
export const ABANDONED_CALL_MS = 5_000;
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
  sentAt: number;
  /** Its joiners stopped waiting (see ABANDONED_CALL_MS). */
  abandoned: boolean;
}

interface Counter {
  leases: Lease[];
  /** Refused locally until then (the object's retry time, jittered, capped at DENY_RECHECK_MS). */
  deniedUntil: number;
  /**
   * When the object said to come back (not before its next token): with `deniedUntil`, the
   * real wait a refused request is told in Retry-After.
   */
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
    if (now < counter.deniedUntil) return { outcome: "refused", retryAfterMs: Math.max(counter.retryAt, counter.deniedUntil) - now };
    if (now < counter.failedUntil) return { outcome: "unavailable" };
    const call = counter.inFlight;
    if (call && now - call.sentAt < ABANDONED_CALL_MS) return this.#join(counter, call, now);
    // No call, or one whose request was cancelled before it could land: a call of this request's own.
    if (call) call.abandoned = true;
    return this.#call(counter, spec, 1, io).then((decisions) => decisions[0]!);
  }

  /**
   * Waits for the call another request made, at most until ABANDONED_CALL_MS after it was sent:
   * the request that made it may be cancelled (a client that hung up) before the call lands, and
   * its waiters must not hang with it. Past that, this request is decided as if the call failed
   * (the fail policy) and the next request makes a call of its own.
   */
  #join(counter: Counter, call: Call, now: number): Promise<Decision> {
    const ticket = call.requests++;
    let timer: ReturnType<typeof setTimeout> | undefined;
    const abandoned = new Promise<Decision>((resolve) => {
      timer = setTimeout(
        () => {
          call.abandoned = true;
          if (counter.inFlight === call) counter.inFlight = undefined;
          resolve({ outcome: "unavailable" });
        },
        call.sentAt + ABANDONED_CALL_MS - now,
      );
    });
    return Promise.race([call.settled.then((decisions) => decisions[ticket]!), abandoned]).finally(() => clearTimeout(timer));
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
    const held = heldTokens(counter, sentAt);
    const request: AcquireRequest = {
      ...spec,
      want,
      debt,
      held,
      isolateDemand: counter.demand.perSecond(sentAt),
      isolate: this.#isolate,
      roundTripMs: Math.round(this.#roundTripMs),
    };
    if (this.#sendClock) request.now = sentAt;
    const call = { want, requests: want, sentAt, abandoned: false } as Call;
    call.settled = io.acquire(request).then(
      (result) => this.#apply(counter, spec, call, result, sentAt, io),
      (error: unknown) => {
        if (counter.inFlight === call) counter.inFlight = undefined;
        counter.debt += debt;
        counter.failedUntil = this.#clock() + FAILURE_BACKOFF_MS;
        // The error is logged once, by the first request that waited for it.
        return Array.from({ length: call.requests }, (_, index): Decision =>
          index === 0 ? { outcome: "unavailable", error } : { outcome: "unavailable" },
        );
      },
    );
    counter.inFlight = call;
    // Other requests may join this call: it must land even if this request is cancelled (the
    // runtime keeps a cancelled request's waitUntil work going).
    if (want > 0) io.background(call.settled);
    return call.settled;
  }

  #apply(counter: Counter, spec: RateLimitSpec, call: Call, result: AcquireResult, sentAt: number, io: RequestIo): Decision[] {
    if (counter.inFlight === call) counter.inFlight = undefined;
    const now = this.#clock();
    this.#roundTripMs += (now - sentAt - this.#roundTripMs) / 4;
    // The lease is counted from when the call was sent, so it ends here before it ends at the object.
    if (result.leaseTokens > 0) counter.leases.push({ tokens: result.leaseTokens, expiresAt: sentAt + result.leaseTtlMs });
    counter.limits = result.limits;
    const wait = result.retryAfterMs;
    counter.retryAt = wait > 0 ? now + wait : 0;
    counter.deniedUntil = wait > 0 ? now + jitteredWait(wait, 1 + JITTER * (2 * this.#random() - 1)) : 0;
    const admitted = (): Decision => ({ outcome: "admitted", limits: limitsWithLease(counter, now) });
    const refused = (): Decision => ({ outcome: "refused", retryAfterMs: Math.max(counter.retryAt, counter.deniedUntil) - now });
    // Joiners the lease cannot cover may take what the object still had, on credit.
    let credit = result.credit;
    const decisions: Decision[] = [];
    // Joiners of an abandoned call were answered already: they take no lease token or credit.
    const waiting = call.abandoned ? call.want : call.requests;
    for (let index = 0; index < waiting; index++) {
      if (index < call.want) {
        decisions.push(result.granted ? admitted() : refused());
      } else if (takeLease(counter, now)) {
        decisions.push(admitted());
      } else if (credit > 0) {
        credit -= 1;
        counter.debt += 1;
        decisions.push(admitted());
      } else {
        // Beyond the lease and the credit: this isolate's next token is at most one token's
        // refill away (a granted call left no wait of its own).
        if (counter.retryAt <= now) counter.retryAt = now + oneTokenMs(spec);
        decisions.push(refused());
      }
    }
    // Pay the credit at once, so another isolate cannot spend the same tokens for long.
    if (counter.debt > 0 && !counter.inFlight) io.background(this.#call(counter, spec, 0, io));
    return decisions;
  }
}

/**
 * How long the deny-cache refuses for a wait of `waitMs`: jittered (`stretch`) so that isolates
 * refused together do not come back together, but never past the wait rounded up to whole
 * seconds, so a client that waits out its Retry-After is not refused by the cache; and at most
 * DENY_RECHECK_MS (jittered the same way).
 */
function jitteredWait(waitMs: number, stretch: number): number {
  return Math.min(waitMs * stretch, Math.ceil(waitMs / 1000) * 1000, DENY_RECHECK_MS * stretch);
}

/** Time the slowest bucket of `spec` takes to refill one token. */
function oneTokenMs(spec: RateLimitSpec): number {
  return Math.max(...bucketsOf(spec).map((bucket) => 1 / bucket.perMs));
}

/** Takes one token from the earliest-expiring live lease. */
function takeLease(counter: Counter, now: number): boolean {
  counter.leases = counter.leases.filter((lease) => lease.expiresAt > now && lease.tokens > 0);
  const lease = counter.leases.reduce<Lease | undefined>(
    (best, lease) => (best && best.expiresAt <= lease.expiresAt ? best : lease),
    undefined,
  );
  if (!lease) return false;
  lease.tokens -= 1;
  return true;
}

/** Tokens of live leases not spent yet. */
function heldTokens(counter: Counter, now: number): number {
  return counter.leases.reduce((sum, lease) => (lease.expiresAt > now ? sum + lease.tokens : sum), 0);
}

/** The object's remaining counts plus what this isolate still holds in leases. */
function limitsWithLease(counter: Counter, now: number): LimitStatus[] | undefined {
  const held = heldTokens(counter, now);
  return counter.limits?.map((limit) => ({ ...limit, remaining: limit.remaining + held }));
}
