/**
 * LOOM-CONFIG.md's routes example over real HTTP: saved as YAML through `PUT /admin/config` on
 * `wrangler dev`, then requests whose Host, headers and query decide between api-v1 (priority
 * 100, conditions, strip_prefix) and catchall (`/*`, priority 1), to a Node origin on 127.0.0.1.
 * test/fixtures/loom-routes.yaml holds the example, its endpoints adapted to the test origin.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { readFileSync } from "node:fs";
import { marker, rawRequest, startE2E, type E2E, type OriginRequest } from "./harness";

const loomRoutesYaml = readFileSync(new URL("../fixtures/loom-routes.yaml", import.meta.url), "utf8");

let e2e: E2E;
let warnings: string[];

beforeAll(async () => {
  e2e = await startE2E();
  const saved = await e2e.gateway.putConfig(loomRoutesYaml.replace("ORIGIN", e2e.origin.endpoint));
  const text = await saved.text();
  expect(saved.status, text).toBe(200);
  ({ warnings } = JSON.parse(text) as { warnings: string[] });
});
afterAll(() => e2e?.stop());

/** Sends GET `path` with `headers` to Host `host`; returns the status and what the origin received. */
async function through(host: string, path: string, headers: Record<string, string> = {}): Promise<{ status: number; seen: OriginRequest }> {
  const m = marker();
  const res = await rawRequest(e2e.gateway.url, {
    path: `${path}${path.includes("?") ? "&" : "?"}m=${m}`,
    headers: { Host: host, ...headers },
  });
  const [seen] = e2e.origin.received(m);
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
});
