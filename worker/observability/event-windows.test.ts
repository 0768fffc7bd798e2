import { afterEach, describe, expect, it, vi } from "vitest";
import { EventWindows, MAX_FOLDED_COUNTED, MAX_KEYS_PER_WINDOW, type Occurrences, type WindowContext } from "./event-windows";

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

  it(`shares one window among the ids that find ${MAX_KEYS_PER_WINDOW} open, and says how many distinct ids it folded`, async () => {
    vi.useFakeTimers({ toFake: ["setTimeout", "clearTimeout"] });
    const { aggregator, delivered } = windows(10_000);
    const openers = Array.from({ length: MAX_KEYS_PER_WINDOW }, context);
    openers.forEach((opener, i) => aggregator.note(`id-${i}`, `sample ${i}`, opener));
    aggregator.note("id-0", "an open one still counts in its own", context());
    const overflow = context();
    aggregator.note("more-0", "more 0", overflow);
    for (let i = 1; i < 5; i++) aggregator.note(`more-${i}`, `more ${i}`, context());
    aggregator.note("more-1", "a folded id again", context());
    vi.advanceTimersByTime(10_000);
    await Promise.all([...openers, overflow].map((opener) => opener.settled()));
    expect(delivered).toHaveLength(MAX_KEYS_PER_WINDOW + 1);
    expect(delivered[0]!.slice(0, 2)).toEqual(["sample 0", { count: 2, firstAt: 1_000, lastAt: 1_000 + MAX_KEYS_PER_WINDOW }]);
    expect(delivered.slice(0, -1).every(([, occurrences]) => occurrences.foldedKeys === undefined)).toBe(true);
    expect(delivered.at(-1)!.slice(0, 2)).toEqual(["(others)", expect.objectContaining({ count: 6, foldedKeys: 5 })]);
    // Both close: the next ids open windows of their own again.
    aggregator.note("later", "later", context());
    vi.advanceTimersByTime(10_000);
    await Promise.resolve();
    expect(delivered.at(-1)!.slice(0, 2)).toEqual(["later", expect.objectContaining({ count: 1 })]);
  });

  it("takes its own cap on distinct ids", async () => {
    vi.useFakeTimers({ toFake: ["setTimeout", "clearTimeout"] });
    const delivered: [string, Occurrences][] = [];
    const aggregator = new EventWindows<string, WindowContext>({
      sink: (sample, occurrences) => void delivered.push([sample, occurrences]),
      windowMs: 1_000,
      overflow: "(others)",
      maxKeys: 2,
      failureEvent: "x",
    });
    const c = context();
    for (const id of ["a", "b", "c", "d", "a"]) aggregator.note(id, id, c);
    vi.advanceTimersByTime(1_000);
    await c.settled();
    expect(delivered.map(([sample, { count, foldedKeys }]) => [sample, count, foldedKeys])).toEqual([
      ["a", 2, undefined],
      ["b", 1, undefined],
      ["(others)", 2, 2],
    ]);
  });

  it(`counts the folded ids exactly up to ${MAX_FOLDED_COUNTED}, the events beyond them too`, async () => {
    vi.useFakeTimers({ toFake: ["setTimeout", "clearTimeout"] });
    const delivered: Occurrences[] = [];
    const aggregator = new EventWindows<string, WindowContext>({
      sink: (_, occurrences) => void delivered.push(occurrences),
      windowMs: 1_000,
      overflow: "(others)",
      maxKeys: 0,
      failureEvent: "x",
    });
    const c = context();
    for (let i = 0; i < MAX_FOLDED_COUNTED + 10; i++) aggregator.note(`id-${i}`, "x", c);
    vi.advanceTimersByTime(1_000);
    await c.settled();
    expect(delivered).toEqual([expect.objectContaining({ count: MAX_FOLDED_COUNTED + 10, foldedKeys: MAX_FOLDED_COUNTED })]);
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
