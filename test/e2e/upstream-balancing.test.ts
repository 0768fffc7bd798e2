/**
 * Load balancing and Loom's retry over real HTTP: `wrangler dev` in front of two Node origins
 * on 127.0.0.1 (scripts/demo-origin.mjs).
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { marker, startE2E, startOrigin, type E2E, type Origin } from "./harness";

let e2e: E2E;
let second: Origin;

beforeAll(async () => {
  e2e = await startE2E();
  second = await startOrigin();
  const [host, port] = second.endpoint.split(":");
  const both = [e2e.origin.endpoint, second.endpoint];
  const saved = await e2e.gateway.putConfig({
    routes: [
      { id: "retried", path: "/retried/*", upstream: "retried", strip_prefix: true },
      { id: "hashed", path: "/hashed/*", upstream: "hashed", strip_prefix: true },
      { id: "weighted", path: "/weighted/*", upstream: "weighted", strip_prefix: true },
    ],
    upstreams: [
      {
        name: "retried",
        endpoints: both,
        retry: { max_retries: 2, backoff_base: "1ms", backoff_max: "5ms", retryable_codes: [503] },
      },
      { name: "hashed", endpoints: both, load_balancer: "consistent_hash", consistent_hash: { hash_key: "X-User-ID" } },
      {
        name: "weighted",
        load_balancer: "weighted",
        endpoints: [
          { url: e2e.origin.url, weight: 3 },
          { host, port: Number(port), weight: 1 },
        ],
      },
    ],
  });
  expect(saved.status, await saved.text()).toBe(200);
});
afterAll(async () => {
  await second?.stop();
  await e2e?.stop();
});

const sent = (m: string) => [e2e.origin.received(m).length, second.received(m).length];

describe("retry", () => {
  it("retries a GET answered 503 up to max_retries, alternating between the origins, then passes the 503 on", async () => {
    const m = marker();
    const res = await e2e.gateway.fetch(`/retried/status/503?m=${m}`);
    expect(res.status).toBe(503);
    const [first, other] = sent(m);
    expect(first! + other!).toBe(3);
    expect(Math.min(first!, other!)).toBe(1);
  });

  it("never retries a POST", async () => {
    const m = marker();
    const res = await e2e.gateway.fetch(`/retried/status/503?m=${m}`, {
      method: "POST",
      body: "{}",
      headers: { "Content-Type": "application/json" },
    });
    expect(res.status).toBe(503);
    const [first, other] = sent(m);
    expect(first! + other!).toBe(1);
  });

  it("does not retry a code outside retryable_codes", async () => {
    const m = marker();
    expect((await e2e.gateway.fetch(`/retried/status/502?m=${m}`)).status).toBe(502);
    const [first, other] = sent(m);
    expect(first! + other!).toBe(1);
  });
});

describe("load balancers", () => {
  it("consistent_hash: one X-User-ID always reaches the same origin, and users are spread over both", async () => {
    const reached = new Set<string>();
    for (let user = 0; user < 16; user++) {
      const m = marker();
      for (let i = 0; i < 3; i++) {
        const res = await e2e.gateway.fetch(`/hashed/echo?m=${m}`, { headers: { "X-User-ID": `user-${user}` } });
        expect(res.status).toBe(200);
        await res.arrayBuffer();
      }
      const [first, other] = sent(m);
      expect([first, other]).toContainEqual(3);
      reached.add(first === 3 ? "first" : "second");
    }
    expect(reached.size).toBe(2);
  });

  it("weighted: endpoint objects, the heavier origin gets more", async () => {
    const m = marker();
    for (let i = 0; i < 8; i++) await (await e2e.gateway.fetch(`/weighted/echo?m=${m}`)).arrayBuffer();
    const [heavy, light] = sent(m);
    expect(heavy! + light!).toBe(8);
    expect(light).toBeGreaterThan(0);
    expect(heavy).toBeGreaterThan(light!);
  });
});
