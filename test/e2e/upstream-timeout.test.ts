/**
 * The upstream `timeout` over real HTTP: `wrangler dev` in front of a Node origin that sends a
 * body slowly (scripts/demo-origin.mjs `drip` and `stall`). The timeout bounds the wait for the
 * headers and each gap between chunks, never the whole body.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { marker, readBody, startE2E, type E2E } from "./harness";

let e2e: E2E;

beforeAll(async () => {
  e2e = await startE2E();
  const saved = await e2e.gateway.putConfig({
    routes: [{ id: "timed", path: "/timed/*", upstream: "timed", strip_prefix: true }],
    upstreams: [{ name: "timed", endpoints: [e2e.origin.endpoint], timeout: "1s", retries: 0 }],
  });
  expect(saved.status, await saved.text()).toBe(200);
});
afterAll(() => e2e?.stop());

const lines = (kind: string, count: number) => Array.from({ length: count }, (_, i) => `${kind} ${i}\n`).join("");

/**
 * Asks for the body uncompressed: for a client that accepts gzip, the local dev stack compresses
 * the text and holds it until the body ends, so a cut body would reach the client empty.
 */
const uncompressed = { headers: { "Accept-Encoding": "identity" } };

describe("upstream timeout", () => {
  it("passes a body whole that keeps coming (a chunk every 300 ms for 3 s) under a 1 s timeout", async () => {
    const res = await e2e.gateway.fetch(`/timed/drip?n=10&ms=300&m=${marker()}`, uncompressed);
    expect(res.status).toBe(200);
    expect(await readBody(res)).toMatchObject({ text: lines("drip", 10), cut: false });
  });

  it("cuts a body that stalls mid-way for the timeout, after passing on what came before", async () => {
    const m = marker();
    const res = await e2e.gateway.fetch(`/timed/stall?n=5&ms=300&m=${m}`, uncompressed);
    expect(res.status).toBe(200);
    // 1.5 s of lines (longer than the timeout), then silence: cut about 1 s later.
    expect(await readBody(res)).toMatchObject({ text: lines("stall", 5), cut: true });
    expect(e2e.origin.received(m)).toHaveLength(1);
  });

  it("answers 504 when the headers do not come within the timeout", async () => {
    const res = await e2e.gateway.fetch(`/timed/slow?ms=5000&m=${marker()}`);
    expect(res.status).toBe(504);
    expect(await res.json()).toMatchObject({ error: "upstream_timeout" });
  });
});
