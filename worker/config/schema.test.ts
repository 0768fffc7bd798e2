import { describe, expect, it } from "vitest";
import jwtAuthYaml from "../../test/fixtures/jwt-auth.yaml?raw";
import loomPolicyYaml from "../../test/fixtures/loom-security-policy.yaml?raw";
import { parseDocument, validateConfig, type ValidationResult } from "./parse";

function validate(document: unknown, env: Record<string, unknown> = {}): ValidationResult {
  return validateConfig(document, env);
}

function issuesOf(document: unknown): { path: string; message: string }[] {
  const result = validate(document);
  if (result.ok) throw new Error("expected the config to be rejected");
  return result.issues;
}

function yaml(text: string): unknown {
  const parsed = parseDocument(text, "application/yaml");
  if (!parsed.ok) throw new Error(parsed.issues[0]!.message);
  return parsed.document;
}

const upstream = { name: "backend", endpoints: ["https://origin.example.com"] };

describe("the example configs", () => {
  it("accepts the Loom security policy as it is, with warnings for what the edge ignores", () => {
    const result = validate(yaml(loomPolicyYaml));
    expect(result.ok).toBe(true);
    if (!result.ok) return;
    expect(result.config.middleware.body_limit?.max_size).toBe(10 * 1024 * 1024);
    expect(result.config.middleware.request_validation?.max_header_size).toBe(8192);
    expect(result.config.upstreams[0]!.circuit_breaker?.timeout).toBe(30_000);
    expect(result.warnings.join("\n")).toMatch(/listeners\[0\]\.tls\.cert_file: ignored at the edge/);
    expect(result.warnings.join("\n")).toMatch(/audit\.output: ignored at the edge/);
    expect(result.warnings.join("\n")).toMatch(/secret API_KEY_1 is not set/);
  });

  it("accepts the JWT example, says what it accepts without issuer and audience, and keeps ${VAR} references in the document", () => {
    const result = validate(yaml(jwtAuthYaml), { JWT_SECRET: "s3cret" });
    expect(result.ok).toBe(true);
    if (!result.ok) return;
    expect(result.warnings).toEqual([
      expect.stringMatching(
        /^middleware\.auth: no issuer \(any `iss`\) and no audience .* is checked: every token its keys verify is accepted/,
      ),
    ]);
    expect(JSON.stringify(result.document)).toContain("${JWT_SECRET}");
    expect(JSON.stringify(result)).not.toContain("s3cret");
  });

  it("forwards no underscore header names and no override headers unless the config says so", () => {
    const result = validate({
      middleware: { request_validation: { max_uri_length: 100 } },
      routes: [{ id: "a", path: "/a", upstream: "backend" }],
      upstreams: [upstream],
    });
    expect(result.ok && result.config.middleware.request_validation?.underscores_in_headers).toBe(false);
    expect(result.ok && result.config.routes[0]!.forward_override_headers).toBe(false);
    const relaxed = validate({
      middleware: { request_validation: { underscores_in_headers: true } },
      routes: [{ id: "a", path: "/a", upstream: "backend", forward_override_headers: true }],
      upstreams: [upstream],
    });
    expect(relaxed.ok && relaxed.config.middleware.request_validation?.underscores_in_headers).toBe(true);
    expect(relaxed.ok && relaxed.config.routes[0]!.forward_override_headers).toBe(true);
    const issues = issuesOf({
      middleware: { request_validation: { underscores_in_headers: "on" } },
      routes: [{ id: "a", path: "/a", upstream: "backend", forward_override_headers: "yes" }],
      upstreams: [upstream],
    });
    expect(issues.map((issue) => issue.path).sort()).toEqual([
      "middleware.request_validation.underscores_in_headers",
      "routes[0].forward_override_headers",
    ]);
  });

  it("applies defaults: 10 s timeout, 5 MB response cap, one retry", () => {
    const result = validate({ upstreams: [upstream] });
    expect(result.ok && result.config.upstreams[0]).toMatchObject({ timeout: 10_000, max_response_size: 5 * 1024 * 1024, retries: 1 });
  });
});

