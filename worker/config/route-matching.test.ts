/**
 * The routes[] keys of Loom's code dialect that take part in matching: headers, query_params,
 * priority and timeout as the schema reads them; `${VAR}` refused in every matching field; and
 * the fall-through warning (fall-through.ts).
 */
import { describe, expect, it } from "vitest";
import { validateConfig } from "./parse";

const upstreams = [{ name: "backend", endpoints: ["https://origin.example.com"] }];
type Route = Record<string, unknown>;

function accepted(routes: Route[], extra: Record<string, unknown> = {}) {
  const result = validateConfig({ routes, upstreams, ...extra }, {});
  if (!result.ok) throw new Error(`expected acceptance: ${JSON.stringify(result.issues)}`);
  return result;
}

function refused(routes: Route[]) {
  const result = validateConfig({ routes, upstreams }, {});
  if (result.ok) throw new Error("expected the config to be refused");
  return result.issues;
}

const route = (id: string, path: string, more: Route = {}): Route => ({ id, path, upstream: "backend", ...more });

describe("routes[]: headers, query_params, priority, timeout", () => {
  it("reads them with Loom's defaults: no conditions, priority 0, the upstream's timeout", () => {
    const { config } = accepted([route("a", "/a")]);
    expect(config.routes[0]).toMatchObject({ priority: 0 });
    expect(config.routes[0]!.headers).toBeUndefined();
    expect(config.routes[0]!.query_params).toBeUndefined();
    expect(config.routes[0]!.timeout).toBeUndefined();
  });

  it("reads conditions as text (YAML numbers and booleans included) and timeout as milliseconds", () => {
    const { config } = accepted([
      route("a", "/a", { headers: { "X-API-Version": 1 }, query_params: { version: "1", beta: true }, timeout: "1m30s", priority: 100 }),
    ]);
    expect(config.routes[0]).toMatchObject({
      headers: { "X-API-Version": "1" },
      query_params: { version: "1", beta: "true" },
      timeout: 90_000,
      priority: 100,
    });
  });

  it.each<[string, Route, string]>([
    ["a header name twice in two cases", { headers: { "X-A": "1", "x-a": "2" } }, "routes[0].headers.x-a"],
    ["a header value with control characters", { headers: { "X-A": "1\r\nX-B: 2" } }, "routes[0].headers.X-A"],
    ["a header value with surrounding whitespace", { headers: { "X-A": " 1" } }, "routes[0].headers.X-A"],
    ["a header name that is no token", { headers: { "X A": "1" } }, "routes[0].headers.X A"],
    ["an empty query parameter name", { query_params: { "": "1" } }, "routes[0].query_params."],
    ["a fractional priority", { priority: 1.5 }, "routes[0].priority"],
    ["a priority out of bounds", { priority: 10_000_000 }, "routes[0].priority"],
    ["a zero timeout", { timeout: "0s" }, "routes[0].timeout"],
    ["a timeout that is no duration", { timeout: "soon" }, "routes[0].timeout"],
  ])("refuses %s", (_case, more, path) => {
    expect(refused([route("a", "/a", more)]).map((issue) => issue.path)).toContain(path);
  });

  it("tells routes apart by their conditions, not by their priority", () => {
    accepted([route("a", "/a", { headers: { "X-V": "1" } }), route("b", "/a", { headers: { "x-v": "2" } }), route("c", "/a")]);
    const twins = refused([route("a", "/a", { headers: { "X-V": "1" }, priority: 5 }), route("b", "/a", { headers: { "x-v": "1" } })]);
    expect(twins).toContainEqual(expect.objectContaining({ path: "routes[1].path", message: expect.stringContaining('route "a"') }));
  });
});

describe("routes[]: ${VAR} in a field that decides matching is refused by path", () => {
  it.each<[string, Route, string]>([
    ["path", { path: "/api/${VERSION}/*" }, "routes[0].path"],
    ["host", { host: "${API_HOST}" }, "routes[0].host"],
    ["methods", { methods: ["GET", "${METHOD}"] }, "routes[0].methods[1]"],
    ["a headers value", { headers: { "X-Key": "${ROUTE_KEY}" } }, "routes[0].headers.X-Key"],
    ["a query_params value", { query_params: { v: "${V}" } }, "routes[0].query_params.v"],
    ["a query_params name", { query_params: { "${NAME}": "1" } }, "routes[0].query_params.${NAME}"],
  ])("%s", (_field, more, path) => {
    const issues = refused([{ ...route("a", "/a"), ...more }]);
    expect(issues).toContainEqual({ path, message: expect.stringContaining("${VAR} is not allowed in fields that decide matching") });
  });
});

