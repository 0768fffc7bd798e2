import { evictDurableObject, runDurableObjectAlarm, runInDurableObject } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import type { QuotaReservationRequest, RateLimiter, TokenReservationRequest } from "./rate-limiter";
import { BudgetStore } from "./budget-store";
import { charge, drain, heldAmounts, reserve } from "./token-budget";

const T0 = 1_000_000;
const MINUTE = 60_000;
const tokens = (overrides: Partial<TokenReservationRequest> = {}): TokenReservationRequest => ({
  limit: 1_000,
  windowMs: MINUTE,
  tokens: 30,
  settleWithinMs: 600_000,
  now: T0,
  ...overrides,
});
const DAY_END = T0 + 3_600_000;
const quota = (overrides: Partial<QuotaReservationRequest> = {}): QuotaReservationRequest => ({
  maxTokens: 1_000,
  maxCostMicros: 50_000,
  tokens: 100,
  costMicros: 1_000,
  periodEndsAt: DAY_END,
  settleWithinMs: 600_000,
  now: T0,
  ...overrides,
});
const stored = (name: string) =>
  runInDurableObject(env.RATE_LIMITER.getByName(name), (_instance: RateLimiter, state) => [...state.storage.kv.list()].map(([key]) => key));

/** What the alarm does at `at` (simulated time), on the object `name`; then when it is due next. */
const sweep = (name: string, at: number) =>
  runInDurableObject(env.RATE_LIMITER.getByName(name), (_instance: RateLimiter, state) => {
    const budget = new BudgetStore(state.storage.kv);
    budget.sweep(at);
    return budget.alarmAt();
  });

describe("token budget arithmetic", () => {
  const meters = [{ limit: 600, windowMs: MINUTE }];

  it("refills continuously over the window and never below nothing spent", () => {
    expect(drain({ spent: [600], at: T0 }, meters, T0 + 30_000).spent).toEqual([300]);
    expect(drain({ spent: [600], at: T0 }, meters, T0 + 120_000).spent).toEqual([0]);
  });

  it("refuses what does not fit with the wait until it does, and takes nothing", () => {
    const outcome = reserve({ spent: [550], at: T0 }, meters, [100], T0);
    expect(outcome).toMatchObject({ allowed: false, retryAfterMs: 5_000, remaining: [50] });
    expect(outcome.state.spent).toEqual([550]);
  });

  it("takes from every meter or from none", () => {
    const two = [{ limit: 100 }, { limit: 10 }];
    expect(reserve({ spent: [0, 5], at: T0 }, two, [50, 6], T0)).toMatchObject({ allowed: false, retryAfterMs: Infinity });
    expect(reserve({ spent: [0, 5], at: T0 }, two, [50, 5], T0)).toMatchObject({ allowed: true, remaining: [50, 0] });
  });

  it("holds at most a meter's whole limit, and the whole limit for an amount that is no number", () => {
    const two = [{ limit: 600, windowMs: MINUTE }, { limit: Infinity }];
    expect(heldAmounts(two, [5_000, 7])).toEqual([600, 7]);
    expect(heldAmounts(two, [-3, 1e12])).toEqual([0, 1e12]);
    expect(heldAmounts(two, [Number.NaN, Number.NaN])).toEqual([600, 0]);
  });

  it("charges a debt beyond the limit and refunds down to nothing spent, never below", () => {
    expect(charge({ spent: [600], at: T0 }, meters, [200], T0).spent).toEqual([800]);
    expect(charge({ spent: [100], at: T0 }, meters, [-500], T0).spent).toEqual([0]);
  });
});