describe("invalid configs", () => {
  it("lists every problem by path at once", () => {
    const issues = issuesOf({
      routes: [
        { id: "a", path: "/a/*", upstream: "missing", bogus: true },
        { id: "a", path: "/b", upstream: "backend" },
      ],
      upstreams: [{ ...upstream, timeout: "ten seconds" }],
      middleware: { body_limit: { max_size: "10XB" } },
    });
    expect(issues).toEqual(
      expect.arrayContaining([
        { path: "routes[0]", message: expect.stringContaining("bogus") },
        { path: "routes[0].upstream", message: expect.stringContaining('upstream "missing" is not defined') },
        { path: "routes[1].id", message: 'duplicate id "a"' },
        { path: "upstreams[0].timeout", message: expect.stringContaining("not a duration") },
        { path: "middleware.body_limit.max_size", message: expect.stringContaining("not a size") },
      ]),
    );
  });

  it.each([
    ["unknown top-level block", { listenerz: [] }, "(root)"],
    ["wrong type", { routes: "all" }, "routes"],
    ["literal secret", { middleware: { auth: { type: "api_key", keys: ["sk-live-123"] } } }, "middleware.auth.keys[0]"],
    ["unknown auth type", { middleware: { auth: { type: "magic" } } }, "middleware.auth.type"],
    ["jwt without a key", { middleware: { auth: { type: "jwt", algorithms: ["RS256"] } } }, "middleware.auth"],
    [
      "HMAC without secret",
      { middleware: { auth: { type: "jwt", jwks_uri: "https://id.example.com/jwks", algorithms: ["HS256"] } } },
      "middleware.auth.algorithms",
    ],
    ["path without slash", { routes: [{ id: "r", path: "api", upstream: "backend" }], upstreams: [upstream] }, "routes[0].path"],
    ["wildcard mid-path", { routes: [{ id: "r", path: "/a/*/b", upstream: "backend" }], upstreams: [upstream] }, "routes[0].path"],
    [
      "encoded dot in a route",
      { routes: [{ id: "r", path: "/a/%2e%2e/b", upstream: "backend" }], upstreams: [upstream] },
      "routes[0].path",
    ],
    [
      "bad method",
      { routes: [{ id: "r", path: "/a", methods: ["FETCH"], upstream: "backend" }], upstreams: [upstream] },
      "routes[0].methods[0]",
    ],
    ["endpoint scheme", { upstreams: [{ name: "u", endpoints: ["ftp://files"] }] }, "upstreams[0].endpoints[0]"],
    ["endpoint with credentials", { upstreams: [{ name: "u", endpoints: ["https://user:pw@origin"] }] }, "upstreams[0].endpoints[0]"],
    ["no endpoints", { upstreams: [{ name: "u", endpoints: [] }] }, "upstreams[0].endpoints"],
    ["zero timeout", { upstreams: [{ ...upstream, timeout: "0s" }] }, "upstreams[0].timeout"],
    ["negative retries", { upstreams: [{ ...upstream, retries: -1 }] }, "upstreams[0].retries"],
    ["TLS version", { listeners: [{ name: "l", tls: { min_version: "1.4" } }] }, "listeners[0].tls.min_version"],
    [
      "rate-limit override for a missing route",
      { rate_limit: { routes: { ghost: { requests_per_second: 1 } } } },
      "rate_limit.routes.ghost",
    ],
    ["rate-limit key expression", { rate_limit: { key: "${env.SECRET}" } }, "rate_limit.key"],
    [
      "route on a missing listener",
      { routes: [{ id: "r", path: "/a", upstream: "backend", listener: "nope" }], upstreams: [upstream] },
      "routes[0].listener",
    ],
    [
      "unknown route plugin",
      { routes: [{ id: "r", path: "/a", upstream: "backend", plugins: [{ name: "exec", config: {} }] }], upstreams: [upstream] },
      "routes[0].plugins[0]",
    ],
    ["security.txt without contact", { security_txt: { expires: "2030-01-01T00:00:00Z" } }, "security_txt.contact"],
    [
      "security.txt with an http contact",
      { security_txt: { contact: "http://x.example", expires: "2030-01-01T00:00:00Z" } },
      "security_txt.contact",
    ],
    ["unknown access-log field", { logging: { access_log: { fields: ["password"] } } }, "logging.access_log.fields[0]"],
  ])("rejects %s", (_name, document, path) => {
    expect(issuesOf(document).map((issue) => issue.path)).toContain(path);
  });

  it("rejects two routes that could never both match", () => {
    const issues = issuesOf({
      routes: [
        { id: "one", path: "/a", methods: ["GET", "POST"], upstream: "backend" },
        { id: "two", path: "/a", methods: ["POST", "GET"], upstream: "backend" },
      ],
      upstreams: [upstream],
    });
    expect(issues).toEqual([{ path: "routes[1].path", message: expect.stringContaining('route "one"') }]);
  });

  it("rejects a route method that request validation refuses everywhere", () => {
    const issues = issuesOf({
      middleware: { request_validation: { allowed_methods: ["GET"] } },
      routes: [{ id: "r", path: "/a", methods: ["DELETE"], upstream: "backend" }],
      upstreams: [upstream],
    });
    expect(issues.map((issue) => issue.path)).toEqual(["routes[0].methods[0]"]);
  });

  it("rejects documents that are not a mapping", () => {
    for (const document of [null, [], "text", 42]) expect(issuesOf(document)[0]!.path).toBe("(root)");
  });

  it("reports YAML syntax errors and duplicate keys", () => {
    expect(parseDocument("routes: [", "application/yaml")).toMatchObject({ ok: false });
    expect(parseDocument("a: 1\na: 2\n", "text/yaml")).toMatchObject({ ok: false });
    expect(parseDocument("{", "application/json")).toMatchObject({ ok: false, issues: [{ path: "(root)" }] });
  });

  it("caps YAML aliases (billion laughs)", () => {
    const bomb = [
      "a: &a [x,x,x,x,x,x,x,x,x,x]",
      ...Array.from(
        { length: 9 },
        (_, i) =>
          `${String.fromCharCode(98 + i)}: &${String.fromCharCode(98 + i)} [${Array(10)
            .fill(`*${String.fromCharCode(97 + i)}`)
            .join(",")}]`,
      ),
    ].join("\n");
    expect(parseDocument(bomb, "application/yaml").ok).toBe(false);
  });
});

