import { afterEach, describe, expect, it, vi } from "vitest";
import type { FailureReport, FailureVerdict } from "../../durable-objects/rate-limiter";
import { countFailures, emptyFailureState, type FailureState } from "../../durable-objects/failure-count";
import { FailureLimiter, type FailureIo } from "./failure-limit";

const SPEC = { maxFailures: 3, windowMs: 60_000, blockMs: 30_000 };

/** Objects in memory with the real arithmetic, the calls they receive, and a switch to hold calls in flight. */
function objects(clock: () => number) {
  const states = new Map<string, FailureState>();
  const calls: { name: string; failures?: number }[] = [];
  let held: (() => void)[] | undefined;
  const answer = <T>(value: () => T): Promise<T> =>
    held ? new Promise((resolve) => held!.push(() => resolve(value()))) : Promise.resolve(value());
  const io: FailureIo = {
    report: (name: string, report: FailureReport): Promise<FailureVerdict> => {
      calls.push({ name, failures: report.failures });
      return answer(() => {
        const state = countFailures(states.get(name) ?? emptyFailureState(), report, report.failures, clock());
        states.set(name, state);
        return { blockedUntil: state.blockedUntil };
      });
    },
    block: (name: string) => {
      calls.push({ name });
      return answer(() => ({ blockedUntil: states.get(name)?.blockedUntil ?? 0 }));
    },
  };
  return {
    io,
    calls,
    hold: () => void (held = []),
    release: () => {
      const waiting = held ?? [];
      held = undefined;
      for (const resolve of waiting) resolve();
    },
  };
}

function setup() {
  let now = 1_000_000;
  const clock = () => now;
  const limiter = new FailureLimiter({ clock });
  return { limiter, ...objects(clock), advance: (ms: number) => void (now += ms) };
}

afterEach(() => vi.restoreAllMocks());

describe("FailureLimiter", () => {
  it("knows of no block, and calls nothing, until a reported failure reaches the limit", async () => {
    const { limiter, io, calls } = setup();
    expect(limiter.blocking).toBe(false);
    expect(limiter.blockedFor("a")).toBe(0);
    expect(calls).toEqual([]);
    await limiter.fail("a", SPEC, io);
    await limiter.fail("a", SPEC, io);
    expect(limiter.blocking).toBe(false);
    await limiter.fail("a", SPEC, io);
    expect(limiter.blocking).toBe(true);
    expect(limiter.blockedFor("a")).toBe(30_000);
    expect(limiter.blockedFor("b")).toBe(0);
    expect(calls).toHaveLength(3);
  });

  it("ends the block when the object said, and forgets it", async () => {
    const { limiter, io, advance } = setup();
    await limiter.fail("a", { ...SPEC, maxFailures: 1 }, io);
    advance(29_999);
    expect(limiter.blockedFor("a")).toBe(1);
    advance(1);
    expect(limiter.blockedFor("a")).toBe(0);
    expect(limiter.blocking).toBe(false);
  });

  it("knows of no block once every block ended, without asking for each name", async () => {
    const { limiter, io, advance } = setup();
    await limiter.fail("a", { ...SPEC, maxFailures: 1 }, io);
    advance(10_000);
    await limiter.fail("b", { ...SPEC, maxFailures: 1 }, io);
    advance(20_000);
    expect(limiter.blocking).toBe(true);
    expect(limiter.blockedFor("a")).toBe(0);
    expect(limiter.blockedFor("b")).toBe(10_000);
    advance(10_000);
    expect(limiter.blocking).toBe(false);
    expect(limiter.blockedFor("b")).toBe(0);
  });

  it("keeps one call in flight per name: failures meanwhile go together with the next call", async () => {
    const { limiter, io, calls, hold, release } = setup();
    hold();
    const reported = Array.from({ length: 5 }, () => limiter.fail("a", SPEC, io));
    expect(calls).toEqual([{ name: "a", failures: 1 }]);
    release();
    await Promise.all(reported);
    expect(calls).toEqual([
      { name: "a", failures: 1 },
      { name: "a", failures: 4 },
    ]);
    expect(limiter.blockedFor("a")).toBe(30_000);
  });

  it("asks the object only when it knows of no block (confirmedBlockFor), and learns the block", async () => {
    const first = setup();
    await first.limiter.fail("a", SPEC, first.io);
    const other = new FailureLimiter({ clock: () => 1_000_000 });
    // Another isolate's failures block "a" at the object.
    await other.fail("a", SPEC, first.io);
    await other.fail("a", SPEC, first.io);
    expect(first.limiter.blockedFor("a")).toBe(0);
    expect(await first.limiter.confirmedBlockFor("a", first.io)).toBe(30_000);
    const calls = first.calls.length;
    expect(await first.limiter.confirmedBlockFor("a", first.io)).toBe(30_000);
    expect(first.calls).toHaveLength(calls);
  });

  it("counts nothing and blocks nobody when the objects cannot be reached, and logs it without the name", async () => {
    const warn = vi.spyOn(console, "warn").mockImplementation(() => {});
    const limiter = new FailureLimiter();
    const down: FailureIo = { report: () => Promise.reject(new Error("down")), block: () => Promise.reject(new TypeError("down")) };
    await expect(limiter.fail("failures|auth|203.0.113.1", SPEC, down)).resolves.toBeUndefined();
    expect(await limiter.confirmedBlockFor("failures|auth|203.0.113.1", down)).toBe(0);
    expect(limiter.blocking).toBe(false);
    expect(warn.mock.calls.map(([line]) => JSON.parse(String(line)))).toEqual([
      { level: "warn", event: "failure_limit_unavailable", name: "Error" },
      { level: "warn", event: "failure_limit_unavailable", name: "TypeError" },
    ]);
  });

  it("remembers at most maxBlocked blocked names, forgetting the oldest", async () => {
    const { io } = setup();
    const limiter = new FailureLimiter({ clock: () => 1_000_000, maxBlocked: 2 });
    for (const name of ["a", "b", "c"]) await limiter.fail(name, { ...SPEC, maxFailures: 1 }, io);
    expect(["a", "b", "c"].map((name) => limiter.blockedFor(name) > 0)).toEqual([false, true, true]);
  });
});
