/**
 * A stored document with `${VAR}` references outside endpoints, as an isolate loads it: resolved
 * with its environment and validated; a field that cannot be resolved, or whose value is not
 * valid, refuses the narrowest scope that needs it (a route, the routes to an upstream, the routes
 * naming a plugin entry, every route), and the config compiled never holds the reference's text
 * or a policy without its value.
 */
import { describe, expect, it } from "vitest";
import { resolvedConfig } from "./resolved-config";

const DOCUMENT = {
  routes: [
    {
      id: "secure",
      path: "/secure/*",
      upstream: "backend",
      priority: 5,
      auth: { type: "jwt", secret: "${JWT_SECRET}", issuer: "${ISSUER}", audience: "api" },
    },
    { id: "open", path: "/open/*", upstream: "backend", cors: { origins: ["https://${APP_HOST}"] } },
    { id: "checked", path: "/checked/*", upstream: "checked" },
    { id: "plugged", path: "/plugged/*", upstream: "backend", plugins: ["jwt-auth"] },
  ],
  upstreams: [
    { name: "backend", endpoints: ["origin.test:80"] },
    { name: "checked", endpoints: ["origin.test:80"], timeout: "${CHECKED_TIMEOUT}", health_check: { path: "/${HEALTH_PATH}" } },
  ],
  plugins: [{ name: "jwt-auth", config: { secret: "${JWT_SECRET}", issuer: "${PLUGIN_ISSUER}", audience: "api" } }],
  tracing: { enabled: true, endpoint: "https://${COLLECTOR}/v1/traces" },
};

const ALL_SET = {
  ISSUER: "https://auth.test",
  APP_HOST: "app.test",
  CHECKED_TIMEOUT: "3s",
  HEALTH_PATH: "healthz",
  PLUGIN_ISSUER: "https://plugin.test",
  COLLECTOR: "otel.test",
};

const without = (...names: string[]) => Object.fromEntries(Object.entries(ALL_SET).filter(([name]) => !names.includes(name)));

