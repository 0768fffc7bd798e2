/**
 * `${VAR}` in the config as the save reads it: endpoints take references (checked once resolved),
 * a vault credential needs a literal https:// before them, an unset variable of an endpoint is a
 * warning naming path and variable, and a set one whose value is no endpoint is refused, never
 * quoting the value. Any other string field takes
 * references too, validated resolved with the save's environment (an invalid value is refused,
 * an unset variable warned with the scope that will answer 503); names, ids, priorities, admin,
 * audit, request expressions and matching fields refuse them.
 */
import { describe, expect, it } from "vitest";
import { validateConfig } from "./parse";

const route = { id: "api", path: "/api/*", upstream: "backend" };
const withEndpoints = (...endpoints: unknown[]) => ({ routes: [route], upstreams: [{ name: "backend", endpoints }] });

function accepted(document: Record<string, unknown>, env: Record<string, unknown> = {}) {
  const result = validateConfig(document, env);
  if (!result.ok) throw new Error(`expected acceptance: ${JSON.stringify(result.issues)}`);
  return result;
}

function issues(document: Record<string, unknown>) {
  const result = validateConfig(document, {});
  if (result.ok) throw new Error("expected the config to be refused");
  return result.issues;
}

describe("${VAR} in upstream endpoints", () => {
  it.each([
    ["host and port", "${BACKEND_HOST}:${BACKEND_PORT}"],
    ["a whole endpoint", "${BACKEND_URL}"],
    ["a URL's host", "https://${AUTH_HOST}/v1"],
    ["a { url } object", { url: "https://${AUTH_HOST}", weight: 3 }, "https://${AUTH_HOST}"],
    ["a { host, port } object with a port variable", { host: "backend.test", port: "${BACKEND_PORT}" }, "backend.test:${BACKEND_PORT}"],
    ["a { host, port } object with a host variable", { host: "${BACKEND_HOST}.internal", port: 8080 }, "${BACKEND_HOST}.internal:8080"],
  ])("accepts %s, stored as written", (_case, endpoint, written?: string) => {
    const { config } = accepted(withEndpoints(endpoint));
    expect(config.upstreams[0]!.endpoints[0]!.endpoint).toBe(written ?? endpoint);
  });

  it("resolves a { host, port } object's variables as the endpoint host:port, and checks the result", () => {
    const document = withEndpoints({ host: "${BACKEND_HOST}", port: "${BACKEND_PORT}" });
    expect(
      accepted(document, { BACKEND_HOST: "api.example.com", BACKEND_PORT: "8443" }).warnings.filter((w) => w.startsWith("upstreams")),
    ).toEqual([]);
    const result = validateConfig(document, { BACKEND_HOST: "api.example.com", BACKEND_PORT: "99999" });
    expect(result.ok ? [] : result.issues).toEqual([
      {
        path: "upstreams[0].endpoints[0]",
        message: expect.stringContaining("with BACKEND_HOST, BACKEND_PORT resolved, the endpoint is not valid"),
      },
    ]);
  });

  it("still refuses what is no endpoint whatever the variables: request expressions, bare $NAME, a port that is neither a number nor one whole reference", () => {
    for (const endpoint of [
      "${client_ip}:80",
      "$BACKEND_HOST:80",
      { host: "${backend}", port: 80 },
      { host: "h", port: "80" },
      { host: "h", port: "${PORT}x" },
    ]) {
      const paths = issues(withEndpoints(endpoint)).map((issue) => issue.path);
      expect(
        paths.some((path) => path.startsWith("upstreams[0].endpoints[0]")),
        `${JSON.stringify(endpoint)}: ${paths.join(", ")}`,
      ).toBe(true);
    }
  });

  it("warns on save for each unset variable, naming path and variable, and the 503 it leads to", () => {
    const { warnings } = accepted(withEndpoints("literal.test:80", "${BACKEND_HOST}:${BACKEND_PORT}"), { BACKEND_PORT: "8080" });
    const mine = warnings.filter((warning) => warning.startsWith("upstreams[0].endpoints"));
    expect(mine).toEqual([
      'upstreams[0].endpoints[1]: variable BACKEND_HOST is not set (wrangler.toml [vars], --var, or wrangler secret put); until it is, requests routed to upstream "backend" fail closed with 503 variable_unavailable',
    ]);
    // Not also reported as a missing secret: an endpoint's variable is not a secret field.
    expect(warnings.join("\n")).not.toMatch(/secret BACKEND/);
  });

  it("refuses on save a set variable whose value is not a valid endpoint, by path, without the value", () => {
    const result = validateConfig(withEndpoints("${BACKEND_HOST}:${BACKEND_PORT}"), {
      BACKEND_HOST: "user:hunter2@example.com",
      BACKEND_PORT: "80",
    });
    expect(result.ok ? [] : result.issues).toEqual([
      {
        path: "upstreams[0].endpoints[0]",
        message: expect.stringContaining("with BACKEND_HOST, BACKEND_PORT resolved, the endpoint is not valid"),
      },
    ]);
    expect(JSON.stringify(result)).not.toContain("hunter2");
  });

  it("gives no warning when every variable resolves to a valid endpoint", () => {
    const { warnings } = accepted(withEndpoints("${BACKEND_HOST}:${BACKEND_PORT}"), {
      BACKEND_HOST: "api.example.com",
      BACKEND_PORT: "443",
    });
    expect(warnings.filter((warning) => warning.startsWith("upstreams"))).toEqual([]);
  });

  it("for a route with a vault credential, needs https:// written before the variables", () => {
    const credential = { provider: "openai", header: "Authorization", format: "Bearer {secret}" };
    const document = (endpoint: string) => ({
      routes: [{ ...route, credential }],
      upstreams: [{ name: "backend", endpoints: [endpoint] }],
    });
    expect(issues(document("${BACKEND_HOST}:${BACKEND_PORT}"))).toContainEqual({
      path: "routes[0].credential",
      message: expect.stringContaining("an endpoint with ${VAR} references must begin with https://"),
    });
    expect(issues(document("${BACKEND_URL}")).map((issue) => issue.path)).toContain("routes[0].credential");
    accepted(document("https://${BACKEND_HOST}:${BACKEND_PORT}"));
  });
});

