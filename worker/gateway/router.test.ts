import { Hono } from "hono";
import { parse as parseYaml } from "yaml";
import loomRoutesYaml from "../../test/fixtures/loom-routes.yaml?raw";
import { describe, expect, it } from "vitest";
import { routeSchema, type RouteConfig } from "../config/schema";
import type { AppEnv } from "../env";
import { rawRequest } from "../http/raw-request.test-helper";
import { compileRouter, routeMatch, type Router } from "./router";

type RouteInput = {
  id: string;
  path: string;
  host?: string;
  methods?: string[];
  strip_prefix?: boolean;
  headers?: Record<string, string | number>;
  query_params?: Record<string, string | number>;
  priority?: number;
};

function routes(...inputs: RouteInput[]): RouteConfig[] {
  return inputs.map((input) => routeSchema.parse({ upstream: "backend", ...input }));
}

/** The id of the route chosen, "405 GET, HEAD" for a wrong method, or "404". */
function pick(router: Router, host: string, path: string, method = "GET"): string {
  const result = router.match(host, path, method);
  if (!result) return "404";
  if ("allow" in result) return `405 ${result.allow.join(", ")}`;
  return result.route.id;
}

describe("router: paths", () => {
  const router = compileRouter(
    routes(
      { id: "root", path: "/" },
      { id: "health", path: "/health" },
      { id: "user", path: "/users/:id" },
      { id: "me", path: "/users/me" },
      { id: "user-posts", path: "/users/:id/posts/:post" },
      { id: "api", path: "/api/*" },
      { id: "api-v1", path: "/api/v1/*" },
      { id: "api-v1-public", path: "/api/v1/public/*" },
      { id: "api-exact", path: "/api" },
      { id: "dir", path: "/docs/" },
      { id: "cafe", path: "/caf%c3%a9" },
    ),
  );

  it.each([
    ["/", "root"],
    ["/health", "health"],
    ["/health/", "health"],
    ["/healthz", "404"],
    ["/Health", "health"],
    ["/users/42", "user"],
    ["/users/me", "me"],
    ["/users/", "404"],
    ["/users", "404"],
    ["/users/42/posts/7", "user-posts"],
    ["/users/42/posts/", "404"],
    ["/api", "api-exact"],
    ["/api/", "api-exact"],
    ["/api/x/y", "api"],
    ["/apix", "404"],
    ["/api/v1", "api-v1"],
    ["/api/v1/x", "api-v1"],
    ["/api/v1/public", "api-v1-public"],
    ["/api/v1/public/a/b", "api-v1-public"],
    ["/api/v2/public/a", "api"],
    ["/docs/", "dir"],
    ["/docs", "dir"],
    ["/caf%C3%A9", "cafe"],
    ["/nothing", "404"],
  ])("%s → %s", (path, expected) => {
    expect(pick(router, "gw.test", path)).toBe(expected);
  });

  it("decodes :params and reports the normalised path", () => {
    const result = router.match("gw.test", "/users/j%C3%B6rg%20m/posts/7", "GET");
    expect(result && "route" in result && result.route).toMatchObject({
      id: "user-posts",
      params: { id: "jörg m", post: "7" },
      path: "/users/j%C3%B6rg%20m/posts/7",
      forwardPath: "/users/j%C3%B6rg%20m/posts/7",
    });
  });

  it("prefers literal over :param segment by segment from the left, whatever the config order", () => {
    const router = compileRouter(
      routes({ id: "param-first", path: "/:a/b" }, { id: "literal-first", path: "/a/:b" }, { id: "all-literal", path: "/a/c" }),
    );
    expect(pick(router, "h", "/a/b")).toBe("literal-first");
    expect(pick(router, "h", "/a/c")).toBe("all-literal");
    expect(pick(router, "h", "/x/b")).toBe("param-first");
  });

  it("prefers :param over *, and a literal segment over both, even before a *", () => {
    const router = compileRouter(routes({ id: "star", path: "/*" }, { id: "any-one", path: "/:x" }, { id: "a-star", path: "/a/*" }));
    expect(pick(router, "h", "/b")).toBe("any-one");
    expect(pick(router, "h", "/a")).toBe("a-star");
    expect(pick(router, "h", "/a/b")).toBe("a-star");
    expect(pick(router, "h", "/b/c")).toBe("star");
    expect(pick(router, "h", "/")).toBe("star");
  });

  it("falls back to config order only for equally specific routes", () => {
    const router = compileRouter(
      routes({ id: "first", path: "/x/:a", methods: ["GET"] }, { id: "second", path: "/x/:b", methods: ["POST"] }),
    );
    expect(pick(router, "h", "/x/1", "GET")).toBe("first");
    expect(pick(router, "h", "/x/1", "POST")).toBe("second");
  });

  it("prefers a route that lists its methods over one that admits all", () => {
    const router = compileRouter(routes({ id: "all", path: "/items" }, { id: "read", path: "/items", methods: ["GET"] }));
    expect(pick(router, "h", "/items", "GET")).toBe("read");
    expect(pick(router, "h", "/items", "DELETE")).toBe("all");
  });
});

