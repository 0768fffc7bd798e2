import { describe, expect, it } from "vitest";
import { CLIENT_IP_KEY, hash32, loadBalancer, ringOf, ringOrder, type BalancedRequest, type BalancerConfig } from "./load-balancer";

const names = (count: number) => Array.from({ length: count }, (_, i) => `node${i}.internal:8080`);
const all = (count: number) => Array.from({ length: count }, (_, i) => i);
const noHeaders: BalancedRequest = { header: () => null, clientIp: "203.0.113.7" };

function balancer(
  load_balancer: BalancerConfig["load_balancer"],
  count: number,
  extra: Partial<BalancerConfig> = {},
  random?: () => number,
) {
  return loadBalancer({ load_balancer, endpoints: names(count), weights: names(count).map(() => 1), ...extra }, random);
}

/** How often each endpoint came first over `requests` requests. */
function firsts(order: () => number[], count: number, requests: number): number[] {
  const tally = new Array<number>(count).fill(0);
  for (let i = 0; i < requests; i++) tally[order()[0]!]! += 1;
  return tally;
}

/** A seeded PRNG (mulberry32), so distributions are the same on every run. */
function seeded(seed: number): () => number {
  let a = seed;
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

describe("round_robin", () => {
  it("starts each request one endpoint further and tries the others after it", () => {
    const lb = balancer("round_robin", 3);
    expect([lb.order(all(3), noHeaders), lb.order(all(3), noHeaders), lb.order(all(3), noHeaders), lb.order(all(3), noHeaders)]).toEqual([
      [0, 1, 2],
      [1, 2, 0],
      [2, 0, 1],
      [0, 1, 2],
    ]);
  });

  it("orders only the candidates (ejected endpoints are skipped)", () => {
    const lb = balancer("round_robin", 3);
    for (let i = 0; i < 6; i++) expect(lb.order([0, 2], noHeaders).sort()).toEqual([0, 2]);
  });
});

describe("random", () => {
  it("picks the first endpoint with the random source, then the others in order", () => {
    expect(balancer("random", 4, {}, () => 0.6).order(all(4), noHeaders)).toEqual([2, 3, 0, 1]);
    expect(balancer("random", 4, {}, () => 0).order([1, 3], noHeaders)).toEqual([1, 3]);
  });

  it("spreads requests evenly", () => {
    const lb = balancer("random", 4, {}, seeded(7));
    for (const share of firsts(() => lb.order(all(4), noHeaders), 4, 8000)) expect(share).toBeGreaterThan(1800);
  });
});

describe("weighted", () => {
  it("gives each endpoint exactly its share of weight over a cycle, interleaved (smooth weighted round-robin)", () => {
    const lb = balancer("weighted", 3, { weights: [5, 1, 1] });
    const sequence = Array.from({ length: 7 }, () => lb.order(all(3), noHeaders)[0]);
    expect(sequence).toEqual([0, 0, 1, 0, 2, 0, 0]);
    expect(firsts(() => lb.order(all(3), noHeaders), 3, 700)).toEqual([500, 100, 100]);
  });

  it("shares among the candidates only when one is ejected", () => {
    const lb = balancer("weighted", 3, { weights: [3, 1, 6] });
    expect(firsts(() => lb.order([0, 1], noHeaders), 3, 400)).toEqual([300, 100, 0]);
  });

  it("lists the other candidates after the chosen one, for retries", () => {
    const lb = balancer("weighted", 3, { weights: [1, 1, 1] });
    expect(lb.order(all(3), noHeaders).sort()).toEqual([0, 1, 2]);
  });
});

describe("least_conn", () => {
  it("picks the endpoint with the fewest attempts in flight in this isolate", () => {
    const lb = balancer("least_conn", 3);
    const endA = lb.begin(0);
    lb.begin(0);
    lb.begin(1);
    expect(lb.order(all(3), noHeaders)[0]).toBe(2);
    lb.begin(2);
    lb.begin(2);
    expect(lb.order(all(3), noHeaders)[0]).toBe(1);
    endA();
    endA(); // ending twice counts once
    expect(lb.order(all(3), noHeaders).slice(0, 2).sort()).toEqual([0, 1]);
  });

  it("takes turns between endpoints with equal counts", () => {
    const lb = balancer("least_conn", 3);
    expect(firsts(() => lb.order(all(3), noHeaders), 3, 300)).toEqual([100, 100, 100]);
  });
});

describe("consistent_hash", () => {
  const byHeader = (value: string | null, clientIp = "203.0.113.7"): BalancedRequest => ({
    header: (name) => (name.toLowerCase() === "x-user-id" ? value : null),
    clientIp,
  });
  const hashed = (count: number, hash_key = "X-User-ID", replicas = 150) =>
    loadBalancer({ load_balancer: "consistent_hash", endpoints: names(count), weights: [], consistent_hash: { hash_key, replicas } });

  it("sends one key to the same endpoint every time, in every isolate", () => {
    const first = hashed(4).order(all(4), byHeader("user-42"));
    for (let i = 0; i < 5; i++) expect(hashed(4).order(all(4), byHeader("user-42"))).toEqual(first);
    expect([...first].sort()).toEqual([0, 1, 2, 3]);
  });

  it("spreads keys about evenly with virtual nodes", () => {
    const lb = hashed(4);
    const tally = [0, 0, 0, 0];
    for (let k = 0; k < 8000; k++) tally[lb.order(all(4), byHeader(`user-${k}`))[0]!]! += 1;
    for (const share of tally) expect(share).toBeGreaterThan(1400);
  });

  it("moves about 1/n of the keys when an endpoint is added, and only to the new endpoint", () => {
    const before = ringOf(names(4), 150);
    const after = ringOf(names(5), 150);
    let moved = 0;
    const keys = 10_000;
    for (let k = 0; k < keys; k++) {
      const from = ringOrder(before, `header:user-${k}`, all(4))[0];
      const to = ringOrder(after, `header:user-${k}`, all(5))[0];
      if (from !== to) {
        moved++;
        expect(to).toBe(4);
      }
    }
    // 1/5 of the keys is 2000; virtual nodes keep it near that.
    expect(moved).toBeGreaterThan(1500);
    expect(moved).toBeLessThan(2500);
  });

  it("skips an ejected endpoint: its keys go to the next on the ring, the others stay", () => {
    const lb = hashed(4);
    for (let k = 0; k < 500; k++) {
      const full = lb.order(all(4), byHeader(`user-${k}`));
      const without = lb.order([0, 1, 3], byHeader(`user-${k}`));
      expect(without).toEqual(full.filter((index) => index !== 2));
    }
  });

  it("keys a request without the header by its client address, so leaving it out does not pick one fixed endpoint", () => {
    const lb = hashed(4);
    const seen = new Set<number>();
    for (let ip = 1; ip <= 64; ip++) {
      const order = lb.order(all(4), byHeader(null, `198.51.100.${ip}`));
      expect(order).toEqual(lb.order(all(4), { header: () => null, clientIp: `198.51.100.${ip}` }));
      seen.add(order[0]!);
    }
    expect(seen.size).toBe(4);
  });

  it("keys by the client address with ${client_ip}, whatever headers come", () => {
    const lb = hashed(4, CLIENT_IP_KEY);
    expect(lb.order(all(4), byHeader("a", "198.51.100.1"))).toEqual(lb.order(all(4), byHeader("b", "198.51.100.1")));
  });

  it("has a hash that spreads near-identical inputs", () => {
    expect(new Set(Array.from({ length: 1000 }, (_, i) => hash32(`n#${i}`) >>> 28)).size).toBe(16);
  });
});
