import { describe, expect, it } from "vitest";
import { parseDuration, parseSize } from "./units";

describe("parseSize", () => {
  it.each([
    ["10MB", 10 * 1024 * 1024],
    ["8KB", 8192],
    ["8kb", 8192],
    ["1.5KB", 1536],
    ["512", 512],
    ["512B", 512],
    ["2 GiB", 2 * 1024 ** 3],
    [4096, 4096],
  ] as const)("%s is %d bytes", (input, bytes) => {
    expect(parseSize(input)).toBe(bytes);
  });

  it.each(["", "MB", "10XB", "-1KB", "1e3", "ten", "10 M B"])("rejects %j", (input) => {
    expect(parseSize(input)).toBeUndefined();
  });

  it("rejects negative, fractional and unsafe numbers", () => {
    expect(parseSize(-1)).toBeUndefined();
    expect(parseSize(1.5)).toBeUndefined();
    expect(parseSize(2 ** 60)).toBeUndefined();
  });

  it.each([
    ["1024B", 1024],
    ["512KB", 512 * 1024],
    ["100MB", 100 * 1024 ** 2],
    ["1GB", 1024 ** 3],
  ] as const)("takes Loom's documented size %s", (input, bytes) => {
    expect(parseSize(input)).toBe(bytes);
  });
});

describe("parseDuration", () => {
  it.each([
    ["30s", 30_000],
    ["500ms", 500],
    ["1m30s", 90_000],
    ["2h", 7_200_000],
    ["1.5s", 1500],
    // Go's time.ParseDuration forms, as Loom's docs write them.
    ["1h30m", 5_400_000],
    ["1.5h", 5_400_000],
    [".5h", 1_800_000],
    ["1.h", 3_600_000],
    ["2h45m30.5s", 9_930_500],
    ["100ms", 100],
    ["1500us", 2],
    ["1500\u00b5s", 2],
    ["1500\u03bcs", 2],
    ["2000000ns", 2],
    ["0", 0],
    ["0s", 0],
    // Below a millisecond but not zero: 1 ms, never 0 (0 often means "off").
    ["100us", 1],
    ["100ns", 1],
  ] as const)("%s is %d ms", (input, ms) => {
    expect(parseDuration(input)).toBe(ms);
  });

  it.each(["", "30", "s", "30 s", "-5s", "1d", "5sec", "ms30", "+5s", "1.5", ".s", "1e3s", "5us5", "1hh", "00"])("rejects %j", (input) => {
    expect(parseDuration(input)).toBeUndefined();
  });
});
