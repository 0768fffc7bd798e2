/**
 * Loom's plugins: routes' list form, names resolved to top-level entries or built-ins, the
 * built-ins' translated configs, WASM entries' keys, and upstreams' service_discovery.
 */
import { parse as parseYaml } from "yaml";
import { describe, expect, it } from "vitest";
import loomReferenceYaml from "../../test/fixtures/loom-reference.yaml?raw";
import { validateConfig } from "./parse";
import { wasmOnlyNames } from "./plugin-names";

const upstreams = [{ name: "backend", endpoints: ["https://origin.example.com"] }];
const JWT = {
  name: "jwt-auth",
  path: "/p/jwt.wasm",
  config: { issuer: "https://auth.example.com", jwks_url: "https://auth.example.com/jwks.json" },
};
const RATE = { name: "rate-limit", config: { requests_per_second: 5, burst: 7 } };
const WASM = { name: "geo-block", path: "/p/geo.wasm", phase: "on_request_body", priority: 5, memory_limit: "8MB", timeout: "50ms" };

function loaded(document: Record<string, unknown>) {
  const result = validateConfig({ upstreams, ...document }, {});
  if (!result.ok) throw new Error(JSON.stringify(result.issues));
  return result;
}

function issues(document: Record<string, unknown>) {
  const result = validateConfig({ upstreams, ...document }, {});
  if (result.ok) throw new Error("expected the config to be refused");
  return result.issues;
}

const route = (plugins: unknown[], extra: Record<string, unknown> = {}) => ({
  id: "r",
  path: "/r/*",
  upstream: "backend",
  plugins,
  ...extra,
});