describe("${VAR} in other fields, validated once resolved with the save's environment", () => {
  const jwt = { type: "jwt", jwks_uri: "https://${AUTH_HOST}/.well-known/jwks.json", issuer: "${ISSUER}", audience: "api-${STAGE}" };
  const everywhere = {
    routes: [{ ...route, auth: jwt, cors: { origins: ["https://${APP_HOST}"] }, timeout: "${ROUTE_TIMEOUT}" }],
    upstreams: [{ name: "backend", endpoints: ["origin.test:80"], health_check: { path: "/${HEALTH_PATH}" } }],
    tracing: { enabled: "${TRACING}", endpoint: "https://${COLLECTOR}/v1/traces", service_name: "gw-${STAGE}", sample_rate: "${RATE}" },
    middleware: { security_headers: { content_security_policy: "default-src 'self' https://${APP_HOST}" } },
    security_txt: { contact: "mailto:${SECURITY_MAILBOX}", expires: "2030-01-01T00:00:00Z" },
  };
  const ENV = {
    AUTH_HOST: "idp.example.com",
    ISSUER: "12345",
    STAGE: "prod",
    APP_HOST: "app.example.com",
    ROUTE_TIMEOUT: "2500ms",
    HEALTH_PATH: "healthz",
    TRACING: "true",
    COLLECTOR: "otel.example.com",
    RATE: "0.25",
    SECURITY_MAILBOX: "security@example.com",
  };

  it("accepts references in any string field, stores them as written, and validates the resolved values", () => {
    const { document, config, warnings } = accepted(everywhere, ENV);
    expect(document).toBe(everywhere);
    const auth = config.routes[0]!.auth as { jwks_uri: string; issuer: string; audience: string[] };
    expect(auth.jwks_uri).toBe("https://idp.example.com/.well-known/jwks.json");
    // A string field keeps a string, digits or not; a number field reads a whole reference as a number.
    expect(auth.issuer).toBe("12345");
    expect(config.routes[0]!.timeout).toBe(2500);
    expect(config.routes[0]!.cors).toMatchObject({ origins: ["https://app.example.com"] });
    expect(config.upstreams[0]!.health_check).toMatchObject({ path: "/healthz" });
    expect(config.tracing).toMatchObject({ enabled: true, service_name: "gw-prod", sample_rate: 0.25 });
    expect(config.middleware.security_headers).toMatchObject({ content_security_policy: "default-src 'self' https://app.example.com" });
    expect(warnings.filter((warning) => /variable|secret/.test(warning))).toEqual([]);
  });

  it("refuses a set variable whose value makes its field invalid, by path, naming the variable and never the value", () => {
    const result = validateConfig(everywhere, { ...ENV, RATE: "2.5", AUTH_HOST: "hunter2 idp.example.com" });
    if (result.ok) throw new Error("expected the config to be refused");
    // The route's auth is one of several shapes, so the block is refused whole, naming its variables.
    expect(result.issues.map((issue) => issue.path).sort()).toEqual(["routes[0].auth", "tracing.sample_rate"]);
    expect(result.issues.find((issue) => issue.path === "tracing.sample_rate")!.message).toMatch(/^with RATE resolved, /);
    expect(result.issues.find((issue) => issue.path === "routes[0].auth")!.message).toMatch(/^with AUTH_HOST, ISSUER, STAGE resolved, /);
    expect(JSON.stringify(result.issues)).not.toContain("hunter2");
  });

  it("saves a config whose variables are unset, warning per field with the scope that fails closed, never a value", () => {
    const { warnings } = accepted(everywhere, { ...ENV, ISSUER: "", HEALTH_PATH: undefined, COLLECTOR: undefined });
    const mine = warnings.filter((warning) => warning.includes("variable_unavailable"));
    expect(mine).toEqual([
      'routes[0].auth.issuer: variable ISSUER is not set (wrangler.toml [vars], --var, or wrangler secret put); until then, requests to route "api" fail closed with 503 variable_unavailable',
      'upstreams[0].health_check.path: variable HEALTH_PATH is not set (wrangler.toml [vars], --var, or wrangler secret put); until then, requests to the routes to upstream "backend" fail closed with 503 variable_unavailable',
      "tracing.endpoint: variable COLLECTOR is not set (wrangler.toml [vars], --var, or wrangler secret put); until then, requests to every route fail closed with 503 variable_unavailable",
    ]);
    // A whole reference outside secret fields is a value, not a secret.
    expect(warnings.join("\n")).not.toMatch(/secret ISSUER/);
  });

  it("masks a value in the other warnings of a field it resolved", () => {
    const { warnings } = accepted(
      { ...everywhere, tracing: { enabled: true, endpoint: "http://${COLLECTOR}:4318" } },
      {
        ...ENV,
        COLLECTOR: "collector.internal.example",
      },
    );
    expect(warnings).toContain(
      "tracing.endpoint: plain http: spans (paths, client addresses, user agents) cross the network in clear; use https",
    );
    expect(warnings.join("\n")).not.toContain("collector.internal.example");
  });

  it("reads a jwt-auth plugin entry's config with its references; unset, the routes naming it fail closed", () => {
    const document = {
      ...withEndpoints("origin.test:80"),
      routes: [{ ...route, plugins: ["jwt-auth"] }],
      plugins: [{ name: "jwt-auth", config: { secret: "${JWT_SECRET}", issuer: "${ISSUER}", audience: "api" } }],
    };
    expect((accepted(document, { JWT_SECRET: "s", ISSUER: "https://auth.test" }).config.routes[0]!.auth as { issuer: string }).issuer).toBe(
      "https://auth.test",
    );
    expect(accepted(document, { JWT_SECRET: "s" }).warnings).toContain(
      'plugins[0].config.issuer: variable ISSUER is not set (wrangler.toml [vars], --var, or wrangler secret put); until then, requests to route "api" fail closed with 503 variable_unavailable',
    );
  });

  it("refuses references in names, route ids, priorities, upstream references, admin, audit and request expressions, by path", () => {
    const document = {
      routes: [{ id: "api-${STAGE}", path: "/api/*", upstream: "${UPSTREAM}", priority: "${PRIORITY}" }],
      upstreams: [{ name: "backend-${STAGE}", endpoints: ["o.test:80"] }],
      rate_limit: { default: { requests_per_minute: 60 }, key: "${client_ip}:${TENANT}" },
      admin: { auth: { realm: "${REALM}" } },
      audit: { retention: "${RETENTION}" },
    };
    const paths = issues(document)
      .filter((issue) => issue.message.includes('README "Worker variables"'))
      .map((issue) => issue.path)
      .sort();
    expect(paths).toEqual([
      "admin.auth.realm",
      "audit.retention",
      "rate_limit.key",
      "routes[0].id",
      "routes[0].priority",
      "routes[0].upstream",
      "upstreams[0].name",
    ]);
  });

  it("still takes whole references in secret fields, request expressions, and anything in a WASM plugin's config", () => {
    const { warnings } = accepted({
      ...withEndpoints("origin.test:80"),
      routes: [{ ...route, auth: { type: "jwt", secret: "${JWT_SECRET}", issuer: "https://auth.test", audience: "api" } }],
      rate_limit: { default: { requests_per_minute: 60 }, key: "${client_ip}:${header.X-Tenant}" },
      middleware: { auth: { type: "api_key", header: "X-API-Key", keys: ["${API_KEY_1}"] } },
      admin: { auth: { type: "basic", username: "ops", password: "${ADMIN_PASSWORD}" } },
      ai_gateway: { providers: [{ name: "openai", api_key: "${OPENAI_API_KEY}" }] },
      plugins: [{ name: "geo", path: "/etc/loom/geo.wasm", config: { upstream: "https://${GEO_HOST}/lookup", key: "${GEO_KEY}" } }],
    });
    // Secrets are warned as secrets; the WASM entry's config is never read, so never warned.
    expect(warnings.filter((warning) => warning.includes(" is not set")).map((warning) => warning.split(":")[0])).toEqual([
      "routes[0].auth.secret",
      "middleware.auth.keys[0]",
      "admin.auth.password",
      "ai_gateway.providers[0].api_key",
    ]);
  });

  it("still refuses references in matching fields with their own message, once", () => {
    const found = issues({ routes: [{ ...route, path: "/api/${VERSION}/*" }], upstreams: [{ name: "backend", endpoints: ["o.test:80"] }] });
    expect(found.filter((issue) => issue.path === "routes[0].path")).toEqual([
      { path: "routes[0].path", message: expect.stringContaining("${VAR} is not allowed in fields that decide matching") },
    ]);
  });
});
