import { describe, expect, it } from "vitest";
import { acquire, bucketsOf, emptyState, inspect, leasePeriod, type AcquireInput, type CounterState } from "./token-bucket";

const T0 = 1_000_000;
/** A caller with no demand history: no lease, exact retry times. */
const cold: AcquireInput = { want: 1, debt: 0, demand: 0, totalDemand: 0, roundTripMs: 0 };

function admitAll(state: CounterState, spec: Parameters<typeof bucketsOf>[0], count: number, now: number, input = cold): number {
  const buckets = bucketsOf(spec);
  let admitted = 0;
  for (let i = 0; i < count; i++) if (acquire(state, buckets, input, now).granted) admitted++;
  return admitted;
}

describe("bucketsOf", () => {
  it("makes a burst bucket from rate and burst; burst defaults to the rate rounded up", () => {
    expect(bucketsOf({ rate: 100, burst: 200 })).toEqual([{ name: "burst", capacity: 200, perMs: 0.1 }]);
    expect(bucketsOf({ rate: 2.5 })[0]!.capacity).toBe(3);
    expect(bucketsOf({ rate: 0.5 })[0]!.capacity).toBe(1);
  });

  it("adds minute and hour buckets refilling over their window", () => {
    expect(bucketsOf({ windows: { minute: 60, hour: 3600 } })).toEqual([
      { name: "minute", capacity: 60, perMs: 0.001 },
      { name: "hour", capacity: 3600, perMs: 0.001 },
    ]);
  });

  it("refuses limits that could never admit", () => {
    expect(() => bucketsOf({})).toThrow(RangeError);
    expect(() => bucketsOf({ windows: { minute: 0.5 } })).toThrow(/capacity/);
    expect(() => bucketsOf({ rate: -1 })).toThrow(RangeError);
    expect(() => bucketsOf({ rate: Number.NaN })).toThrow(RangeError);
  });
});

describe("token bucket: burst at once, then the sustained rate", () => {
  it("admits exactly `burst` at one instant and refuses the next with the exact wait", () => {
    const state = emptyState();
    expect(admitAll(state, { rate: 10, burst: 5 }, 20, T0)).toBe(5);
    const refused = acquire(state, bucketsOf({ rate: 10, burst: 5 }), cold, T0);
    expect(refused).toMatchObject({ granted: false, leaseTokens: 0, retryAfterMs: 100 });
  });

  it("then admits `rate` per second, however the requests are spread", () => {
    const state = emptyState();
    const spec = { rate: 10, burst: 5 };
    admitAll(state, spec, 5, T0);
    let admitted = 0;
    // 100 requests a second for 10 s: 10 admitted per second.
    for (let ms = 10; ms <= 10_000; ms += 10) admitted += admitAll(state, spec, 1, T0 + ms);
    expect(admitted).toBe(100);
  });

  it("refills up to the burst, no further", () => {
    const state = emptyState();
    const spec = { rate: 10, burst: 5 };
    admitAll(state, spec, 5, T0);
    expect(admitAll(state, spec, 100, T0 + 60_000)).toBe(5);
  });

  it("admits a request only when every bucket has a token (per-minute quota)", () => {
    const state = emptyState();
    const spec = { rate: 10, burst: 10, windows: { minute: 15 } };
    expect(admitAll(state, spec, 20, T0)).toBe(10);
    // One second later the burst bucket holds 10 again, the minute bucket 5.25.
    expect(admitAll(state, spec, 20, T0 + 1000)).toBe(5);
    const refused = acquire(state, bucketsOf(spec), cold, T0 + 1000);
    expect(refused.granted).toBe(false);
    expect(refused.limits.map((limit) => limit.name)).toEqual(["burst", "minute"]);
    // The minute bucket (0.25 tokens, 0.25 per second) decides the wait: 3 s.
    expect(refused.retryAfterMs).toBe(3000);
  });

  it("follows a changed config on the next call: a smaller burst caps the tokens held", () => {
    const state = emptyState();
    admitAll(state, { rate: 10, burst: 100 }, 1, T0);
    expect(admitAll(state, { rate: 10, burst: 5 }, 100, T0)).toBe(5);
  });

  it("reports remaining tokens and the time until full", () => {
    const state = emptyState();
    admitAll(state, { rate: 10, burst: 5 }, 3, T0);
    expect(inspect(state, bucketsOf({ rate: 10, burst: 5 }), T0)).toEqual({
      buckets: [{ name: "burst", remaining: 2, resetMs: 300 }],
      leasedTokens: 0,
    });
  });
});

