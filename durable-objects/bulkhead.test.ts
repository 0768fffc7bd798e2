import { evictDurableObject, runInDurableObject } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { Bulkhead, CONTENDED_MS, grant, type LeaseRequest } from "./bulkhead";

const T0 = 1_000_000;
const TTL = 10_000;
const request = (isolate: string, need: number, want: number, overrides: Partial<LeaseRequest> = {}): LeaseRequest => ({
  isolate,
  need,
  want,
  max: 10,
  ttlMs: TTL,
  now: T0,
  ...overrides,
});

describe("Bulkhead object", () => {
  it("grants what an isolate wants while the leases stay within max, and no more", async () => {
    const stub = env.BULKHEAD.getByName("within-max");
    expect(await stub.lease(request("a", 2, 6))).toEqual({ slots: 6, isolates: 1, contended: false });
    // 4 left for b, which wants 5 and needs 3: it gets the 4, its need is met.
    expect(await stub.lease(request("b", 3, 5))).toEqual({ slots: 4, isolates: 2, contended: false });
    // Nothing left for c: refused, and every isolate hears that slots are contended.
    expect(await stub.lease(request("c", 1, 2))).toEqual({ slots: 0, isolates: 3, contended: true });
    expect(await stub.lease(request("a", 2, 6))).toMatchObject({ slots: 6, contended: true });
    expect(await stub.state(T0)).toEqual({ leased: 10, isolates: 3, contended: true });
  });

  it("gives returned slots to the next isolate that asks", async () => {
    const stub = env.BULKHEAD.getByName("returned");
    await stub.lease(request("a", 10, 10));
    expect((await stub.lease(request("b", 1, 1))).slots).toBe(0);
    // a keeps the 3 it uses, and gives 7 back.
    expect((await stub.lease(request("a", 3, 3))).slots).toBe(3);
    expect((await stub.lease(request("b", 1, 7, { now: T0 + 1 }))).slots).toBe(7);
    // Everything back: nothing leased, and no storage left behind once nobody contends.
    await stub.lease(request("a", 0, 0, { now: T0 + 2 }));
    await stub.lease(request("b", 0, 0, { now: T0 + 2 + CONTENDED_MS }));
    expect(await stub.state(T0 + 2 + CONTENDED_MS)).toEqual({ leased: 0, isolates: 0, contended: false });
    expect(await runInDurableObject(stub, (_instance: Bulkhead, state) => state.storage.kv.get("leases"))).toBeUndefined();
  });

  it("frees the slots of an isolate that stopped renewing once its lease expires", async () => {
    const stub = env.BULKHEAD.getByName("expires");
    await stub.lease(request("dead", 10, 10));
    expect((await stub.lease(request("b", 1, 1, { now: T0 + TTL - 1 }))).slots).toBe(0);
    expect((await stub.lease(request("b", 1, 1, { now: T0 + TTL }))).slots).toBe(1);
    expect(await stub.state(T0 + TTL)).toMatchObject({ leased: 1, isolates: 1 });
  });

  it("extends a lease that is renewed", async () => {
    const stub = env.BULKHEAD.getByName("renewed");
    await stub.lease(request("a", 10, 10));
    await stub.lease(request("a", 10, 10, { now: T0 + TTL / 2 }));
    expect((await stub.lease(request("b", 1, 1, { now: T0 + TTL + 1 }))).slots).toBe(0);
  });

  it("keeps its leases across eviction: slots in use are never granted twice", async () => {
    const stub = env.BULKHEAD.getByName("evicted");
    await stub.lease(request("a", 8, 8));
    await evictDurableObject(stub);
    expect(await stub.state(T0)).toEqual({ leased: 8, isolates: 1, contended: false });
    expect((await stub.lease(request("b", 5, 5))).slots).toBe(2);
  });

  it("applies a lower max at the next call: an isolate over it gets no more than what is left", async () => {
    const stub = env.BULKHEAD.getByName("lower-max");
    await stub.lease(request("a", 6, 6));
    expect((await stub.lease(request("b", 4, 4, { max: 5 }))).slots).toBe(0);
    expect((await stub.lease(request("a", 6, 6, { max: 5 }))).slots).toBe(5);
  });
});

describe("grant", () => {
  it("never leases out more than max, whatever the isolates ask, renew or give back", () => {
    // A deterministic walk (a linear congruential generator) through many calls of 5 isolates.
    let seed = 7;
    const random = (n: number) => {
      seed = (seed * 1_103_515_245 + 12_345) % 2 ** 31;
      return seed % n;
    };
    let state = { leases: {}, contendedUntil: 0 };
    let now = T0;
    for (let call = 0; call < 2_000; call++) {
      now += random(3_000);
      const need = random(8);
      const { state: next, answer } = grant(state, request(`i${random(5)}`, need, need + random(4), { now }), now);
      state = next;
      expect(answer.slots).toBeLessThanOrEqual(need + 3);
      const leased = Object.values(next.leases as Record<string, { slots: number; expiresAt: number }>)
        .filter((lease) => lease.expiresAt > now)
        .reduce((sum, lease) => sum + lease.slots, 0);
      expect(leased).toBeLessThanOrEqual(10);
    }
  });
});