describe("router: hosts", () => {
  const router = compileRouter(
    routes(
      { id: "any", path: "/*" },
      { id: "any-exact-path", path: "/status" },
      { id: "wild", path: "/*", host: "*.example.com" },
      { id: "wild-deeper", path: "/*", host: "*.eu.example.com" },
      { id: "exact", path: "/*", host: "API.example.com" },
    ),
  );

  it.each([
    ["api.example.com", "exact"],
    ["API.EXAMPLE.COM", "exact"],
    ["api.example.com:8443", "exact"],
    ["api.example.com.", "exact"],
    ["shop.example.com", "wild"],
    ["a.b.example.com", "wild"],
    ["x.eu.example.com", "wild-deeper"],
    ["eu.example.com", "wild"],
    ["example.com", "any"],
    ["badexample.com", "any"],
    ["example.com.evil.net", "any"],
    ["127.0.0.1:8787", "any"],
    ["[::1]:8787", "any"],
  ])("%s → %s", (host, expected) => {
    expect(pick(router, host, "/x")).toBe(expected);
  });

  it("ranks the host before the path: a host-specific /* beats an any-host exact path", () => {
    expect(pick(router, "api.example.com", "/status")).toBe("exact");
    expect(pick(router, "other.test", "/status")).toBe("any-exact-path");
  });

  it("does not match a host-bound route on another host", () => {
    const router = compileRouter(routes({ id: "internal", path: "/internal/*", host: "internal.example.com" }));
    expect(pick(router, "internal.example.com", "/internal/x")).toBe("internal");
    expect(pick(router, "public.example.com", "/internal/x")).toBe("404");
    expect(pick(router, "internal.example.com.evil.net", "/internal/x")).toBe("404");
  });
});

describe("router: methods", () => {
  const router = compileRouter(
    routes(
      { id: "read", path: "/items/:id", methods: ["GET"] },
      { id: "write", path: "/items/:id", methods: ["PUT", "DELETE"] },
      { id: "public", path: "/api/v1/public/*", methods: ["GET"] },
      { id: "api", path: "/api/*" },
    ),
  );

  it("admits HEAD where GET is admitted", () => {
    expect(pick(router, "h", "/items/1", "HEAD")).toBe("read");
  });

  it("picks the route admitting the method", () => {
    expect(pick(router, "h", "/items/1", "GET")).toBe("read");
    expect(pick(router, "h", "/items/1", "DELETE")).toBe("write");
  });

  it("answers 405 with the union of the methods of every route matching host and path", () => {
    expect(pick(router, "h", "/items/1", "POST")).toBe("405 GET, HEAD, PUT, DELETE");
    expect(pick(router, "h", "/items/1", "get")).toBe("405 GET, HEAD, PUT, DELETE");
  });

  it("lets a less specific route that admits the method serve it (the method is part of the match)", () => {
    expect(pick(router, "h", "/api/v1/public/x", "GET")).toBe("public");
    expect(pick(router, "h", "/api/v1/public/x", "POST")).toBe("api");
  });

  it("says 404, not 405, when no route matches the path", () => {
    expect(pick(router, "h", "/other", "POST")).toBe("404");
  });
});

