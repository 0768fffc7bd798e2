import { afterEach, describe, expect, it, vi } from "vitest";
import { EventWindows, MAX_OPEN_WINDOWS, type Occurrences, type WindowContext } from "./event-windows";

/** A request's context: its waitUntil promises, to settle when the test says. */
function context(): WindowContext & { settled: () => Promise<unknown> } {
  const work: Promise<unknown>[] = [];
  return { executionCtx: { waitUntil: (promise) => void work.push(promise) }, settled: () => Promise.all(work) };
}

type Delivered = [sample: string, occurrences: Occurrences, opener: WindowContext];

function windows(windowMs: number, sink?: (sample: string, occurrences: Occurrences) => void) {
  const delivered: Delivered[] = [];
  let now = 1_000;
  const aggregator = new EventWindows<string, WindowContext>({
    sink: (sample, occurrences, c) => {
      delivered.push([sample, { ...occurrences }, c]);
      sink?.(sample, occurrences);
    },
    windowMs,
    overflow: "(others)",
    failureEvent: "test_sink_failed",
    clock: () => now++,
  });
  return { aggregator, delivered };
}

afterEach(() => {
  vi.useRealTimers();
  vi.restoreAllMocks();
});

describe("EventWindows", () => {
  it("counts an id's occurrences into one aggregate with the first sample, delivered in the opener's waitUntil", async () => {
    vi.useFakeTimers({ toFake: ["setTimeout", "clearTimeout"] });
    const { aggregator, delivered } = windows(10_000);
    const opener = context();
    aggregator.note("a", "first a", opener);
    for (let i = 0; i < 9; i++) aggregator.note("a", `later a ${i}`, context());
    aggregator.note("b", "first b", context());
    expect(delivered).toEqual([]);
    await vi.advanceTimersByTimeAsync(10_000);
    await opener.settled();
    expect(delivered.map(([sample, occurrences]) => [sample, occurrences])).toEqual([
      ["first a", { count: 10, firstAt: 1_000, lastAt: 1_009 }],
      ["first b", { count: 1, firstAt: 1_010, lastAt: 1_010 }],
    ]);
    expect(delivered[0]![2]).toBe(opener);
    // A closed window is forgotten: the next occurrence opens a new one.
    aggregator.note("a", "again", context());
    await vi.advanceTimersByTimeAsync(10_000);
    expect(delivered.at(-1)!.slice(0, 2)).toEqual(["again", { count: 1, firstAt: 1_011, lastAt: 1_011 }]);
  });

  it("delivers every occurrence on its own with a window of 0", async () => {
    const { aggregator, delivered } = windows(0);
    const c = context();
    aggregator.note("a", "one", c);
    aggregator.note("a", "two", c);
    await c.settled();
    expect(delivered.map(([sample, { count }]) => [sample, count])).toEqual([
      ["one", 1],
      ["two", 1],
    ]);
  });

  it(`shares one window among the ids that find ${MAX_OPEN_WINDOWS} open`, async () => {
    vi.useFakeTimers({ toFake: ["setTimeout", "clearTimeout"] });
    const { aggregator, delivered } = windows(10_000);
    const openers = Array.from({ length: MAX_OPEN_WINDOWS }, context);
    openers.forEach((opener, i) => aggregator.note(`id-${i}`, `sample ${i}`, opener));
    aggregator.note("id-0", "an open one still counts in its own", context());
    const overflow = context();
    aggregator.note("more-0", "more 0", overflow);
    for (let i = 1; i < 5; i++) aggregator.note(`more-${i}`, `more ${i}`, context());
    vi.advanceTimersByTime(10_000);
    await Promise.all([...openers, overflow].map((opener) => opener.settled()));
    expect(delivered).toHaveLength(MAX_OPEN_WINDOWS + 1);
    expect(delivered[0]!.slice(0, 2)).toEqual(["sample 0", expect.objectContaining({ count: 2 })]);
    expect(delivered.at(-1)!.slice(0, 2)).toEqual(["(others)", expect.objectContaining({ count: 5 })]);
  });

  it("logs a failing sink and goes on", async () => {
    const errors = vi.spyOn(console, "error").mockImplementation(() => {});
    const { aggregator } = windows(0, () => {
      throw new Error("sink down");
    });
    const c = context();
    aggregator.note("a", "one", c);
    await expect(c.settled()).resolves.toBeDefined();
    expect(JSON.parse(String(errors.mock.calls[0]![0]))).toEqual({ level: "error", event: "test_sink_failed", name: "Error" });
  });
});
