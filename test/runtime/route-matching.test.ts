/**
 * Routes of Loom's code dialect through the whole worker: LOOM-CONFIG.md's routes example saved
 * through the admin API (with the fall-through warning once api-v1 has auth that catchall
 * lacks), headers/query_params and priority deciding the route, strip_prefix, a route's own
 * timeout, and `${VAR}` refused in matching fields.
 */
import { beforeAll, describe, expect, it } from "vitest";
import { parse as parseYaml } from "yaml";
import loomRoutesYaml from "../fixtures/loom-routes.yaml?raw";
import { admin, json, putConfig, send } from "./admin-harness";

interface Echo {
  url: string;
  headers: Record<string, string>;
}

/**
 * LOOM-CONFIG.md's routes, api-v1 with auth that catchall lacks, and two routes with their own
 * timeouts. Its upstream's balancing, bulkhead and the cache are the e2e test's
 * (test/e2e/route-matching.test.ts); here the upstream is the fake origin alone.
 */
const example = parseYaml(loomRoutesYaml) as { routes: Record<string, unknown>[] };
const config = {
  routes: [
    { ...example.routes[0], auth: { type: "api_key", keys: ["${DEMO_API_KEY}"] } },
    { id: "quick", path: "/quick/*", upstream: "patient-origin", strip_prefix: true, timeout: "50ms", priority: 2 },
    { id: "patient", path: "/patient/*", upstream: "hasty-origin", strip_prefix: true, timeout: "5s", priority: 2 },
    example.routes[1],
  ],
  upstreams: [
    { name: "backend-v1", endpoints: ["https://origin.test"] },
    { name: "patient-origin", endpoints: ["https://origin.test"], timeout: "1h", retries: 0 },
    { name: "hasty-origin", endpoints: ["https://origin.test"], timeout: "50ms", retries: 0 },
  ],
};

let warnings: string[] = [];

beforeAll(async () => {
  ({ warnings } = await putConfig(config));
});

const v1 = { "X-API-Version": "1", "X-API-Key": "demo-key-123" };

describe("LOOM-CONFIG.md's routes example", () => {
  it("is saved with a warning naming both routes: leaving out X-API-Version or ?version reaches catchall, without auth", () => {
    expect(warnings.filter((warning) => warning.includes("condition unmet"))).toEqual([
      expect.stringMatching(/^routes\[0\] \(api-v1\): .* can reach routes\[3\] \(catchall\), which lacks its auth;/),
    ]);
  });

  it("api-v1 serves a request that meets its conditions, with its prefix stripped and its auth enforced", async () => {
    const res = await send("https://api.example.com/api/v1/echo/users?version=1", { headers: v1 });
    expect(res.status).toBe(200);
    expect((await res.json<Echo>()).url).toBe("https://origin.test/echo/users?version=1");
    const anonymous = await send("https://api.example.com/api/v1/echo/users?version=1", { headers: { "X-API-Version": "1" } });
    expect(anonymous.status).toBe(401);
  });

  it.each([
    ["without the header", "https://api.example.com/api/v1/echo/u?version=1", {}],
    ["without the query parameter", "https://api.example.com/api/v1/echo/u", v1],
    ["with the query parameter twice", "https://api.example.com/api/v1/echo/u?version=1&version=1", v1],
    ["on another host", "https://www.example.com/api/v1/echo/u?version=1", v1],
  ])("catchall serves a request %s, unstripped", async (_case, url, headers) => {
    const res = await send(url, { headers });
    expect(res.status).toBe(200);
    expect(new URL((await res.json<Echo>()).url).pathname).toBe("/api/v1/echo/u");
  });
});

describe("a route's timeout", () => {
  it("shorter than the upstream's: 504 after the route's", async () => {
    const res = await send("/quick/slow/1000");
    expect(res.status).toBe(504);
    expect(await res.json()).toMatchObject({ error: "upstream_timeout" });
  });

  it("longer than the upstream's: the answer the upstream's timeout would have cut", async () => {
    const res = await send("/patient/slow/300");
    expect(res.status).toBe(200);
    expect(await res.text()).toBe("slow");
  });
});

describe("${VAR} in a field that decides matching", () => {
  it("is refused by path when the config is saved", async () => {
    const document = {
      routes: [{ id: "a", path: "/a", headers: { "X-Tenant": "${TENANT}" }, upstream: "backend-v1" }],
      upstreams: config.upstreams,
    };
    const res = await admin("/config", json("PUT", document));
    expect(res.status).toBe(400);
    const body = await res.json<{ error: string; issues: { path: string; message: string }[] }>();
    expect(body.error).toBe("invalid_config");
    expect(body.issues).toContainEqual({ path: "routes[0].headers.X-Tenant", message: expect.stringContaining("${VAR} is not allowed") });
  });
});
