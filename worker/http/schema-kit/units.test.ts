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
});

describe("parseDuration", () => {
  it.each([
    ["30s", 30_000],
    ["500ms", 500],
    ["1m30s", 90_000],
    ["2h", 7_200_000],
    ["1.5s", 1500],
  ] as const)("%s is %d ms", (input, ms) => {
    expect(parseDuration(input)).toBe(ms);
  });

  it.each(["", "30", "s", "30 s", "-5s", "1d", "5sec", "ms30"])("rejects %j", (input) => {
    expect(parseDuration(input)).toBeUndefined();
  });
});