describe("Loom's reference config", () => {
  // As Loom ships it, every block included (health_check, tracing, metrics, the code's rate_limit and cors).
  const reference = parseYaml(loomReferenceYaml) as Record<string, unknown>;

  it("loads: its routes' jwt-auth and rate-limit are served by the built-ins", () => {
    const result = validateConfig(reference, {});
    if (!result.ok) throw new Error(JSON.stringify(result.issues));
    const [v1, v2, publicRoute] = result.config.routes;
    expect(v1!.auth).toMatchObject({
      type: "jwt",
      jwks_uri: "https://auth.example.com/.well-known/jwks.json",
      issuer: "https://auth.example.com",
      algorithms: ["RS256"],
    });
    expect(v2!.auth).toEqual(v1!.auth);
    expect(publicRoute!.auth).toBeUndefined();
    expect(result.config.rate_limit?.routes).toEqual({
      "api-v1": { requests_per_second: 100, burst: 200 },
      "api-v2": { requests_per_second: 100, burst: 200 },
    });
    expect(wasmOnlyNames(v1!.plugins)).toEqual([]);
    expect(result.warnings).toEqual(
      expect.arrayContaining([
        expect.stringMatching(/^plugins\[0\] \(jwt-auth\): served by the built-in jwt scheme/),
        expect.stringMatching(/^plugins\[1\] \(rate-limit\): served by the built-in rate limiter/),
        expect.stringMatching(/^plugins\[2\] \(request-logger\): served by the access log/),
        "plugins[0].path: ignored at the edge: there is no file system; WASM plugins are not loaded",
      ]),
    );
    // The translated jwt block is warned about once, at the entry the operator wrote.
    expect(result.warnings.filter((warning) => warning.includes("no audience"))).toEqual([
      expect.stringMatching(/^plugins\[0\]\.config: no audience \(any `aud`/),
    ]);
  });
});

describe("routes[].plugins as names", () => {
  it("keeps request-validator objects beside names", () => {
    const validator = { name: "request-validator", config: { schema: { type: "object" } } };
    const result = loaded({ plugins: [WASM], routes: [route(["geo-block", validator])] });
    expect(result.config.routes[0]!.plugins).toEqual(["geo-block", expect.objectContaining({ name: "request-validator" })]);
    expect(wasmOnlyNames(result.config.routes[0]!.plugins)).toEqual(["geo-block"]);
  });

  it("warns that request-logger logs nothing when the access log is off", () => {
    const off = loaded({ logging: { access_log: { enabled: false } }, routes: [route(["request-logger"])] });
    expect(off.warnings).toContain(
      "routes[0].plugins[0]: request-logger is the access log, which logging.access_log.enabled: false turns off; this route's requests are not logged",
    );
    expect(loaded({ routes: [route(["request-logger"])] }).warnings.filter((w) => w.startsWith("routes[0].plugins"))).toEqual([]);
  });

  it("refuses an unknown name, by path", () => {
    expect(issues({ routes: [route(["request-logger", "nope"])] })).toEqual([
      { path: "routes[0].plugins[1]", message: expect.stringContaining('plugin "nope" is neither defined in plugins nor a built-in') },
    ]);
  });

  it("refuses jwt-auth or rate-limit without a top-level entry giving their settings", () => {
    expect(
      issues({ rate_limit: { default: { requests_per_second: 1 } }, routes: [route(["jwt-auth", "rate-limit"])] }).map((i) => i.path),
    ).toEqual(["routes[0].plugins[0]", "routes[0].plugins[1]"]);
  });

  it("refuses a bare request-validator (it needs its schema)", () => {
    expect(issues({ routes: [route(["request-validator"])] })[0]!.path).toBe("routes[0].plugins[0]");
  });

  it("refuses jwt-auth beside the route's own auth, by path", () => {
    const found = issues({ plugins: [JWT], routes: [route(["jwt-auth"], { auth: "none" })] });
    expect(found).toEqual([{ path: "routes[0].plugins[0]", message: expect.stringContaining("routes[0].auth both state") }]);
  });

  it("refuses rate-limit beside rate_limit.routes.<id>, and without an enabled rate_limit block", () => {
    const both = issues({
      plugins: [RATE],
      rate_limit: { default: { requests_per_second: 1 }, routes: { r: { requests_per_second: 2 } } },
      routes: [route(["rate-limit"])],
    });
    expect(both).toEqual([{ path: "routes[0].plugins[0]", message: expect.stringContaining("rate_limit.routes.r both set") }]);
    for (const rate_limit of [undefined, { enabled: false, default: { requests_per_second: 1 } }, { rate: 10 }]) {
      const off = issues({ plugins: [RATE], rate_limit, routes: [route(["rate-limit"])] });
      expect(off).toEqual([{ path: "routes[0].plugins[0]", message: expect.stringContaining("needs a rate_limit block that is enabled") }]);
    }
  });

  it("gives a route whose id is an Object prototype key its override", () => {
    const result = loaded({
      plugins: [RATE],
      rate_limit: { default: { requests_per_second: 1 } },
      routes: [route(["rate-limit"], { id: "constructor" })],
    });
    expect(result.config.rate_limit?.routes).toEqual({ constructor: { requests_per_second: 5, burst: 7 } });
  });

  it("refuses a jwt-auth or rate-limit config the built-in cannot read, by the config's own key names", () => {
    const found = issues({
      plugins: [
        { name: "jwt-auth", config: { jwks_url: "http://auth.example.com/jwks", leeway: 5 } },
        { name: "rate-limit", config: { burst: 3 } },
      ],
    });
    expect(found.map((issue) => issue.path).sort()).toEqual(
      ["plugins[0].config", "plugins[0].config.jwks_url", "plugins[1].config.burst", "plugins[1].config"].sort(),
    );
  });

  it("refuses two entries with one name", () => {
    expect(issues({ plugins: [WASM, WASM] })).toEqual([{ path: "plugins[1].name", message: 'duplicate name "geo-block"' }]);
  });
});

describe("a route with a WASM plugin", () => {
  it("is named in the fall-through warning when a client can side-step it to a route without", () => {
    const result = loaded({
      plugins: [WASM],
      routes: [route(["geo-block"], { headers: { "X-Region": "eu" } }), { id: "all", path: "/r/*", upstream: "backend" }],
    });
    expect(result.warnings).toContainEqual(
      expect.stringMatching(/^routes\[0\] \(r\): .*routes\[1\] \(all\), which lacks its plugin geo-block;/),
    );
  });
});

describe("WASM entries", () => {
  it("accept phase, priority, memory_limit and timeout, with Loom's defaults", () => {
    const result = loaded({ plugins: [WASM, { name: "plain" }] });
    expect(result.config.plugins).toEqual([
      expect.objectContaining({ phase: "on_request_body", priority: 5, memory_limit: 8 * 1024 * 1024, timeout: 50 }),
      expect.objectContaining({ phase: "on_request_headers", priority: 0, memory_limit: 16 * 1024 * 1024, timeout: 100 }),
    ]);
    expect(result.warnings).toContain(
      "plugins[1] (plain): a WASM plugin Loom Edge cannot run: every route naming it answers 503 plugin_unavailable (never served without it)",
    );
  });

  it.each([
    ["phase", "on_connect", "plugins[0].phase"],
    ["memory_limit", "0B", "plugins[0].memory_limit"],
    ["timeout", "2m", "plugins[0].timeout"],
    ["priority", 1.5, "plugins[0].priority"],
  ])("refuses a bad %s, by path", (key, value, path) => {
    expect(issues({ plugins: [{ name: "x", [key]: value }] }).map((issue) => issue.path)).toEqual([path]);
  });
});

describe("upstreams[].service_discovery", () => {
  const discovery = (service_discovery: Record<string, unknown>) => ({
    upstreams: [{ ...upstreams[0], service_discovery }],
  });
  const saysOf = (service_discovery: Record<string, unknown>) =>
    loaded(discovery(service_discovery)).warnings.filter((warning) => warning.startsWith("upstreams[0].service_discovery"));

  it("accepts dns as what the edge does anyway", () => {
    expect(saysOf({ enabled: true, provider: "dns", service_name: "api", refresh_interval: "30s" })).toEqual([
      expect.stringContaining("dns is what the edge does anyway: each endpoint's host name is resolved per request"),
    ]);
  });

  it.each(["consul", "kubernetes"])("accepts %s, warned as unreachable from the edge", (provider) => {
    expect(saysOf({ enabled: true, provider, service_name: "api" })).toEqual([
      `upstreams[0].service_discovery: ${provider} is unreachable from Cloudflare's network: it is not consulted, and requests go to endpoints as written`,
    ]);
  });

  it("refuses an unknown provider or key, by path", () => {
    const result = validateConfig({ upstreams: [{ ...upstreams[0], service_discovery: { provider: "eureka", ttl: 5 } }] }, {});
    expect(result.ok).toBe(false);
    if (!result.ok)
      expect(result.issues.map((issue) => issue.path).sort()).toEqual([
        "upstreams[0].service_discovery",
        "upstreams[0].service_discovery.provider",
      ]);
  });
});
