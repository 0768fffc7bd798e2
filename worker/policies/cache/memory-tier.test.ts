import { describe, expect, it } from "vitest";
import { heldResponse, MAX_ENTRY_BYTES, MemoryTier } from "./memory-tier";

const META = { storedAt: 1, freshUntil: 2, staleUntil: 3, varyDigest: "", varyNames: [] };
const stored = (status = 200) => new Response(null, { status, headers: { "content-type": "text/plain" } });
const bytes = (n: number) => new Uint8Array(n).fill(120);

describe("MemoryTier", () => {
  it("gives back what it holds, as the Cache API would", async () => {
    const tier = new MemoryTier();
    tier.set("k", stored(203), new TextEncoder().encode("hello"), META);
    const held = tier.get("k")!;
    expect(held.meta).toBe(META);
    const response = heldResponse(held);
    expect(response.status).toBe(203);
    expect(response.headers.get("content-type")).toBe("text/plain");
    expect(await response.text()).toBe("hello");
    // Served twice from the same bytes.
    expect(await heldResponse(tier.get("k")!).text()).toBe("hello");
  });

  it("keeps no body over MAX_ENTRY_BYTES, and drops what the key held before", () => {
    const tier = new MemoryTier();
    tier.set("k", stored(), bytes(10), META);
    tier.set("k", stored(), bytes(MAX_ENTRY_BYTES + 1), META);
    expect(tier.get("k")).toBeUndefined();
    expect(tier.size).toBe(0);
  });

  it("evicts the least recently used beyond its byte budget", () => {
    const tier = new MemoryTier(3000);
    tier.set("a", stored(), bytes(900), META);
    tier.set("b", stored(), bytes(900), META);
    tier.set("c", stored(), bytes(900), META);
    // a is used again: b is now the least recently used.
    expect(tier.get("a")).toBeDefined();
    tier.set("d", stored(), bytes(900), META);
    expect([..."abcd"].map((key) => tier.get(key) !== undefined)).toEqual([true, false, true, true]);
    tier.delete("a");
    expect(tier.size).toBe(2);
  });
});