describe("router: strip_prefix", () => {
  const router = compileRouter(
    routes(
      { id: "svc", path: "/svc/*", strip_prefix: true },
      { id: "tenant", path: "/t/:tenant/*", strip_prefix: true },
      { id: "user-sub", path: "/users/:id/*", strip_prefix: true },
      { id: "exact", path: "/ping", strip_prefix: true },
      { id: "keep", path: "/keep/*" },
    ),
  );
  const forwardPath = (path: string) => {
    const result = router.match("h", path, "GET");
    if (!result || !("route" in result)) throw new Error(`no route for ${path}`);
    return result.route.forwardPath;
  };

  it.each([
    ["/svc", "/"],
    ["/svc/", "/"],
    ["/svc/x", "/x"],
    ["/svc/x/y/", "/x/y/"],
    ["/svc/svc/x", "/svc/x"],
    ["/t/acme/orders/1", "/orders/1"],
    ["/t/acme", "/"],
    ["/users/42/posts", "/posts"],
    ["/users/42/posts/7/", "/posts/7/"],
    ["/users/42", "/"],
    ["/ping", "/"],
    ["/keep/x", "/keep/x"],
  ])("%s → %s", (path, expected) => {
    expect(forwardPath(path)).toBe(expected);
  });
});

describe("router: strip_prefix with a :param prefix", () => {
  it("removes the parameter's segment too, and still hands its value to the steps after routing", () => {
    const router = compileRouter(routes({ id: "user-sub", path: "/users/:id/*", strip_prefix: true }));
    const result = router.match("h", "/users/J%C3%B6rg/posts", "GET");
    expect(result).toMatchObject({ route: { forwardPath: "/posts", params: { id: "Jörg" } } });
  });
});

/** The route a request with these headers and this query reaches ("404", "405 ..." otherwise). */
function pickWith(router: Router, path: string, headers: HeadersInit = {}, query = "", method = "GET", host = "h"): string {
  const result = router.match(host, path, method, false, { headers: new Headers(headers), query });
  if (!result) return "404";
  if ("allow" in result) return `405 ${result.allow.join(", ")}`;
  return result.route.id;
}

describe("router: headers conditions", () => {
  const router = compileRouter(
    routes(
      { id: "v2", path: "/api/*", headers: { "X-API-Version": "2" } },
      { id: "v2-beta", path: "/api/*", headers: { "x-api-version": "2", "X-Beta": "on" } },
      { id: "plain", path: "/api/*" },
    ),
  );

  it.each<[string, HeadersInit, string]>([
    ["exact value, any case of the name (RFC 9110 §5.1)", { "x-API-version": "2" }, "v2"],
    ["absent", {}, "plain"],
    ["another value", { "X-API-Version": "3" }, "plain"],
    ["a value in another case (values are exact)", { "X-Beta": "ON", "X-API-Version": "2" }, "v2"],
    ["a value with the same prefix", { "X-API-Version": "22" }, "plain"],
    ["both sets met: more conditions first", { "X-API-Version": "2", "X-Beta": "on" }, "v2-beta"],
  ])("%s", (_case, headers, expected) => {
    expect(pickWith(router, "/api/x", headers)).toBe(expected);
  });

  it("a route without conditions never shadows one with them, wherever the config lists it", () => {
    const router = compileRouter(routes({ id: "plain", path: "/api/*" }, { id: "v2", path: "/api/*", headers: { "X-API-Version": "2" } }));
    expect(pickWith(router, "/api/x", { "X-API-Version": "2" })).toBe("v2");
    expect(pickWith(router, "/api/x")).toBe("plain");
  });

  it("a header sent twice is one combined value and matches no single value", () => {
    const headers = new Headers([
      ["X-API-Version", "2"],
      ["X-API-Version", "2"],
    ]);
    expect(pickWith(router, "/api/x", headers)).toBe("plain");
  });

  it("a route with conditions never matches when the caller gives none to check", () => {
    expect(pick(router, "h", "/api/x")).toBe("plain");
  });

  it("a config number is compared as its text", () => {
    const numeric = compileRouter(routes({ id: "v1", path: "/x", headers: { "X-API-Version": 1 } }));
    expect(pickWith(numeric, "/x", { "X-API-Version": "1" })).toBe("v1");
    expect(pickWith(numeric, "/x", { "X-API-Version": "1.0" })).toBe("404");
  });

  it("unmet conditions are no match at all: they never make a 405", () => {
    const guarded = compileRouter(routes({ id: "w", path: "/w", methods: ["POST"], headers: { "X-K": "1" } }));
    expect(pickWith(guarded, "/w", {}, "", "GET")).toBe("404");
    expect(pickWith(guarded, "/w", { "X-K": "1" }, "", "GET")).toBe("405 POST");
  });
});