describe("leases", () => {
  const spec = { rate: 100, burst: 200 };
  const hot: AcquireInput = { want: 1, debt: 0, demand: 50, totalDemand: 50, roundTripMs: 0 };

  it("lease what the caller's demand uses in one period, taken from the bucket at once", () => {
    const state = emptyState();
    const result = acquire(state, bucketsOf(spec), hot, T0);
    expect(result).toMatchObject({ granted: true, leaseTokens: 50, retryAfterMs: 0 });
    expect(result.limits[0]!.remaining).toBe(149);
    expect(inspect(state, bucketsOf(spec), T0).leasedTokens).toBe(50);
  });

  it("count leased tokens against the capacity until they expire: bucket + leases <= burst", () => {
    const state = emptyState();
    const buckets = bucketsOf(spec);
    acquire(state, buckets, hot, T0);
    // Long after, the bucket refills only to 200 - 50 while the lease may still be in use...
    const ttl = acquire(emptyState(), buckets, hot, T0).leaseTtlMs;
    expect(inspect(state, buckets, T0 + ttl - 1).buckets[0]!.remaining).toBe(150);
    // ...and to the full burst once it has expired (on its 100 ms slot).
    expect(inspect(state, buckets, T0 + ttl + 100).buckets[0]!.remaining).toBe(200);
  });

  it("live twice as long as the demand needs, plus the caller's round trip, at most a period", () => {
    const buckets = bucketsOf(spec);
    expect(acquire(emptyState(), buckets, hot, T0).leaseTtlMs).toBe(1000);
    // 500/s over a limit of 100/s takes half the bucket (100 of the 199 left): used in 200 ms.
    expect(acquire(emptyState(), buckets, { ...hot, demand: 500, totalDemand: 500 }, T0)).toMatchObject({
      leaseTokens: 100,
      leaseTtlMs: 400,
    });
    expect(acquire(emptyState(), buckets, { ...hot, demand: 500, totalDemand: 500, roundTripMs: 120 }, T0).leaseTtlMs).toBe(400 + 120);
  });

  it("are no longer than it takes to refill half the smallest bucket", () => {
    expect(leasePeriod(bucketsOf({ rate: 100, burst: 200 }))).toBe(1000);
    expect(leasePeriod(bucketsOf({ rate: 100, burst: 20 }))).toBe(100);
  });

  it("over the limit, spend the tokens in the bucket, split by demand, half a bucket at most per lease", () => {
    const state = emptyState();
    const buckets = bucketsOf({ rate: 100, burst: 100 });
    admitAll(state, { rate: 100, burst: 100 }, 100, T0);
    // One second later the bucket holds 100. An isolate with 80% of a 1000/s demand takes its
    // 80% of the 99 left (79), capped at half the bucket: 50. Tokens are left, so it may come
    // back as soon as it has spent them (staying away would leave them idle).
    const hot = acquire(state, buckets, { want: 1, debt: 0, demand: 800, totalDemand: 1000, roundTripMs: 0 }, T0 + 1000);
    expect(hot).toMatchObject({ granted: true, leaseTokens: 50, retryAfterMs: 0 });
    // One with 20% of the demand: its share of a period (20/s for 500 ms: 10), more than its
    // 20% of the 48 left.
    const quiet = acquire(state, buckets, { want: 1, debt: 0, demand: 200, totalDemand: 1000, roundTripMs: 0 }, T0 + 1000);
    expect(quiet).toMatchObject({ granted: true, leaseTokens: 10, retryAfterMs: 0 });
    // Credit for requests that joined its call beyond the lease: its 20% of the 37 left.
    expect(quiet.credit).toBe(7);
  });

  it("allow credit up to the tokens left to a caller under the limit", () => {
    const result = acquire(emptyState(), bucketsOf({ rate: 100, burst: 100 }), cold, T0);
    expect(result).toMatchObject({ granted: true, leaseTokens: 0, credit: 99 });
    expect(acquire(emptyState(), bucketsOf({ rate: 1, burst: 1 }), cold, T0).credit).toBe(0);
  });

  it("over the limit, on a drained bucket, make the caller wait for a batch of its share, not for what it got", () => {
    const state = emptyState();
    const buckets = bucketsOf({ rate: 50 });
    const hot: AcquireInput = { want: 1, debt: 0, demand: 500, totalDemand: 500, roundTripMs: 0 };
    // The first call takes half the bucket (25), the second the rest (24) and drains it.
    expect(acquire(state, buckets, hot, T0)).toMatchObject({ leaseTokens: 25, retryAfterMs: 0 });
    expect(acquire(state, buckets, hot, T0)).toMatchObject({ leaseTokens: 23, retryAfterMs: 100 });
    // 100 ms: a batch (5 tokens) of its 50/s share, though it just got 24 (coming back after
    // 480 ms would make every wait that long, and a window would end with 24 tokens unspent).
  });

  it("stop counting the tokens of a lease against the bucket once its holder reports them spent", () => {
    const buckets = bucketsOf({ rate: 50 });
    const hot: AcquireInput = { want: 1, debt: 0, demand: 500, totalDemand: 500, roundTripMs: 0, holder: "a", held: 0 };
    /** A call that only reports (no token, no demand: no new lease). */
    const report = (held: number, holder = "a"): AcquireInput => ({
      want: 0,
      debt: 0,
      demand: 0,
      totalDemand: 0,
      roundTripMs: 0,
      holder,
      held,
    });
    const state = emptyState();
    expect(acquire(state, buckets, hot, T0).leaseTokens).toBe(25);
    expect(acquire(state, buckets, { ...hot, holder: "b" }, T0).leaseTokens).toBe(23);
    // "a" still holds 10 of its 25: 15 no longer need room in the bucket; b's 23 still do.
    acquire(state, buckets, report(10), T0 + 10);
    expect(inspect(state, buckets, T0 + 10).leasedTokens).toBe(10 + 23);
    acquire(state, buckets, report(0), T0 + 20);
    expect(inspect(state, buckets, T0 + 20).leasedTokens).toBe(23);
    // The bucket refills at the rate meanwhile: 2 tokens in 40 ms.
    expect(inspect(state, buckets, T0 + 40).buckets[0]!.remaining).toBe(2);
  });

  it("without a holder id, keep counting leases until they expire", () => {
    const buckets = bucketsOf({ rate: 50 });
    const state = emptyState();
    const anonymous: AcquireInput = { want: 1, debt: 0, demand: 500, totalDemand: 500, roundTripMs: 0, held: 0 };
    acquire(state, buckets, anonymous, T0);
    acquire(state, buckets, anonymous, T0 + 1);
    expect(inspect(state, buckets, T0 + 1).leasedTokens).toBe(48);
  });

  it("make a refused hot caller wait for a batch of its share, not for the next single token", () => {
    const state = emptyState();
    const buckets = bucketsOf({ rate: 100, burst: 100 });
    admitAll(state, { rate: 100, burst: 100 }, 100, T0);
    const refused = acquire(state, buckets, { want: 1, debt: 0, demand: 1000, totalDemand: 1000, roundTripMs: 0 }, T0);
    // A batch (5 tokens) of its 100/s share: 50 ms (a cold caller waits 10 ms for one token).
    expect(refused).toMatchObject({ granted: false, retryAfterMs: 50 });
    expect(acquire(state, buckets, cold, T0).retryAfterMs).toBe(10);
  });
});

describe("input", () => {
  it("is refused when a number is negative or not finite, before anything is taken", () => {
    const state = emptyState();
    const buckets = bucketsOf({ rate: 10, burst: 5 });
    expect(() => acquire(state, buckets, { ...cold, want: -1 }, T0)).toThrow(/want/);
    expect(() => acquire(state, buckets, { ...cold, demand: Number.POSITIVE_INFINITY }, T0)).toThrow(/demand/);
    expect(() => acquire(state, buckets, { ...cold, debt: Number.NaN }, T0)).toThrow(/debt/);
    expect(state).toEqual(emptyState());
  });
});

describe("debt", () => {
  it("is taken from every bucket, below zero if need be, and delays the next grant", () => {
    const state = emptyState();
    const buckets = bucketsOf({ rate: 10, burst: 5 });
    const paid = acquire(state, buckets, { ...cold, want: 0, debt: 8 }, T0);
    expect(paid.granted).toBe(false);
    // -3 tokens: the next one is 400 ms away.
    expect(acquire(state, buckets, cold, T0).retryAfterMs).toBe(400);
    expect(acquire(state, buckets, cold, T0 + 400).granted).toBe(true);
  });
});
