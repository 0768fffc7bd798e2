/**
 * `${VAR}` in the config as the schema and the save's warnings read it: endpoints take references
 * (checked once resolved), other fields refuse a reference inside a string rather than take it
 * as text, a vault credential needs a literal https:// before them, and every unset or invalid
 * variable of an endpoint is a warning naming path and variable, never the value.
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
    ["a { url } object", { url: "https://${AUTH_HOST}", weight: 3 }],
  ])("accepts %s, stored as written", (_case, endpoint) => {
    const { config } = accepted(withEndpoints(endpoint));
    expect(config.upstreams[0]!.endpoints[0]!.endpoint).toBe(typeof endpoint === "string" ? endpoint : endpoint.url);
  });

  it("still refuses what is no endpoint whatever the variables: request expressions, bare $NAME, a port that is no number", () => {
    for (const endpoint of ["${client_ip}:80", "$BACKEND_HOST:80", { host: "${BACKEND_HOST}", port: 80 }, { host: "h", port: "${PORT}" }]) {
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

  it("warns on save for a resolved value that is not a valid endpoint, without the value", () => {
    const { warnings } = accepted(withEndpoints("${BACKEND_HOST}:${BACKEND_PORT}"), {
      BACKEND_HOST: "user:hunter2@example.com",
      BACKEND_PORT: "80",
    });
    const mine = warnings.filter((warning) => warning.startsWith("upstreams[0].endpoints[0]"));
    expect(mine).toEqual([expect.stringContaining("with BACKEND_HOST, BACKEND_PORT resolved, the endpoint is not valid")]);
    expect(mine[0]).not.toContain("hunter2");
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

describe("${VAR} elsewhere", () => {
  it("refuses a reference, inside a string or whole, in a field that would take it as text, by path", () => {
    const document = {
      ...withEndpoints("origin.test:80"),
      middleware: { auth: { type: "jwt", jwks_uri: "https://${AUTH_HOST}/jwks.json", issuer: "${ISSUER}", audience: "api" } },
      tracing: { enabled: true, service_name: "gw-${STAGE}" },
    };
    const read = "Worker variables are read in upstreams[].endpoints and, as one whole reference, in secret fields";
    expect(issues(document)).toEqual(
      expect.arrayContaining([
        { path: "middleware.auth.jwks_uri", message: expect.stringContaining(`\${AUTH_HOST}: ${read}`) },
        { path: "middleware.auth.issuer", message: expect.stringContaining(`\${ISSUER}: ${read}`) },
        { path: "tracing.service_name", message: expect.stringContaining(`\${STAGE}: ${read}`) },
      ]),
    );
  });

  it("still takes whole references in secret fields, request expressions, and anything in a WASM plugin's config", () => {
    accepted({
      ...withEndpoints("origin.test:80"),
      routes: [{ ...route, auth: { type: "jwt", secret: "${JWT_SECRET}", issuer: "https://auth.test", audience: "api" } }],
      rate_limit: { default: { requests_per_minute: 60 }, key: "${client_ip}:${header.X-Tenant}" },
      middleware: { auth: { type: "api_key", header: "X-API-Key", keys: ["${API_KEY_1}"] } },
      admin: { auth: { type: "basic", username: "ops", password: "${ADMIN_PASSWORD}" } },
      ai_gateway: { providers: [{ name: "openai", api_key: "${OPENAI_API_KEY}" }] },
      plugins: [{ name: "geo", path: "/etc/loom/geo.wasm", config: { upstream: "https://${GEO_HOST}/lookup" } }],
    });
  });

  it("still refuses references in matching fields with their own message, once", () => {
    const found = issues({ routes: [{ ...route, path: "/api/${VERSION}/*" }], upstreams: [{ name: "backend", endpoints: ["o.test:80"] }] });
    expect(found.filter((issue) => issue.path === "routes[0].path")).toEqual([
      { path: "routes[0].path", message: expect.stringContaining("${VAR} is not allowed in fields that decide matching") },
    ]);
  });
});
