/**
 * Loom's active health checks over real HTTP: `wrangler dev` in front of two Node origins on
 * 127.0.0.1 whose /health answers 200 or 503 as the test says. The upstream's Durable Object
 * checks both on its alarm (loopback endpoints like any other); the gateway stops sending to an
 * origin that fails its checks, and answers 503 upstream_unhealthy without contacting either
 * when both do. The checks run every 5 s (the floor), so the test waits for rounds by polling.
 */
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { startGateway, type Gateway } from "./harness";

interface CheckedOrigin {
  name: string;
  endpoint: string;
  healthy: boolean;
  /** Requests other than health checks. */
  served: number;
  checks: number;
  server: Server;
}

async function checkedOrigin(name: string): Promise<CheckedOrigin> {
  const origin = { name, endpoint: "", healthy: true, served: 0, checks: 0 } as CheckedOrigin;
  origin.server = createServer((req, res) => {
    if (req.url === "/health") {
      origin.checks += 1;
      res.writeHead(origin.healthy ? 200 : 503, { "Content-Length": "0" }).end();
      return;
    }
    origin.served += 1;
    res.writeHead(200, { "Content-Type": "text/plain", "Content-Length": String(name.length) }).end(name);
  });
  await new Promise<void>((resolve) => origin.server.listen(0, "127.0.0.1", resolve));
  origin.endpoint = `127.0.0.1:${(origin.server.address() as AddressInfo).port}`;
  return origin;
}

let gateway: Gateway;
let a: CheckedOrigin;
let b: CheckedOrigin;

beforeAll(async () => {
  [gateway, a, b] = await Promise.all([startGateway(), checkedOrigin("a"), checkedOrigin("b")]);
  const saved = await gateway.putConfig(`
routes:
  - { id: api, path: /api/*, upstream: backend, strip_prefix: true }
upstreams:
  - name: backend
    endpoints: ["${a.endpoint}", "${b.endpoint}"]
    retries: 0
    health_check: { path: /health, interval: 5s, timeout: 1s, healthy_threshold: 1, unhealthy_threshold: 2 }
`);
  expect(saved.status, await saved.text()).toBe(200);
});

afterAll(async () => {
  await gateway?.stop();
  for (const origin of [a, b]) {
    origin?.server.closeAllConnections();
    await new Promise<void>((resolve) => (origin ? origin.server.close(() => resolve()) : resolve()));
  }
});

/** The bodies (origin names) or error codes of `count` requests in a row. */
async function answers(count: number): Promise<string[]> {
  const result: string[] = [];
  for (let i = 0; i < count; i++) {
    const res = await gateway.fetch("/api/x");
    result.push(res.status === 200 ? await res.text() : `${res.status} ${((await res.json()) as { error: string }).error}`);
  }
  return result;
}

const POLL = { timeout: 45_000, interval: 500 };

describe("health_check over real HTTP", () => {
  it("checks both loopback origins, stops sending to one that fails its checks, 503 upstream_unhealthy when both do, and serves again when one passes", async () => {
    // The first requests give the object the spec: its rounds start.
    expect(new Set(await answers(4))).toEqual(new Set(["a", "b"]));
    await vi.waitFor(async () => {
      await answers(1);
      expect(a.checks > 0 && b.checks > 0).toBe(true);
    }, POLL);

    b.healthy = false;
    await vi.waitFor(async () => expect(await answers(4)).toEqual(["a", "a", "a", "a"]), POLL);
    const servedByB = b.served;
    expect(await answers(6)).toEqual(Array(6).fill("a"));
    expect(b.served).toBe(servedByB);

    a.healthy = false;
    await vi.waitFor(async () => expect(await answers(1)).toEqual(["503 upstream_unhealthy"]), POLL);
    const served = a.served + b.served;
    const refused = await gateway.fetch("/api/x");
    expect(refused.status).toBe(503);
    expect(refused.headers.get("Retry-After")).toBe("5");
    expect(await answers(4)).toEqual(Array(4).fill("503 upstream_unhealthy"));
    expect(a.served + b.served).toBe(served);

    a.healthy = true;
    await vi.waitFor(async () => expect(await answers(1)).toEqual(["a"]), POLL);
  }, 150_000);
});