describe("router: query_params conditions", () => {
  const router = compileRouter(
    routes({ id: "v1", path: "/api/*", query_params: { version: "1", "a b": "c d" } }, { id: "plain", path: "/api/*" }),
  );

  it.each([
    ["version=1&a+b=c+d", "v1"],
    ["?version=1&a%20b=c%20d", "v1"],
    ["version=%31&a+b=c+d&other=x", "v1"],
    ["version=1", "plain"],
    ["version=2&a+b=c+d", "plain"],
    ["Version=1&a+b=c+d", "plain"],
    ["version=1&version=1&a+b=c+d", "plain"],
    ["version=2&version=1&a+b=c+d", "plain"],
    ["version=1&a+b=c+d&version=2", "plain"],
    ["version&a+b=c+d", "plain"],
    ["", "plain"],
  ])("?%s → %s", (query, expected) => {
    expect(pickWith(router, "/api/x", {}, query)).toBe(expected);
  });
});

describe("router: priority", () => {
  it("decides before specificity: a broader route with a higher priority wins", () => {
    const router = compileRouter(
      routes({ id: "v1", path: "/api/v1/*" }, { id: "api", path: "/api/*", priority: 10 }, { id: "low", path: "/api/v1/x", priority: -1 }),
    );
    expect(pick(router, "h", "/api/v1/x")).toBe("api");
    expect(pick(router, "h", "/other")).toBe("404");
  });

  it("decides across hosts: an any-host route with a higher priority beats an exact host", () => {
    const router = compileRouter(
      routes(
        { id: "exact", path: "/*", host: "api.example.com" },
        { id: "any", path: "/x", priority: 5 },
        { id: "wild", path: "/*", host: "*.example.com", priority: 3 },
      ),
    );
    expect(pick(router, "api.example.com", "/x")).toBe("any");
    expect(pick(router, "api.example.com", "/y")).toBe("wild");
    expect(pick(router, "other.example.com", "/y")).toBe("wild");
  });

  it("on equal priority, the specificity order stands (host first)", () => {
    const router = compileRouter(routes({ id: "any", path: "/x", priority: 1 }, { id: "exact", path: "/*", host: "a.test", priority: 1 }));
    expect(pick(router, "a.test", "/x")).toBe("exact");
  });

  it("a higher-priority route that does not admit the method leaves the request to the next one", () => {
    const router = compileRouter(routes({ id: "writes", path: "/*", methods: ["POST"], priority: 9 }, { id: "reads", path: "/r" }));
    expect(pick(router, "h", "/r", "GET")).toBe("reads");
    expect(pick(router, "h", "/r", "POST")).toBe("writes");
  });

  describe("LOOM-CONFIG.md's example: api-v1 (priority 100) and catchall /* (priority 1)", () => {
    const example = parseYaml(loomRoutesYaml) as { routes: RouteConfig[] };
    const router = compileRouter(example.routes.map((route) => routeSchema.parse(route)));
    const v1 = { "X-API-Version": "1" };

    it.each<[string, string, HeadersInit, string, string, string]>([
      ["both conditions met", "api.example.com", v1, "version=1", "GET", "api-v1"],
      ["port ignored", "API.example.com:443", v1, "version=1", "DELETE", "api-v1"],
      ["header missing", "api.example.com", {}, "version=1", "GET", "catchall"],
      ["query missing", "api.example.com", v1, "", "GET", "catchall"],
      ["another host", "www.example.com", v1, "version=1", "GET", "catchall"],
      ["a method api-v1 does not list", "api.example.com", v1, "version=1", "PATCH", "catchall"],
    ])("%s", (_case, host, headers, query, method, expected) => {
      expect(pickWith(router, "/api/v1/users", headers, query, method, host)).toBe(expected);
    });

    it("api-v1 strips its prefix; catchall forwards the path as sent", () => {
      const conditions = { headers: new Headers(v1), query: "version=1" };
      expect(router.match("api.example.com", "/api/v1/users/7", "GET", false, conditions)).toMatchObject({
        route: { id: "api-v1", forwardPath: "/users/7" },
      });
      expect(router.match("api.example.com", "/api/v1/users/7", "GET")).toMatchObject({
        route: { id: "catchall", forwardPath: "/api/v1/users/7" },
      });
    });
  });
});

