/**
 * LOOM-CONFIG.md's example block over real HTTP: saved as YAML through `PUT /admin/config` on
 * `wrangler dev` (test/fixtures/loom-routes.yaml, exactly as documented but for its two endpoints,
 * which become two Node origins on 127.0.0.1). Requests whose Host, headers and query decide
 * between api-v1 (priority 100, conditions, strip_prefix) and catchall (`/*`, priority 1); the
 * upstream's consistent hash on X-User-ID and its bulkhead; the top-level cache.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { readFileSync } from "node:fs";
import { marker, rawRequest, startE2E, startOrigin, type E2E, type Origin, type OriginRequest } from "./harness";

const loomRoutesYaml = readFileSync(new URL("../fixtures/loom-routes.yaml", import.meta.url), "utf8");

let e2e: E2E;
let node2: Origin;
let warnings: string[];

/** What either origin received with marker `m`. */
const received = (m: string) => [...e2e.origin.received(m), ...node2.received(m)];

beforeAll(async () => {
  e2e = await startE2E();
  node2 = await startOrigin();
  const config = loomRoutesYaml.replace("node1.internal:8080", e2e.origin.endpoint).replace("node2.internal:8080", node2.endpoint);
  expect(config).not.toContain(".internal:");
  const saved = await e2e.gateway.putConfig(config);
  const text = await saved.text();
  expect(saved.status, text).toBe(200);
  ({ warnings } = JSON.parse(text) as { warnings: string[] });
});
afterAll(() => Promise.all([e2e?.stop(), node2?.stop()]));

/** Sends GET `path` with `headers` to Host `host`; returns the status and what the origin received. */
async function through(host: string, path: string, headers: Record<string, string> = {}): Promise<{ status: number; seen: OriginRequest }> {
  const m = marker();
  const res = await rawRequest(e2e.gateway.url, {
    path: `${path}${path.includes("?") ? "&" : "?"}m=${m}`,
    headers: { Host: host, ...headers },
  });
  const [seen] = received(m);
  expect(seen, res.text).toBeDefined();
  return { status: res.status, seen: seen! };
}

describe("LOOM-CONFIG.md's routes example through wrangler dev", () => {
  it("is saved without a fall-through warning: catchall is no weaker than api-v1", () => {
    expect(warnings.filter((warning) => warning.includes("condition unmet"))).toEqual([]);
  });

  it("api-v1: Host, X-API-Version (any case of the name) and ?version=1 met, prefix stripped", async () => {
    const { status, seen } = await through("api.example.com", "/api/v1/users/7?version=1", { "x-api-version": "1" });
    expect(status).toBe(200);
    expect(seen.path).toBe("/users/7");
  });

  it.each<[string, string, string, Record<string, string>]>([
    ["without the header", "api.example.com", "/api/v1/users/7?version=1", {}],
    ["with another header value", "api.example.com", "/api/v1/users/7?version=1", { "X-API-Version": "2" }],
    ["without the query parameter", "api.example.com", "/api/v1/users/7", { "X-API-Version": "1" }],
    ["with the query parameter twice", "api.example.com", "/api/v1/users/7?version=1&version=1", { "X-API-Version": "1" }],
    ["on another host", "www.example.com", "/api/v1/users/7?version=1", { "X-API-Version": "1" }],
  ])("catchall %s: the path as sent", async (_case, host, path, headers) => {
    const { status, seen } = await through(host, path, headers);
    expect(status).toBe(200);
    expect(seen.path).toBe("/api/v1/users/7");
  });

  it("keeps one X-User-ID on one endpoint (consistent_hash), and spreads users over both", async () => {
    const endpointOf = async (user: string) => {
      const m = marker();
      await rawRequest(e2e.gateway.url, {
        path: `/users/${user}?m=${m}`,
        headers: { Host: "www.example.com", "X-User-ID": user, "X-Cache-Bypass": "1" },
      });
      return e2e.origin.received(m).length === 1 ? "node1" : node2.received(m).length === 1 ? "node2" : "none";
    };
    const users = Array.from({ length: 12 }, (_, i) => `user-${i}`);
    const first = await Promise.all(users.map(endpointOf));
    expect(first).not.toContain("none");
    expect(await Promise.all(users.map(endpointOf))).toEqual(first);
    expect(new Set(first).size).toBe(2);
  });

  it("caches GETs (the second is a HIT the origins never see), but not excluded_paths or with the bypass header", async () => {
    const m = marker();
    const get = (path: string, headers: Record<string, string> = {}) =>
      rawRequest(e2e.gateway.url, { path, headers: { Host: "www.example.com", ...headers } });
    expect((await get(`/catalogue/${m}`)).headers["x-cache"]).toBe("MISS");
    expect((await get(`/catalogue/${m}`)).headers["x-cache"]).toBe("HIT");
    expect((await get(`/catalogue/${m}`, { "X-Cache-Bypass": "1" })).headers["x-cache"]).toBe("BYPASS");
    expect(received(m)).toHaveLength(2);
    const auth = marker();
    for (let i = 0; i < 2; i++) expect((await get(`/api/auth/${auth}`)).headers["x-cache"]).toBeUndefined();
    expect(received(auth)).toHaveLength(2);
  });
});
