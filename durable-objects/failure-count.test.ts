import { runDurableObjectAlarm, runInDurableObject } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { countFailures, emptyFailureState, SLOTS, type FailureLimitSpec } from "./failure-count";

const T0 = 6_000_000;
const SPEC: FailureLimitSpec = { maxFailures: 5, windowMs: 60_000, blockMs: 900_000 };

/** Failures at the given times (ms after T0), one by one; the state after each. */
function run(times: number[], spec = SPEC) {
  let state = emptyFailureState();
  return times.map((t) => (state = countFailures(state, spec, 1, T0 + t)));
}

describe("countFailures", () => {
  it("blocks on the failure that brings the count to maxFailures within the window, and clears the count", () => {
    const states = run([0, 1_000, 2_000, 3_000, 4_000]);
    expect(states.slice(0, 4).every((state) => state.blockedUntil === 0)).toBe(true);
    expect(states[4]).toEqual({ slotMs: 60_000 / SLOTS, slots: [], blockedUntil: T0 + 4_000 + 900_000, forgetAt: T0 + 4_000 + 900_000 });
  });

  it("forgets failures older than the window (to one slot), and says when the whole state means nothing", () => {
    const states = run([0, 1_000, 2_000, 3_000, 60_500]);
    expect(states.at(-1)!.blockedUntil).toBe(0);
    expect(states.at(-1)!.slots.reduce((sum, [, count]) => sum + count, 0)).toBe(4);
    expect(states.at(-1)!.forgetAt).toBe(T0 + 60_000 + 60_000);
  });

  it("counts a batch of failures at once", () => {
    expect(countFailures(emptyFailureState(), SPEC, 4, T0).blockedUntil).toBe(0);
    expect(countFailures(emptyFailureState(), SPEC, 5, T0).blockedUntil).toBe(T0 + 900_000);
  });

  it("does not count, nor extend the block by, failures reported while blocked; after the block the count starts afresh", () => {
    const blocked = countFailures(emptyFailureState(), SPEC, 5, T0);
    expect(countFailures(blocked, SPEC, 100, T0 + 1_000)).toBe(blocked);
    const after = countFailures(blocked, SPEC, 4, T0 + 900_000);
    expect(after.blockedUntil).toBe(0);
    expect(countFailures(after, SPEC, 1, T0 + 900_001).blockedUntil).toBe(T0 + 900_001 + 900_000);
  });

  it("keeps at most SLOTS slots whatever the flood", () => {
    let state = emptyFailureState();
    const spec = { ...SPEC, maxFailures: 1_000_000 };
    for (let t = 0; t < 600_000; t += 250) state = countFailures(state, spec, 1, T0 + t);
    expect(state.slots.length).toBeLessThanOrEqual(SLOTS);
  });

  it("starts afresh when the window changes (the slots no longer mean the same)", () => {
    const state = countFailures(emptyFailureState(), SPEC, 4, T0);
    expect(countFailures(state, { ...SPEC, windowMs: 120_000 }, 1, T0 + 1).blockedUntil).toBe(0);
  });
});

describe("RateLimiter failure RPC", () => {
  const report = (failures: number, now: number) => ({ ...SPEC, failures, now });

  it("counts failures, says until when the key is blocked, and keeps it until then", async () => {
    const stub = env.RATE_LIMITER.getByName("failures|test|203.0.113.9");
    expect(await stub.failureBlock(T0)).toEqual({ blockedUntil: 0 });
    expect(await stub.countFailures(report(4, T0))).toEqual({ blockedUntil: 0 });
    expect(await stub.countFailures(report(1, T0 + 10))).toEqual({ blockedUntil: T0 + 10 + 900_000 });
    expect(await stub.failureBlock(T0 + 20)).toEqual({ blockedUntil: T0 + 10 + 900_000 });
    expect(await stub.failureBlock(T0 + 10 + 900_000)).toEqual({ blockedUntil: 0 });
  });

  it("counts parallel reports from many isolates exactly", async () => {
    const stub = env.RATE_LIMITER.getByName("failures|test|parallel");
    const verdicts = await Promise.all(Array.from({ length: 10 }, () => stub.countFailures(report(1, T0))));
    expect(verdicts.filter((verdict) => verdict.blockedUntil > 0)).toHaveLength(6);
  });
});

describe("RateLimiter failure storage", () => {
  it("deletes a failure count on its alarm once it means nothing, and keeps one that still does", async () => {
    const stub = env.RATE_LIMITER.getByName("failures|test|forgotten");
    const before = Date.now();
    expect(await stub.countFailures({ ...SPEC, failures: 1 })).toEqual({ blockedUntil: 0 });
    const alarm = await runInDurableObject(stub, (_instance, state) => state.storage.getAlarm());
    expect(alarm).toBeGreaterThanOrEqual(before + SPEC.windowMs - SPEC.windowMs / SLOTS);
    // Not due yet: kept, and the alarm set again.
    expect(await runDurableObjectAlarm(stub)).toBe(true);
    expect(await runInDurableObject(stub, (_instance, state) => state.storage.kv.get("failures"))).toBeDefined();
    // Due: gone, with nothing left to do.
    await runInDurableObject(stub, (_instance, state) => {
      state.storage.kv.put("failures", { ...(state.storage.kv.get("failures") as object), forgetAt: Date.now() - 1 });
    });
    expect(await runDurableObjectAlarm(stub)).toBe(true);
    expect(
      await runInDurableObject(stub, async (_instance, state) => [state.storage.kv.get("failures"), await state.storage.getAlarm()]),
    ).toEqual([undefined, null]);
  });
});
