import { describe, expect, it } from "vitest";
import { LruMap } from "./lru-map";

describe("LruMap", () => {
  it("evicts the least recently used entry, a read counting as a use", () => {
    const map = new LruMap<number>(2);
    map.set("a", 1);
    map.set("b", 2);
    expect(map.get("a")).toBe(1);
    map.set("c", 3);
    expect([map.get("a"), map.get("b"), map.get("c")]).toEqual([1, undefined, 3]);
    expect(map.size).toBe(2);
  });

  it("bounds the total weight, and a replaced entry's weight is given back", () => {
    const map = new LruMap<string>(10, (key, value) => key.length + value.length);
    map.set("k", "1234"); // 5
    map.set("k", "12"); // 3, not 8
    map.set("j", "123456"); // 7: 10 in all, both kept
    expect([map.get("k"), map.get("j")]).toEqual(["12", "123456"]);
    map.set("i", "1"); // 2 more: the least recently used ("k") goes
    expect([map.get("k"), map.get("j"), map.get("i")]).toEqual([undefined, "123456", "1"]);
  });

  it("without refreshOnHit, evicts in insertion order: a read does not keep an entry", () => {
    const map = new LruMap<number>(2, () => 1, false);
    map.set("a", 1);
    map.set("b", 2);
    expect(map.get("a")).toBe(1);
    map.set("c", 3);
    expect([map.get("a"), map.get("b"), map.get("c")]).toEqual([undefined, 2, 3]);
    map.set("b", 4); // replaced: now the newest
    map.set("d", 5);
    expect([map.get("b"), map.get("c"), map.get("d")]).toEqual([4, undefined, 5]);
  });

  it("keeps nothing heavier than its whole bound", () => {
    const map = new LruMap<string>(4, (key) => key.length);
    map.set("abcdef", "x");
    expect(map.size).toBe(0);
    expect(map.get("abcdef")).toBeUndefined();
  });
});