describe("router: one route per resource, whatever the spelling", () => {
  const router = compileRouter(
    routes(
      { id: "admin-area", path: "/api/admin/*" },
      { id: "settings", path: "/api/settings" },
      { id: "open", path: "/api/*" },
      { id: "dir", path: "/Docs/" },
      { id: "user", path: "/users/:id" },
      { id: "strip", path: "/svc/*", strip_prefix: true },
    ),
  );
  const at = (path: string, semicolons = false) => {
    const result = router.match("h", path, "GET", semicolons);
    if (!result || !("route" in result)) return undefined;
    return { id: result.route.id, forward: result.route.forwardPath, params: result.route.params };
  };

  it.each([
    ["/api/ADMIN/users", "admin-area", "/api/admin/users"],
    ["/API/admin/Users/", "admin-area", "/api/admin/Users/"],
    ["/api/settings/", "settings", "/api/settings"],
    ["/api/Settings", "settings", "/api/settings"],
    ["/docs", "dir", "/Docs/"],
    ["/DOCS/", "dir", "/Docs/"],
    ["/Users/Ann/", "user", "/users/Ann"],
    ["/SVC/A/b/", "strip", "/A/b/"],
    ["/api/x/", "open", "/api/x/"],
  ])("%s → %s, forwarded as %s", (path, id, forward) => {
    expect(at(path)).toMatchObject({ id, forward });
  });

  it("keeps :param values as sent, case included", () => {
    expect(at("/USERS/J%C3%B6rg")?.params).toEqual({ id: "Jörg" });
  });

  it("with semicolons allowed, matches without `;` parameters and forwards them in the matched spelling", () => {
    expect(at("/api/admin;x/users", true)).toMatchObject({ id: "admin-area", forward: "/api/admin;x/users" });
    expect(at("/api/SETTINGS;jsessionid=1", true)).toMatchObject({ id: "settings", forward: "/api/settings;jsessionid=1" });
    expect(at("/api/admin%3Bx/users", true)).toMatchObject({ id: "admin-area" });
    expect(at("/users/ann;v=1", true)).toMatchObject({ id: "user", params: { id: "ann" }, forward: "/users/ann;v=1" });
  });

  it("without the switch, a `;` segment is just text (routeMatch refuses it before matching)", () => {
    expect(at("/api/admin;x/users")).toMatchObject({ id: "open" });
  });
});

