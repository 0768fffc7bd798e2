import { describe, expect, it } from "vitest";
import { addCounts, aged, fromAged, subtractWindow, totals, type RollingWindow } from "./rolling-window";

const WINDOW = 10_000;
const one = { requests: 1, failures: 0 };
const failed = { requests: 1, failures: 1 };

describe("rolling window", () => {
  it("keeps one bucket per tenth of the window, however many requests, and never more than 11", () => {
    const window: RollingWindow = [];
    for (let t = 0; t < 30_000; t += 10) addCounts(window, WINDOW, t, t % 20 === 0 ? failed : one, t);
    expect(window.length).toBeLessThanOrEqual(11);
    // At 29 990 the buckets from 19 000 on are in: 1 100 requests, half failed.
    expect(totals(window, WINDOW, 29_990)).toEqual({ requests: 1_100, failures: 550 });
  });

  it("lets counts leave whole with their tenth, and forgets everything after a quiet window", () => {
    const window: RollingWindow = [];
    addCounts(window, WINDOW, 0, failed, 0);
    addCounts(window, WINDOW, 5_000, one, 5_000);
    expect(totals(window, WINDOW, 10_999)).toEqual({ requests: 2, failures: 1 });
    expect(totals(window, WINDOW, 11_000)).toEqual({ requests: 1, failures: 0 });
    expect(totals(window, WINDOW, 16_000)).toEqual({ requests: 0, failures: 0 });
    addCounts(window, WINDOW, 16_000, one, 16_000);
    expect(window).toEqual([{ start: 16_000, requests: 1, failures: 0 }]);
  });

  it("places late counts (an isolate's, with their age) in their own bucket, and drops those older than the window", () => {
    const window: RollingWindow = [];
    addCounts(window, WINDOW, 20_000, one, 20_000);
    addCounts(window, WINDOW, 15_500, failed, 20_000);
    addCounts(window, WINDOW, 5_000, failed, 20_000);
    expect(window.map((bucket) => bucket.start)).toEqual([15_000, 20_000]);
    expect(totals(window, WINDOW, 20_000)).toEqual({ requests: 2, failures: 1 });
  });

  it("travels between clocks as ages: the same counts on a clock 1 h behind", () => {
    const window: RollingWindow = [];
    for (const t of [41_000, 43_500, 48_000, 49_900]) addCounts(window, WINDOW, t, failed, 50_000);
    const moved = fromAged(aged(window, WINDOW, 50_000), WINDOW, 50_000 - 3_600_000);
    expect(totals(moved, WINDOW, 50_000 - 3_600_000)).toEqual({ requests: 4, failures: 4 });
  });

  it("subtracts a part bucket by bucket, never below 0", () => {
    const window: RollingWindow = [
      { start: 0, requests: 5, failures: 2 },
      { start: 1_000, requests: 1, failures: 1 },
    ];
    subtractWindow(window, [
      { start: 0, requests: 3, failures: 3 },
      { start: 2_000, requests: 9, failures: 9 },
    ]);
    expect(window).toEqual([
      { start: 0, requests: 2, failures: 0 },
      { start: 1_000, requests: 1, failures: 1 },
    ]);
  });
});