describe("the fall-through warning", () => {
  const fallThrough = (warnings: string[]) => warnings.filter((warning) => warning.includes("condition unmet"));
  const jwt = { type: "jwt", jwks_uri: "https://idp.example.com/jwks", issuer: "i", audience: "a" };

  it("names both routes when the fallback lacks the conditioned route's auth", () => {
    const { warnings } = accepted([
      route("admin-v2", "/admin/*", { headers: { "X-API-Version": "2" }, auth: jwt }),
      route("public", "/*", { auth: "none" }),
    ]);
    expect(fallThrough(warnings)).toEqual([
      expect.stringMatching(/^routes\[0\] \(admin-v2\): .* can reach routes\[1\] \(public\), which lacks its auth;/),
    ]);
  });

  it.each<[string, Route, Route, Record<string, unknown>, string]>([
    ["ip_rules", { ip_rules: { allow: ["10.0.0.0/8"] } }, {}, {}, "ip_rules"],
    ["a rate limit override", {}, {}, { rate_limit: { routes: { cond: { requests_per_minute: 10 } } } }, "rate limit override"],
    [
      "a request-validator",
      { plugins: [{ name: "request-validator", config: { schema: { type: "object" } } }] },
      {},
      {},
      "request-validator",
    ],
  ])("names %s", (_what, conditioned, fallback, extra, lacks) => {
    const { warnings } = accepted(
      [route("cond", "/api/*", { query_params: { mode: "strict" }, ...conditioned }), route("rest", "/api/:any", fallback)],
      extra,
    );
    expect(fallThrough(warnings)).toEqual([expect.stringContaining(`(rest), which lacks its ${lacks}`)]);
  });

  it.each<[string, Route[]]>([
    ["the fallback has the same policies", [route("c", "/a/*", { headers: { "X-V": "1" }, auth: jwt }), route("f", "/a/*", { auth: jwt })]],
    [
      "the routes cannot match one same request (paths)",
      [route("c", "/a/*", { headers: { "X-V": "1" }, auth: jwt }), route("f", "/b/*", { auth: "none" })],
    ],
    [
      "the routes cannot match one same request (hosts)",
      [
        route("c", "/*", { host: "a.example.com", headers: { "X-V": "1" }, auth: jwt }),
        route("f", "/*", { host: "b.example.com", auth: "none" }),
      ],
    ],
    [
      "the routes cannot match one same request (methods)",
      [route("c", "/*", { methods: ["POST"], headers: { "X-V": "1" }, auth: jwt }), route("f", "/*", { methods: ["GET"], auth: "none" })],
    ],
    [
      "the fallback requires the same conditions",
      [route("c", "/a", { headers: { "X-V": "1" }, auth: jwt }), route("f", "/a/*", { headers: { "x-v": "1", "X-W": "2" }, auth: "none" })],
    ],
    ["the stronger route has no conditions", [route("c", "/a", { auth: jwt }), route("f", "/a/*", { auth: "none" })]],
  ])("is not given when %s", (_case, routes) => {
    expect(fallThrough(accepted(routes).warnings)).toEqual([]);
  });

  it("counts middleware.auth as the routes' auth: a route's `none` is weaker than it", () => {
    const { warnings } = accepted(
      [route("c", "/a/*", { headers: { "X-V": "1" } }), route("f", "/*", { auth: "none" }), route("g", "/a/b")],
      {
        middleware: { auth: jwt },
      },
    );
    expect(fallThrough(warnings)).toEqual([expect.stringContaining("can reach routes[1] (f), which lacks its auth")]);
  });

  it("is given for the LOOM-CONFIG.md example once api-v1 has auth that catchall lacks", () => {
    const { warnings } = accepted([
      route("api-v1", "/api/v1/*", {
        host: "api.example.com",
        methods: ["GET", "POST", "PUT", "DELETE"],
        headers: { "X-API-Version": "1" },
        query_params: { version: "1" },
        priority: 100,
        auth: jwt,
      }),
      route("catchall", "/*", { priority: 1, auth: "none" }),
    ]);
    expect(fallThrough(warnings)).toEqual([
      expect.stringMatching(/^routes\[0\] \(api-v1\).*routes\[1\] \(catchall\), which lacks its auth/),
    ]);
  });
});