describe("upstreams: load_balancer, endpoint objects and retry", () => {
  const routes = [{ id: "api", path: "/api/*", upstream: "backend" }];

  it("reads endpoints as strings or Loom's website objects, strings with weight 1", () => {
    const result = validate({
      routes,
      upstreams: [
        {
          name: "backend",
          load_balancer: "weighted",
          endpoints: [
            "https://a.example.com",
            { host: "b.example.com", port: 8443, weight: 5 },
            { url: "https://c.example.com/v1", weight: 2 },
          ],
        },
      ],
    });
    expect(result.ok && result.config.upstreams[0]!.endpoints).toEqual([
      { endpoint: "https://a.example.com", weight: 1 },
      { endpoint: "b.example.com:8443", weight: 5 },
      { endpoint: "https://c.example.com/v1", weight: 2 },
    ]);
    expect(result.ok && result.config.upstreams[0]!.load_balancer).toBe("weighted");
  });

  it("defaults to round_robin, and consistent_hash replicas to 150", () => {
    const plain = validate({ upstreams: [upstream] });
    expect(plain.ok && plain.config.upstreams[0]!.load_balancer).toBe("round_robin");
    const hashed = validate({ upstreams: [{ ...upstream, load_balancer: "consistent_hash", consistent_hash: { hash_key: "X-User-ID" } }] });
    expect(hashed.ok && hashed.config.upstreams[0]!.consistent_hash).toEqual({ hash_key: "X-User-ID", replicas: 150 });
  });

  it("refuses endpoint objects that would smuggle a path, userinfo or a bad weight, by path", () => {
    const issues = issuesOf({
      upstreams: [
        {
          name: "backend",
          endpoints: [
            { host: "evil.example/x", port: 80 },
            { host: "a@b", port: 80 },
            { host: "a.example", port: 0 },
            { url: "ftp://a.example" },
            { url: "https://a.example", weight: 0 },
          ],
        },
      ],
    });
    for (const index of [0, 1, 2, 3, 4])
      expect(issues.some((issue) => issue.path.startsWith(`upstreams[0].endpoints[${index}]`))).toBe(true);
  });

  it("refuses consistent_hash without its block, and the block with another balancer", () => {
    expect(issuesOf({ upstreams: [{ ...upstream, load_balancer: "consistent_hash" }] }).map((issue) => issue.path)).toContain(
      "upstreams[0].consistent_hash",
    );
    expect(issuesOf({ upstreams: [{ ...upstream, consistent_hash: { hash_key: "X-User-ID" } }] }).map((issue) => issue.path)).toContain(
      "upstreams[0].consistent_hash",
    );
    expect(issuesOf({ upstreams: [{ ...upstream, load_balancer: "sticky" }] }).map((issue) => issue.path)).toContain(
      "upstreams[0].load_balancer",
    );
  });

  it("takes Loom's retry block with its defaults and bounds", () => {
    const result = validate({ upstreams: [{ ...upstream, retry: {} }] });
    expect(result.ok && result.config.upstreams[0]!.retry).toEqual({
      max_retries: 3,
      backoff_base: 100,
      backoff_max: 10_000,
      retryable_codes: [502, 503, 504],
    });
    const issues = issuesOf({
      upstreams: [
        { ...upstream, retry: { max_retries: 6 } },
        { ...upstream, name: "b", retry: { backoff_base: "2s", backoff_max: "1s" } },
        { ...upstream, name: "c", retry: { retryable_codes: [404] } },
        { ...upstream, name: "d", retry: { backoff_max: "1m" } },
      ],
    }).map((issue) => issue.path);
    expect(issues).toEqual(
      expect.arrayContaining([
        "upstreams[0].retry.max_retries",
        "upstreams[1].retry.backoff_base",
        "upstreams[2].retry.retryable_codes[0]",
        "upstreams[3].retry.backoff_max",
      ]),
    );
  });

  it("warns that an endpoint's weight is ignored by a balancer other than weighted", () => {
    const endpoints = [{ url: "https://a.example.com", weight: 3 }, "https://b.example.com"];
    const result = validate({ upstreams: [{ name: "backend", endpoints }] });
    expect(result.ok && result.warnings).toContain(
      "upstreams[0].endpoints[0].weight: ignored, load_balancer is round_robin (weights apply to weighted)",
    );
    const weighted = validate({ upstreams: [{ name: "backend", endpoints, load_balancer: "weighted" }] });
    expect(weighted.ok && weighted.warnings.some((warning) => warning.includes("weight"))).toBe(false);
  });

  it("warns that retries is ignored when retry is set", () => {
    const result = validate({ upstreams: [{ ...upstream, retries: 2, retry: { max_retries: 1 } }] });
    expect(result.ok && result.warnings).toContain("upstreams[0].retries: ignored, upstreams[0].retry is set and takes precedence");
    const alone = validate({ upstreams: [{ ...upstream, retry: { max_retries: 1 } }] });
    expect(alone.ok && alone.warnings.some((warning) => warning.includes("retries"))).toBe(false);
  });
});