describe("RateLimiter token budgets", () => {
  it("never lets parallel reservations hold more than the budget", async () => {
    const stub = env.RATE_LIMITER.getByName("ai-tokens|parallel");
    const results = await Promise.all(Array.from({ length: 50 }, () => stub.reserveTokens(tokens())));
    const allowed = results.filter((result) => result.allowed);
    expect(allowed).toHaveLength(33);
    expect(new Set(allowed.map((result) => result.reservationId)).size).toBe(33);
    expect(allowed.map((result) => result.remaining).sort((a, b) => a - b)[0]).toBe(10);
    // 20 more tokens to come back at 1000 per minute: 1.2 s.
    expect(results.filter((result) => !result.allowed).every((result) => result.retryAfterMs === 1_200)).toBe(true);
  });

  it("refunds what the provider did not use, and charges what it used beyond the reservation", async () => {
    const stub = env.RATE_LIMITER.getByName("ai-tokens|settle");
    const first = await stub.reserveTokens(tokens({ tokens: 600 }));
    expect(first.remaining).toBe(400);
    expect(await stub.settleTokens({ reservationId: first.reservationId!, actual: 100, now: T0 })).toEqual({ settled: true });
    expect((await stub.reserveTokens(tokens({ tokens: 900, settleWithinMs: 0 }))).allowed).toBe(true);
    const next = await stub.reserveTokens(tokens({ tokens: 1 }));
    expect(next.allowed).toBe(false);
    // A minute later the budget is full again; a reservation of 100 settled at 1400 leaves a debt.
    const later = T0 + MINUTE;
    const small = await stub.reserveTokens(tokens({ tokens: 100, now: later }));
    expect(small.allowed).toBe(true);
    expect(await stub.settleTokens({ reservationId: small.reservationId!, actual: 1_400, now: later })).toEqual({ settled: true });
    // 1400 spent out of 1000: a debt of 400, so a request of 30 waits for 430 tokens (25.8 s).
    expect(await stub.reserveTokens(tokens({ now: later }))).toMatchObject({ allowed: false, retryAfterMs: 25_800 });
  });

  it("charges a reservation never settled in full: a settlement after its deadline changes nothing", async () => {
    const stub = env.RATE_LIMITER.getByName("ai-tokens|unsettled");
    const held = await stub.reserveTokens(tokens({ tokens: 1_000, settleWithinMs: 10_000 }));
    expect(await stub.settleTokens({ reservationId: held.reservationId!, actual: 0, now: T0 + 10_001 })).toEqual({ settled: false });
    // Refilled by 10 s at 1000/min (166.7), nothing refunded.
    expect(await stub.reserveTokens(tokens({ tokens: 200, now: T0 + 10_001 }))).toMatchObject({ allowed: false });
    expect(await stub.settleTokens({ reservationId: "not-a-reservation", actual: 0, now: T0 })).toEqual({ settled: false });
    // A usage that is no number charges the reservation as it is.
    const late = T0 + 10 * MINUTE;
    const odd = await stub.reserveTokens(tokens({ tokens: 1_000, now: late }));
    expect(await stub.settleTokens({ reservationId: odd.reservationId!, actual: Number.NaN, now: late })).toEqual({ settled: true });
    expect(await stub.reserveTokens(tokens({ tokens: 1, now: late }))).toMatchObject({ allowed: false });
  });

  it("keeps the budget and its reservations across eviction", async () => {
    const stub = env.RATE_LIMITER.getByName("ai-tokens|evicted");
    const held = await stub.reserveTokens(tokens({ tokens: 900 }));
    await evictDurableObject(stub);
    expect((await stub.reserveTokens(tokens({ tokens: 200 }))).allowed).toBe(false);
    await evictDurableObject(stub);
    expect(await stub.settleTokens({ reservationId: held.reservationId!, actual: 50, now: T0 })).toEqual({ settled: true });
    expect((await stub.reserveTokens(tokens({ tokens: 200 }))).allowed).toBe(true);
  });

  it("holds the whole budget for a reservation larger than it, once the budget is full", async () => {
    const stub = env.RATE_LIMITER.getByName("ai-tokens|large");
    const large = await stub.reserveTokens(tokens({ tokens: 5_000 }));
    expect(large).toMatchObject({ allowed: true, remaining: 0 });
    expect(await stub.reserveTokens(tokens({ tokens: 5_000, now: T0 + 30_000 }))).toMatchObject({ allowed: false, retryAfterMs: 30_000 });
  });

  it("with no settlement asked, charges for good and stores no reservation (a provider's requests per minute)", async () => {
    const stub = env.RATE_LIMITER.getByName("ai-provider|final");
    const results = await Promise.all(
      Array.from({ length: 5 }, () => stub.reserveTokens(tokens({ limit: 3, tokens: 1, settleWithinMs: 0 }))),
    );
    expect(results.map((result) => result.allowed)).toEqual([true, true, true, false, false]);
    expect(results[0]!.reservationId).toBeUndefined();
    expect(results[3]!.retryAfterMs).toBe(20_000);
    expect(await stored("ai-provider|final")).toEqual(["budget"]);
  });

  it("drops a reservation past its deadline (charged in full), then the budget once it means nothing", async () => {
    const stub = env.RATE_LIMITER.getByName("ai-tokens|sweep");
    const held = await stub.reserveTokens(tokens({ tokens: 1_000, settleWithinMs: 10_000 }));
    expect(await sweep("ai-tokens|sweep", T0 + 9_999)).toBe(T0 + 10_000);
    expect(await stored("ai-tokens|sweep")).toEqual(["budget", `budget-reservation:${held.reservationId}`]);
    // The reservation goes; the 1000 tokens it held drain over the minute.
    expect(await sweep("ai-tokens|sweep", T0 + 10_000)).toBe(T0 + MINUTE);
    expect(await stored("ai-tokens|sweep")).toEqual(["budget"]);
    expect(await sweep("ai-tokens|sweep", T0 + MINUTE)).toBeUndefined();
    expect(await stored("ai-tokens|sweep")).toEqual([]);
  });

  it("runs the sweep on its alarm, set for the first deadline", async () => {
    const stub = env.RATE_LIMITER.getByName("ai-tokens|alarm");
    const before = Date.now();
    const held = await stub.reserveTokens({ limit: 1_000, windowMs: 50, tokens: 10, settleWithinMs: 1 });
    expect(held.allowed).toBe(true);
    // The alarm runs by itself at the deadline; runDurableObjectAlarm runs it now if it has not yet.
    for (let round = 0; round < 50 && (await stored("ai-tokens|alarm")).length > 0; round++) {
      await new Promise((resolve) => setTimeout(resolve, 10));
      await runDurableObjectAlarm(stub);
    }
    expect(await stored("ai-tokens|alarm")).toEqual([]);
    expect(await stub.settleTokens({ reservationId: held.reservationId!, actual: 0 })).toEqual({ settled: false });
    const later = await stub.reserveTokens({ limit: 1_000, windowMs: MINUTE, tokens: 10, settleWithinMs: MINUTE });
    const alarm = await runInDurableObject(stub, (_instance: RateLimiter, state) => state.storage.getAlarm());
    expect(alarm).toBeGreaterThanOrEqual(before + MINUTE);
    expect(later.allowed).toBe(true);
  });

  it("forgets the budget on reset", async () => {
    const stub = env.RATE_LIMITER.getByName("ai-tokens|reset");
    await stub.reserveTokens(tokens({ tokens: 1_000 }));
    await stub.reset();
    expect(await stored("ai-tokens|reset")).toEqual([]);
    expect((await stub.reserveTokens(tokens({ tokens: 1_000 }))).allowed).toBe(true);
  });
});

