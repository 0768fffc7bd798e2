import { describe, expect, it } from "vitest";
import { forEachMatch } from "./rule";

describe("forEachMatch", () => {
  it("visits every match in order and leaves the pattern reset", () => {
    const pattern = /a\d/g;
    const seen: [string, number][] = [];
    forEachMatch(pattern, "a1 b2 a3", (match) => {
      seen.push([match[0], match.index]);
    });
    expect(seen).toEqual([
      ["a1", 0],
      ["a3", 6],
    ]);
    expect(pattern.lastIndex).toBe(0);
  });

  it("stops when the visitor returns true, and resets the pattern then too", () => {
    const pattern = /\d/g;
    const seen: string[] = [];
    forEachMatch(pattern, "1 2 3", (match) => {
      seen.push(match[0]);
      return match[0] === "2";
    });
    expect(seen).toEqual(["1", "2"]);
    expect(pattern.lastIndex).toBe(0);
  });

  it("moves past empty matches instead of finding them forever", () => {
    const indexes: number[] = [];
    forEachMatch(/(?=b)/g, "abab", (match) => {
      indexes.push(match.index);
    });
    expect(indexes).toEqual([1, 3]);
  });
});