describe("Loom's reference upstreams", () => {
  it("load with their load_balancer, health_check, circuit_breaker and retry as written", () => {
    const result = validate(
      yaml(`
upstreams:
  - name: backend-api
    endpoints: ["api-1.internal:8080", "api-2.internal:8080", "api-3.internal:8080"]
    load_balancer: round_robin
    health_check: { path: /health, interval: 10s, timeout: 2s, healthy_threshold: 2, unhealthy_threshold: 3 }
    circuit_breaker: { failure_threshold: 5, success_threshold: 3, timeout: 30s }
    retry: { max_retries: 3, backoff_base: 100ms, backoff_max: 10s, retryable_codes: [502, 503, 504] }
  - name: static-content
    endpoints: ["cdn.internal:80"]
    load_balancer: random
`),
    );
    expect(result.ok, JSON.stringify(!result.ok && result.issues)).toBe(true);
    const [api, cdn] = result.ok ? result.config.upstreams : [];
    expect(api).toMatchObject({
      load_balancer: "round_robin",
      health_check: { path: "/health", interval: 10_000, timeout: 2_000, healthy_threshold: 2, unhealthy_threshold: 3 },
      circuit_breaker: { success_threshold: 3 },
      retry: { max_retries: 3, backoff_base: 100, backoff_max: 10_000, retryable_codes: [502, 503, 504] },
    });
    expect(cdn?.load_balancer).toBe("random");
  });
});