describe("RateLimiter daily quotas", () => {
  it("never lets parallel reservations hold more than the day's tokens or cost, and refuses until the day ends", async () => {
    const stub = env.RATE_LIMITER.getByName("ai-quota|parallel");
    const results = await Promise.all(Array.from({ length: 20 }, () => stub.reserveQuota(quota())));
    expect(results.filter((result) => result.allowed)).toHaveLength(10);
    expect(results.find((result) => !result.allowed)).toMatchObject({
      retryAfterMs: DAY_END - T0,
      remaining: { tokens: 0, costMicros: 40_000 },
    });
    const cost = env.RATE_LIMITER.getByName("ai-quota|cost");
    const byCost = await Promise.all(Array.from({ length: 8 }, () => cost.reserveQuota(quota({ costMicros: 20_000 }))));
    expect(byCost.filter((result) => result.allowed)).toHaveLength(2);
  });

  it("does not refill within the day, settles both meters, and counts what has no limit", async () => {
    const stub = env.RATE_LIMITER.getByName("ai-quota|settle");
    const held = await stub.reserveQuota(quota({ tokens: 1_000 }));
    expect((await stub.reserveQuota(quota({ tokens: 1, now: DAY_END - 1 }))).allowed).toBe(false);
    expect(await stub.settleQuota({ reservationId: held.reservationId!, tokens: 400, costMicros: 49_000, now: T0 })).toEqual({
      settled: true,
    });
    expect(await stub.reserveQuota(quota({ tokens: 600, costMicros: 1_000, now: DAY_END - 1 }))).toMatchObject({
      allowed: true,
      remaining: { tokens: 0, costMicros: 0 },
    });
    const unlimited = await env.RATE_LIMITER.getByName("ai-quota|unlimited").reserveQuota(quota({ maxTokens: undefined, tokens: 1e9 }));
    expect(unlimited).toMatchObject({ allowed: true, remaining: { tokens: null, costMicros: 49_000 } });
  });

  it("keeps a quota after its day until late settlements are past their deadline", async () => {
    const stub = env.RATE_LIMITER.getByName("ai-quota|late");
    await stub.reserveQuota(quota());
    expect(await sweep("ai-quota|late", DAY_END)).toBe(DAY_END + 600_000);
    expect(await sweep("ai-quota|late", DAY_END + 600_000)).toBeUndefined();
  });

  it("sets its alarm to the end of its day, and is deleted then, not before", async () => {
    const stub = env.RATE_LIMITER.getByName("ai-quota|forgotten");
    const periodEndsAt = Date.now() + 3_600_000;
    await stub.reserveQuota({ maxTokens: 100, tokens: 10, costMicros: 0, periodEndsAt, settleWithinMs: 0 });
    expect(await runInDurableObject(stub, (_instance: RateLimiter, state) => state.storage.getAlarm())).toBe(periodEndsAt);
    await sweep("ai-quota|forgotten", periodEndsAt - 1);
    expect(await stored("ai-quota|forgotten")).toEqual(["budget"]);
    await sweep("ai-quota|forgotten", periodEndsAt);
    expect(await stored("ai-quota|forgotten")).toEqual([]);
  });
});