describe("a stored document with references, resolved by an isolate", () => {
  it("with every variable set: every field holds its value, nothing is refused, and every variable is masked in logs", () => {
    const { config, unresolved, variables } = resolvedConfig(DOCUMENT, ALL_SET);
    expect(unresolved).toEqual([]);
    expect(config.routes[0]!.auth).toMatchObject({ issuer: "https://auth.test", secret: "${JWT_SECRET}" });
    expect(config.routes[3]!.auth).toMatchObject({ issuer: "https://plugin.test" });
    expect(config.upstreams[1]).toMatchObject({ timeout: 3000, health_check: { path: "/healthz" } });
    expect(config.tracing).toMatchObject({ endpoint: "https://otel.test/v1/traces" });
    expect(variables.sort()).toEqual(["APP_HOST", "CHECKED_TIMEOUT", "COLLECTOR", "HEALTH_PATH", "ISSUER", "PLUGIN_ISSUER"]);
  });

  it("a route's field unset: that route alone is refused, kept for matching without its policies", () => {
    const { config, unresolved } = resolvedConfig(DOCUMENT, without("ISSUER"));
    expect(unresolved).toEqual([
      {
        path: "routes[0].auth.issuer",
        message: expect.stringContaining("variable ISSUER is not set"),
        scopes: [{ kind: "route", id: "secure" }],
      },
    ]);
    // Still matched where it was (so its requests cannot fall to another route), never with the reference as an issuer.
    expect(config.routes[0]).toMatchObject({ id: "secure", path: "/secure/*", priority: 5, upstream: "backend" });
    expect(config.routes[0]!.auth).toBeUndefined();
    expect(config.routes[1]!.cors).toMatchObject({ origins: ["https://app.test"] });
  });

  it("an upstream's field unset: the routes to it are refused", () => {
    const { unresolved } = resolvedConfig(DOCUMENT, without("HEALTH_PATH"));
    expect(unresolved).toEqual([
      {
        path: "upstreams[1].health_check.path",
        message: expect.stringContaining("HEALTH_PATH"),
        scopes: [{ kind: "upstream", name: "checked" }],
      },
    ]);
  });

  it("a jwt-auth plugin entry's field unset: the routes naming it are refused, and no route gets a jwt scheme without it", () => {
    const { config, unresolved } = resolvedConfig(DOCUMENT, without("PLUGIN_ISSUER"));
    expect(unresolved.map(({ path, scopes }) => ({ path, scopes }))).toEqual([
      { path: "plugins[0].config.issuer", scopes: [{ kind: "route", id: "plugged" }] },
    ]);
    expect(config.routes[3]).not.toHaveProperty("auth");
    expect(config.routes[3]!.plugins).toEqual([]);
  });

  it("a global block's field unset: every route is refused and the block is not run", () => {
    const { config, unresolved } = resolvedConfig(DOCUMENT, without("COLLECTOR"));
    expect(unresolved).toEqual([{ path: "tracing.endpoint", message: expect.stringContaining("COLLECTOR"), scopes: [{ kind: "global" }] }]);
    expect(config.tracing).toBeUndefined();
    expect(config.routes.map((route) => route.auth ?? route.cors)).toEqual([undefined, undefined, undefined, undefined]);
  });

  it("a route's rate-limit override unset: that route alone; the AI gateway's field: its routes alone", () => {
    const document = {
      ...DOCUMENT,
      rate_limit: { default: { requests_per_minute: 600 }, routes: { open: { requests_per_minute: "${OPEN_RPM}" } } },
      ai_gateway: { providers: [{ name: "openai", base_url: "https://${OPENAI_HOST}/v1" }] },
    };
    const { config, unresolved } = resolvedConfig(document, ALL_SET);
    expect(unresolved.map(({ path, scopes }) => ({ path, scopes }))).toEqual([
      { path: "rate_limit.routes.open.requests_per_minute", scopes: [{ kind: "route", id: "open" }] },
      { path: "ai_gateway.providers[0].base_url", scopes: [] },
    ]);
    const withAiRoute = {
      ...document,
      routes: [...(document.routes as object[]), { id: "chat", path: "/ai/*", ai: { provider: "openai" }, strip_prefix: true }],
    };
    const aiRefused = resolvedConfig(withAiRoute, ALL_SET);
    expect(aiRefused.unresolved.at(-1)).toMatchObject({
      path: "ai_gateway.providers[0].base_url",
      scopes: [{ kind: "route", id: "chat" }],
    });
    expect(aiRefused.config.ai_gateway?.enabled).toBe(false);
    expect(aiRefused.config.routes.at(-1)).toMatchObject({ id: "chat", ai: {} });
    expect(aiRefused.config.routes.at(-1)!.strip_prefix).toBe(false);
    expect(config.rate_limit?.routes).toEqual({});
    expect(config.routes[1]!.cors).toBeUndefined();
    expect(config.routes[0]!.auth).toBeDefined();
    // Set, a whole reference is read as the number the field wants.
    const set = resolvedConfig(document, { ...ALL_SET, OPEN_RPM: "30", OPENAI_HOST: "api.openai.test" });
    expect(set.unresolved).toEqual([]);
    expect(set.config.rate_limit?.routes.open).toMatchObject({ requests_per_minute: 30 });
  });

  it("the top-level GraphQL protections' field unset: the routes with `graphql: true` are refused, never served unguarded", () => {
    const document = {
      ...DOCUMENT,
      routes: [
        ...DOCUMENT.routes,
        { id: "gql", path: "/graphql", upstream: "backend", graphql: true },
        { id: "own-gql", path: "/other-graphql", upstream: "backend", graphql: { security: { max_depth: 5 } } },
      ],
      graphql: { security: { max_depth: "${GRAPHQL_DEPTH}" } },
    };
    const { unresolved } = resolvedConfig(document, ALL_SET);
    expect(unresolved.map(({ path, scopes }) => ({ path, scopes }))).toEqual([
      { path: "graphql.security.max_depth", scopes: [{ kind: "route", id: "gql" }] },
    ]);
  });

  it("a value the field refuses: refused like an unset one, naming the variable, never the value", () => {
    const { unresolved } = resolvedConfig(DOCUMENT, { ...ALL_SET, CHECKED_TIMEOUT: "hunter2-not-a-duration" });
    expect(unresolved).toEqual([
      {
        path: "upstreams[1].timeout",
        message: expect.stringMatching(/^with CHECKED_TIMEOUT resolved, /),
        scopes: [{ kind: "upstream", name: "checked" }],
      },
    ]);
    expect(JSON.stringify(unresolved)).not.toContain("hunter2");
    // The field's own value is masked however short (the duration's message would quote it).
    const short = resolvedConfig(DOCUMENT, { ...ALL_SET, CHECKED_TIMEOUT: "9x" }).unresolved;
    expect(short[0]!.message).toContain('"[value]"');
    expect(short[0]!.message).not.toContain("9x");
  });

  it("a value is substituted once: a `${…}` inside it is text", () => {
    const { config } = resolvedConfig(DOCUMENT, { ...ALL_SET, PLUGIN_ISSUER: "https://${ISSUER}" });
    expect(config.routes[3]!.auth).toMatchObject({ issuer: "https://${ISSUER}" });
  });
});