describe("upstreams[].health_check", () => {
  const withCheck = (health_check: unknown) => validate({ upstreams: [{ name: "backend", endpoints: ["a:80"], health_check }] });

  it("defaults to GET /health every 10s, 2s timeout, 2 passes to come back and 3 failures to be ejected", () => {
    const result = withCheck({});
    expect(result.ok && result.config.upstreams[0]!.health_check).toEqual({
      path: "/health",
      interval: 10_000,
      timeout: 2_000,
      healthy_threshold: 2,
      unhealthy_threshold: 3,
    });
  });

  it.each([
    ["an interval under the 5s floor", { interval: "1s" }, "interval"],
    ["an interval over 1h", { interval: "2h" }, "interval"],
    ["a timeout under 100ms", { timeout: "10ms" }, "timeout"],
    ["a timeout over 30s", { interval: "1m", timeout: "31s" }, "timeout"],
    ["a timeout not shorter than the interval", { interval: "5s", timeout: "5s" }, "timeout"],
    ["a threshold of 0", { healthy_threshold: 0 }, "healthy_threshold"],
    ["a threshold over 10", { unhealthy_threshold: 11 }, "unhealthy_threshold"],
    ["a path without a leading /", { path: "health" }, "path"],
    ["a path that names another host", { path: "//evil.example/health" }, "path"],
    ["a path with a dot segment", { path: "/a/../health" }, "path"],
    ["a path with a query", { path: "/health?full=1" }, "path"],
    ["an unknown key", { method: "HEAD" }, "health_check"],
  ])("refuses %s, by path", (_name, check, key) => {
    const paths = issuesOf({ upstreams: [{ name: "backend", endpoints: ["a:80"], health_check: check }] }).map((issue) => issue.path);
    expect(
      paths.some((path) => path.startsWith("upstreams[0].health_check") && path.includes(key)),
      paths.join(),
    ).toBe(true);
  });
});