describe("routeMatch middleware", () => {
  const router = compileRouter(
    routes(
      { id: "api", path: "/api/*" },
      { id: "admin", path: "/admin/*" },
      { id: "read", path: "/read", methods: ["GET"] },
      { id: "upload", path: "/read", methods: ["PUT"] },
    ),
  );
  const app = new Hono<AppEnv>();
  app.use(routeMatch(router));
  app.all("*", (c) => c.json({ route: c.var.route?.id, path: c.var.route?.path, forwardPath: c.var.route?.forwardPath }));

  it("sets c.var.route from the normalised raw path", async () => {
    const res = await app.fetch(rawRequest("http://gw.test/api/v1/%2e/users//42?x=1"));
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ route: "api", path: "/api/v1/users/42", forwardPath: "/api/v1/users/42" });
  });

  it("routes an encoded traversal by its normal form, never by its spelling", async () => {
    const res = await app.fetch(rawRequest("http://gw.test/api/%2e%2e/admin/x"));
    expect(await res.json()).toMatchObject({ route: "admin", path: "/admin/x" });
  });

  it.each([
    "http://gw.test/admin;x/users",
    "http://gw.test/api;/x",
    "http://gw.test/api/%3b",
    "http://gw.test/api/..%2fadmin",
    "http://gw.test/api/%2fadmin",
    "http://gw.test/api/%252e%252e/admin",
    "http://gw.test/api\\..\\admin",
    "http://gw.test/api/..;/admin",
    "http://gw.test/../admin",
    "http://gw.test/api/%00",
    "http://gw.test/api/%zz",
    "http://gw.test/api/%c0%ae%c0%ae/admin",
  ])("400 bad_path for %s", async (url) => {
    const res = await app.fetch(rawRequest(url));
    expect(res.status).toBe(400);
    expect(res.headers.get("content-type")).toContain("application/json");
    const body = (await res.json()) as { error: string; message: string };
    expect(body.error).toBe("bad_path");
    expect(body.message).toMatch(/^The request path is ambiguous: /);
  });

  it("404 no_route when nothing matches", async () => {
    const res = await app.request("http://gw.test/nope");
    expect(res.status).toBe(404);
    expect(await res.json()).toMatchObject({ error: "no_route" });
  });

  it("405 method_not_allowed with an Allow header (RFC 9110 §15.5.6)", async () => {
    const res = await app.request("http://gw.test/read", { method: "POST" });
    expect(res.status).toBe(405);
    expect(res.headers.get("allow")).toBe("GET, HEAD, PUT");
    expect(await res.json()).toMatchObject({ error: "method_not_allowed", allow: ["GET", "HEAD", "PUT"] });
  });

  it("reads headers and query conditions from the request", async () => {
    const conditioned = compileRouter(
      routes({ id: "v1", path: "/api/*", headers: { "X-API-Version": "1" }, query_params: { version: "1" } }, { id: "rest", path: "/*" }),
    );
    const app = new Hono<AppEnv>();
    app.use(routeMatch(conditioned));
    app.all("*", (c) => c.text(c.var.route?.id ?? "none"));
    const v1 = { headers: { "x-api-version": "1" } };
    expect(await (await app.request("http://gw.test/api/x?version=1", v1)).text()).toBe("v1");
    expect(await (await app.request("http://gw.test/api/x?version=1&version=2", v1)).text()).toBe("rest");
    expect(await (await app.request("http://gw.test/api/x?version=1")).text()).toBe("rest");
  });

  it("matches on the Host of the request, port ignored", async () => {
    const hosted = compileRouter(routes({ id: "internal", path: "/*", host: "internal.example.com" }));
    const app = new Hono<AppEnv>();
    app.use(routeMatch(hosted));
    app.all("*", (c) => c.text(c.var.route?.id ?? "none"));
    expect(await (await app.request("http://Internal.Example.com:8443/x")).text()).toBe("internal");
    expect((await app.request("http://public.example.com/x")).status).toBe(404);
  });
});
