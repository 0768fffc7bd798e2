import { Hono } from "hono";
import { describe, expect, it } from "vitest";
import { routeSchema } from "../config/schema";
import type { AppEnv } from "../env";
import { passThrough } from "../http/chain";
import { overrideHeaders } from "./override-headers";
import { compileRouter, routeMatch } from "./router";

/** routeMatch → methodOverride → an upstream stand-in that counts what reached it. */
function gateway(routes: Record<string, unknown>[], allowedMethods?: string[]) {
  const parsed = routes.map((route) => routeSchema.parse({ upstream: "backend", ...route }));
  const reached: string[] = [];
  const app = new Hono<AppEnv>();
  const router = compileRouter(parsed);
  app.use(routeMatch(router));
  app.use(overrideHeaders(parsed, { router, allowedMethods }));
  app.all("*", (c) => {
    reached.push(c.req.path);
    return c.text("upstream");
  });
  return { app, reached };
}

const legacy = { id: "legacy", path: "/legacy/*", methods: ["GET", "POST"], forward_override_headers: true };

async function refusal(res: Response): Promise<{ error: string; allow: string[] }> {
  expect(res.status).toBe(405);
  return res.json();
}

describe("method overrides on routes that forward them", () => {
  it.each(["X-HTTP-Method-Override", "X-HTTP-Method", "X-Method-Override"])(
    "refuses %s naming a method the route does not admit, with Allow",
    async (name) => {
      const { app, reached } = gateway([legacy]);
      const res = await app.request("http://gw.test/legacy/users/1", { method: "POST", headers: { [name]: "DELETE" } });
      const body = await refusal(res);
      expect(body.error).toBe("method_not_allowed");
      expect(body.allow).toEqual(["GET", "HEAD", "POST"]);
      expect(res.headers.get("Allow")).toBe("GET, HEAD, POST");
      expect(reached).toEqual([]);
    },
  );

  it("admits an override naming a method the route admits, in any case", async () => {
    const { app, reached } = gateway([legacy]);
    for (const value of ["POST", "post", " get ", "HEAD"]) {
      const res = await app.request("http://gw.test/legacy/x", { headers: { "X-HTTP-Method-Override": value } });
      expect(res.status, value).toBe(200);
    }
    expect(reached).toHaveLength(4);
  });

  it("refuses a repeated override, an empty one and one that is no method", async () => {
    const { app, reached } = gateway([legacy]);
    const repeated = new Headers();
    repeated.append("X-HTTP-Method-Override", "GET");
    repeated.append("X-HTTP-Method-Override", "DELETE");
    const cases: HeadersInit[] = [
      repeated,
      { "X-Method-Override": "" },
      { "X-HTTP-Method": "BREW" },
      { "X-HTTP-Method-Override": "GET", "X-HTTP-Method": "DELETE" },
    ];
    for (const headers of cases) {
      await refusal(await app.request("http://gw.test/legacy/x", { headers }));
    }
    expect(reached).toEqual([]);
  });

  it("bounds a route without methods by middleware.request_validation.allowed_methods", async () => {
    const { app } = gateway([{ id: "open", path: "/open/*", forward_override_headers: true }], ["GET", "POST"]);
    const body = await refusal(
      await app.request("http://gw.test/open/x", { method: "POST", headers: { "X-HTTP-Method-Override": "PUT" } }),
    );
    expect(body.allow).toEqual(["GET", "POST"]);
    expect((await app.request("http://gw.test/open/x", { method: "POST", headers: { "X-HTTP-Method-Override": "GET" } })).status).toBe(200);
  });

  it("bounds a route's methods by allowed_methods too", async () => {
    const { app } = gateway([{ ...legacy, methods: ["GET", "POST", "PUT"] }], ["GET", "PUT"]);
    const body = await refusal(
      await app.request("http://gw.test/legacy/x", { method: "PUT", headers: { "X-HTTP-Method-Override": "POST" } }),
    );
    expect(body.allow).toEqual(["GET", "PUT"]);
  });

  it("leaves routes that do not forward overrides to the proxy, which drops the headers", async () => {
    const { app, reached } = gateway([legacy, { id: "api", path: "/api/*", methods: ["GET"] }]);
    expect((await app.request("http://gw.test/api/x", { headers: { "X-HTTP-Method-Override": "DELETE" } })).status).toBe(200);
    expect(reached).toEqual(["/api/x"]);
  });

  it("costs nothing when no route forwards overrides", () => {
    const routes = [
      { id: "a", path: "/a", methods: ["GET"] },
      { id: "b", path: "/b/*" },
    ].map((route) => routeSchema.parse({ upstream: "u", ...route }));
    expect(overrideHeaders(routes, { router: compileRouter(routes) })).toBe(passThrough);
    const forwarding = routes.map((route) => ({ ...route, forward_override_headers: true }));
    expect(overrideHeaders(forwarding, { router: compileRouter(forwarding) })).not.toBe(passThrough);
  });
});

describe("URL overrides on routes that forward them", () => {
  const routes = [
    { id: "legacy", path: "/legacy/*", forward_override_headers: true },
    { id: "admin-area", path: "/legacy/admin/*", auth: { type: "api_key", keys: ["${K}"] } },
    { id: "other", path: "/other/*" },
  ];

  it.each([
    ["X-Original-URL", "/legacy/reports?x=1"],
    ["X-Rewrite-URL", "/LEGACY/reports/"],
    ["X-Original-URL", "https://gw.test/legacy/a/../b"],
  ])("admits %s: %s, which reaches the same route", async (name, value) => {
    const { app, reached } = gateway(routes);
    expect((await app.request("http://gw.test/legacy/x", { headers: { [name]: value } })).status).toBe(200);
    expect(reached).toHaveLength(1);
  });

  it.each([
    ["X-Original-URL", "/legacy/admin/users"],
    ["X-Rewrite-URL", "/Legacy/ADMIN/users"],
    ["X-Original-URL", "/other/x"],
    ["X-Original-URL", "/legacy/%2e%2e/other"],
    ["X-Original-URL", "/legacy/a%2fb"],
    ["X-Original-URL", "/legacy/admin;x/users"],
    ["X-Original-URL", "/nowhere"],
    ["X-Rewrite-URL", "https://gw.test"],
  ])("refuses %s: %s, which reaches another route or none, with 400", async (name, value) => {
    const { app, reached } = gateway(routes);
    const res = await app.request("http://gw.test/legacy/x", { headers: { [name]: value } });
    expect(res.status).toBe(400);
    expect(await res.json()).toMatchObject({ error: "override_outside_route" });
    expect(reached).toEqual([]);
  });
});

describe("URL overrides and query_params conditions", () => {
  const routes = [
    { id: "legacy", path: "/legacy/*", forward_override_headers: true },
    { id: "legacy-v2", path: "/legacy/*", query_params: { version: "2" }, auth: { type: "api_key", keys: ["${K}"] } },
  ];

  it("matches the overriding URL's own query, which is what the upstream reads", async () => {
    const { app, reached } = gateway(routes);
    const refused = await app.request("http://gw.test/legacy/x", { headers: { "X-Original-URL": "/legacy/y?version=2" } });
    expect(refused.status).toBe(400);
    expect(await refused.json()).toMatchObject({ error: "override_outside_route" });
    const admitted = await app.request("http://gw.test/legacy/x", { headers: { "X-Original-URL": "/legacy/y?version=1#f" } });
    expect(admitted.status).toBe(200);
    expect(reached).toHaveLength(1);
  });
});