describe("Loom's code dialect beside the security policy's", () => {
  const routes = [{ id: "r", path: "/r", upstream: "backend" }];

  it("keeps a policy-dialect rate_limit on by default, as before", () => {
    for (const block of [{}, { default: { requests_per_second: 5 } }, { fail_open: false }]) {
      const result = validate({ rate_limit: block, upstreams: [upstream] });
      expect(result.ok && result.config.rate_limit?.enabled).toBe(true);
    }
  });

  it("reads rate and burst as Loom's code does: off unless enabled, burst 10, rate 100", () => {
    const off = validate({ rate_limit: { rate: 50 } });
    expect(off.ok && off.config.rate_limit).toMatchObject({ enabled: false, default: { requests_per_second: 50, burst: 10 } });
    const on = validate({ rate_limit: { enabled: true, burst: 4 } });
    expect(on.ok && on.config.rate_limit).toEqual({
      enabled: true,
      default: { requests_per_second: 100, burst: 4 },
      key: "${client_ip}",
      routes: {},
      fail_open: true,
    });
  });

  it("warns that cleanup_interval is left to the Durable Objects, and takes Go durations there", () => {
    const result = validate({ rate_limit: { enabled: true, rate: 10, cleanup_interval: "1h30m" } });
    expect(result.ok).toBe(true);
    if (!result.ok) return;
    expect(result.config.rate_limit).toMatchObject({ enabled: true, default: { requests_per_second: 10, burst: 10 } });
    expect(result.warnings.join("\n")).toMatch(/rate_limit\.cleanup_interval: ignored at the edge: each counter is a Durable Object/);
  });

  it("refuses both dialects' default limit in one block, naming both paths", () => {
    const issues = issuesOf({ rate_limit: { default: { requests_per_second: 5 }, rate: 5, burst: 2 } });
    expect(issues.map((issue) => issue.path)).toEqual(["rate_limit.rate", "rate_limit.burst"]);
    expect(issues[0]!.message).toMatch(/rate_limit\.rate .* and rate_limit\.default/);
    expect(issuesOf({ rate_limit: { default: { requests_per_second: 5 }, cleanup_interval: "5m" } })[0]!.path).toBe(
      "rate_limit.cleanup_interval",
    );
  });

  it("refuses code-dialect rates out of bounds by path", () => {
    expect(issuesOf({ rate_limit: { rate: 0 } })[0]!.path).toBe("rate_limit.rate");
    expect(issuesOf({ rate_limit: { burst: 1.5 } })[0]!.path).toBe("rate_limit.burst");
    expect(issuesOf({ rate_limit: { rate: 1, cleanup_interval: "5 minutes" } })[0]!.path).toBe("rate_limit.cleanup_interval");
  });

  it("reads jwt without algorithms as HS256 with only a secret, RS256 with a public key or JWKS", () => {
    const auth = (block: Record<string, unknown>) => {
      const result = validate(
        { middleware: { auth: { type: "jwt", ...block } }, routes, upstreams: [upstream] },
        { JWT_SECRET: "x".repeat(32) },
      );
      if (!result.ok) throw new Error(JSON.stringify(result.issues));
      return result.config.middleware.auth;
    };
    expect(auth({ secret: "${JWT_SECRET}" })).toMatchObject({ algorithms: ["HS256"] });
    expect(auth({ jwks_uri: "https://id.example.com/jwks" })).toMatchObject({ algorithms: ["RS256"] });
    expect(auth({ public_key: "${PEM}" })).toMatchObject({ algorithms: ["RS256"] });
    expect(auth({ secret: "${JWT_SECRET}", algorithms: ["HS512"] })).toMatchObject({ algorithms: ["HS512"] });
  });

  it("still refuses a jwt secret beside a public key without algorithms naming an HS*", () => {
    const issues = issuesOf({ middleware: { auth: { type: "jwt", secret: "${S}", public_key: "${PEM}" } } });
    expect(issues.map((issue) => issue.path)).toContain("middleware.auth.secret");
  });

  const hash = "a".repeat(64);

  it("reads admin.auth in Loom's code shape: users by SHA-256 hex (any case), realm, enabled", () => {
    const result = validate({ admin: { enabled: true, auth: { users: { ops: "AB".repeat(32) }, realm: "Loom" } } });
    expect(result.ok && result.config.admin).toEqual({
      enabled: true,
      auth: { type: "users", enabled: true, users: { ops: "ab".repeat(32) }, realm: "Loom" },
    });
    const basic = validate({ admin: { auth: { type: "basic", username: "ops", password: "${P}" } } });
    expect(basic.ok && basic.config.admin).toEqual({
      enabled: true,
      auth: { type: "basic", username: "ops", password: "${P}", realm: "loom-edge" },
    });
  });

  it("refuses both shapes of admin.auth in one block, naming both paths", () => {
    const issues = issuesOf({ admin: { auth: { type: "basic", username: "ops", password: "${P}", users: { ops: hash }, enabled: true } } });
    expect(issues.map((issue) => issue.path)).toEqual(["admin.auth.enabled", "admin.auth.users"]);
    expect(issues[1]!.message).toMatch(/admin\.auth\.users .* and admin\.auth\.type/);
  });

  it("refuses password hashes that are not SHA-256 hex, and half a basic login, by path", () => {
    expect(issuesOf({ admin: { auth: { users: { ops: "secret" } } } })[0]!.path).toBe("admin.auth.users.ops");
    expect(issuesOf({ admin: { auth: { users: { ops: hash.slice(1) } } } })[0]!.path).toBe("admin.auth.users.ops");
    expect(issuesOf({ admin: { auth: { users: { "a:b": hash } } } })[0]!.path).toMatch(/^admin\.auth\.users/);
    expect(issuesOf({ admin: { auth: { type: "basic", username: "ops" } } }).map((issue) => issue.path)).toEqual(["admin.auth.password"]);
    expect(issuesOf({ admin: { auth: { realm: 'a"b' } } })[0]!.path).toBe("admin.auth.realm");
  });
});
