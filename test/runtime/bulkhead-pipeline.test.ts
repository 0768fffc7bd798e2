/**
 * `upstreams[].bulkhead` through the whole worker (the pipeline as compile.ts builds it, the
 * BULKHEAD object of wrangler.toml), against the fake origin: a request held open at the origin
 * (`/held/<id>`) takes the one slot, and the next request of that upstream is refused without
 * reaching the origin (its `/flaky/<id>` hits are counted), while another upstream serves.
 */
import { createExecutionContext, waitOnExecutionContext } from "cloudflare:test";
import { beforeAll, describe, expect, it } from "vitest";
import { createApp } from "../../worker/app";
import { harnessEnv, putConfig } from "./admin-harness";
import { hits } from "../support/flaky-origin";

const app = createApp();

/** A proxied request; the caller reads the body, then awaits `settled` for the request's background work. */
function request(path: string): { response: Promise<Response>; settled: () => Promise<void> } {
  const ctx = createExecutionContext();
  const response = Promise.resolve(app.fetch(new Request(`http://gw.test${path}`), harnessEnv(), ctx));
  return { response, settled: () => waitOnExecutionContext(ctx) };
}

async function until(condition: () => Promise<boolean>): Promise<void> {
  for (let turn = 0; turn < 200 && !(await condition()); turn++) await new Promise((resolve) => setTimeout(resolve, 10));
  expect(await condition()).toBe(true);
}

beforeAll(async () => {
  const { warnings } = await putConfig({
    routes: [
      { id: "guarded", path: "/guarded/*", upstream: "guarded", strip_prefix: true },
      { id: "guarded-cached", path: "/guarded-cached/*", upstream: "guarded", strip_prefix: true, cache: { enabled: true } },
      { id: "plain", path: "/plain/*", upstream: "plain", strip_prefix: true },
      { id: "loom", path: "/loom/*", upstream: "backend-v1", strip_prefix: true },
    ],
    upstreams: [
      { name: "guarded", endpoints: ["https://origin.test"], bulkhead: { enabled: true, max_concurrent: 1 } },
      { name: "plain", endpoints: ["https://origin.test"] },
      // LOOM-CONFIG.md's block as written, on the test origin.
      {
        name: "backend-v1",
        endpoints: ["https://origin.test"],
        load_balancer: "consistent_hash",
        consistent_hash: { hash_key: "X-User-ID", replicas: 150 },
        bulkhead: { enabled: true, max_concurrent: 100, queue_size: 50, timeout: "5s" },
      },
    ],
  });
  expect(warnings.filter((warning) => warning.includes("bulkhead"))).toEqual([]);
});

describe("bulkhead through the pipeline", () => {
  it("answers a cache hit while the upstream's slots are all taken: a hit takes no slot", async () => {
    const cached = "/guarded-cached/cacheable/bulkhead-cached";
    const miss = request(cached);
    expect((await miss.response).headers.get("X-Cache")).toBe("MISS");
    await (await miss.response).text();
    await miss.settled();

    const held = request("/guarded/held/bulkhead-held-for-hit");
    await until(async () => (await hits("bulkhead-held-for-hit")) === 1);
    const full = request("/guarded/flaky/bulkhead-full-for-hit");
    expect((await full.response).status).toBe(503);
    await full.settled();

    const hit = request(cached);
    const res = await hit.response;
    expect(res.status).toBe(200);
    expect(res.headers.get("X-Cache")).toBe("HIT");
    await res.text();
    await hit.settled();

    await fetch("https://origin.test/release/bulkhead-held-for-hit", { method: "POST", body: "{}" });
    await (await held.response).text();
    await held.settled();
  });

  it("serves LOOM-CONFIG.md's upstream block as written, many requests at once", async () => {
    const sent = Array.from({ length: 20 }, (_, i) => request(`/loom/flaky/bulkhead-loom-${i % 2}`));
    for (const { response } of sent) {
      const res = await response;
      expect(res.status).toBe(200);
      await res.text();
    }
    await Promise.all(sent.map(({ settled }) => settled()));
    expect((await hits("bulkhead-loom-0")) + (await hits("bulkhead-loom-1"))).toBe(20);
  });

  it("refuses a second request to a full upstream with 503 bulkhead_full without contacting it; other upstreams serve", async () => {
    const held = request("/guarded/held/bulkhead-held");
    await until(async () => (await hits("bulkhead-held")) === 1);

    const refused = request("/guarded/flaky/bulkhead-refused");
    const res = await refused.response;
    expect(res.status).toBe(503);
    expect(res.headers.get("Retry-After")).toBe("1");
    expect(await res.json()).toMatchObject({ error: "bulkhead_full", retry_after: 1 });
    await refused.settled();
    expect(await hits("bulkhead-refused")).toBe(0);

    const plain = request("/plain/flaky/bulkhead-plain");
    expect((await plain.response).status).toBe(200);
    await (await plain.response).text();

    await fetch("https://origin.test/release/bulkhead-held", { method: "POST", body: '{"done":true}' });
    const answered = await held.response;
    expect(answered.status).toBe(200);
    expect(await answered.json()).toEqual({ done: true });
    await held.settled();

    // The slot came back with the body: the upstream serves again.
    const after = request("/guarded/flaky/bulkhead-refused");
    expect((await after.response).status).toBe(200);
    await (await after.response).text();
    expect(await hits("bulkhead-refused")).toBe(1);
  });
});
