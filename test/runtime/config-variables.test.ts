/**
 * `${VAR}` through the whole worker. In upstream endpoints: the config is saved with the
 * references, warned about with the save's environment, compiled once per version by the
 * isolate with its own environment, and an upstream whose endpoint cannot be resolved answers
 * 503 variable_unavailable without being contacted, while other upstreams serve on. The
 * resolved value is never shown or logged. In other fields (a jwt issuer, an upstream's timeout,
 * a tracing endpoint): resolved once per version by the isolate, and a field that cannot be
 * resolved refuses its route, the routes to its upstream, or every route (a global block).
 */
import { env } from "cloudflare:workers";
import { SignJWT } from "jose";
import { afterEach, describe, expect, it, vi } from "vitest";
import { KEYS } from "../../worker/config/kv";
import type { Env } from "../../worker/env";
import { admin, currentVersion, json, send } from "./admin-harness";

const CONFIG = {
  routes: [
    { id: "templated", path: "/vars/*", upstream: "templated", strip_prefix: true },
    { id: "plain", path: "/plain/*", upstream: "plain", strip_prefix: true },
  ],
  upstreams: [
    { name: "templated", endpoints: ["https://${ORIGIN_HOST}/${ORIGIN_BASE}"], retries: 0 },
    { name: "plain", endpoints: ["https://origin.test"], retries: 0 },
  ],
};

const GOOD = { ORIGIN_HOST: "origin.test", ORIGIN_BASE: "base" };

/** Saves CONFIG with `vars` in the admin API's environment; answers the warnings about endpoints. */
async function save(vars: Record<string, string>): Promise<string[]> {
  const res = await admin("/config", { ...json("PUT", CONFIG), env: { ...env, ...vars } as Env });
  expect(res.status, await res.clone().text()).toBe(200);
  const { warnings } = (await res.json()) as { warnings: string[] };
  return warnings.filter((warning) => warning.startsWith("upstreams"));
}

/** A request through the gateway, the isolate's environment carrying `vars`. */
const through = (path: string, vars: Record<string, string>) => send(path, { env: { ...env, ...vars } as Env });

const hits = async (id: string) => ((await (await through(`/plain/hits/${id}`, {})).json()) as { hits: number }).hits;

afterEach(() => vi.restoreAllMocks());

describe("an upstream endpoint with ${VAR} references", () => {
  it("is resolved from the Worker's environment and forwarded to; the admin API shows the references", async () => {
    expect(await save(GOOD)).toEqual([]);
    const res = await through("/vars/echo?x=1", GOOD);
    expect(res.status).toBe(200);
    expect(((await res.json()) as { url: string }).url).toBe("https://origin.test/base/echo?x=1");
    const shown = await (await admin("/config")).text();
    expect(shown).toContain("https://${ORIGIN_HOST}/${ORIGIN_BASE}");
  });

  it("unset: saved with a warning naming path and variable; its routes answer 503 variable_unavailable, the origin is not contacted, other upstreams serve", async () => {
    expect(await save({ ORIGIN_HOST: "origin.test" })).toEqual([
      'upstreams[0].endpoints[0]: variable ORIGIN_BASE is not set (wrangler.toml [vars], --var, or wrangler secret put); until it is, requests routed to upstream "templated" fail closed with 503 variable_unavailable',
    ]);
    const id = `vars-unset-${Date.now()}`;
    const refused = await through(`/vars/flaky/${id}/x`, { ORIGIN_HOST: "origin.test" });
    expect(refused.status).toBe(503);
    expect(await refused.json()).toMatchObject({ error: "variable_unavailable" });
    expect(await hits(id)).toBe(0);
    expect((await through("/plain/echo", {})).status).toBe(200);
  });

  it("resolved to an invalid endpoint: refused on save (400 by path); set so in an isolate, 503; the value appears in neither", async () => {
    const bad = { ORIGIN_HOST: "user:hunter2@origin.test", ORIGIN_BASE: "base" };
    const res = await admin("/config", { ...json("PUT", CONFIG), env: { ...env, ...bad } as Env });
    expect(res.status).toBe(400);
    const answer = await res.text();
    expect(JSON.parse(answer)).toMatchObject({
      error: "invalid_config",
      issues: [
        {
          path: "upstreams[0].endpoints[0]",
          message: expect.stringContaining("with ORIGIN_HOST, ORIGIN_BASE resolved, the endpoint is not valid"),
        },
      ],
    });
    expect(answer).not.toContain("hunter2");
    // A variable changed after a good save: the isolate resolves it and fails closed.
    await save(GOOD);
    const refused = await through("/vars/echo", bad);
    expect(refused.status).toBe(503);
    const body = await refused.text();
    expect(JSON.parse(body)).toMatchObject({ error: "variable_unavailable" });
    expect(body).not.toContain("hunter2");
  });

  it("is resolved once per config version in an isolate: one log line for many requests, naming the variable, never the value", async () => {
    const errors = vi.spyOn(console, "error").mockImplementation(() => {});
    await save({});
    const missing = { ORIGIN_HOST: "hunter2.example" };
    for (let i = 0; i < 3; i++) expect((await through("/vars/echo", missing)).status).toBe(503);
    const lines = errors.mock.calls.map((call) => String(call[0])).filter((line) => line.includes("config_variable_unresolved"));
    expect(lines).toHaveLength(1);
    expect(JSON.parse(lines[0]!)).toMatchObject({
      level: "error",
      event: "config_variable_unresolved",
      path: "upstreams[0].endpoints[0]",
      message: expect.stringContaining("variable ORIGIN_BASE is not set"),
    });
    expect(lines[0]).not.toContain("hunter2");
    // The environment an isolate compiled a version with stays: a later request with the
    // variable set is still refused until the next version (the runtime never changes an isolate's env).
    expect((await through("/vars/echo", GOOD)).status).toBe(503);
  });
});

const JWT_SECRET = "an HMAC key of at least 32 bytes for HS256 (variables test)";

/** Routes whose fields other than endpoints hold references: a jwt issuer, an upstream's timeout, a tracing endpoint. */
const VALUES = {
  routes: [
    {
      id: "secure",
      path: "/secure/*",
      upstream: "plain",
      strip_prefix: true,
      auth: { type: "jwt", secret: "${JWT_SECRET}", algorithms: ["HS256"], issuer: "${ISSUER}", audience: "api" },
    },
    { id: "slow", path: "/slow/*", upstream: "slow", strip_prefix: true },
    { id: "plain", path: "/plain/*", upstream: "plain", strip_prefix: true },
  ],
  upstreams: [
    { name: "plain", endpoints: ["https://origin.test"], retries: 0 },
    { name: "slow", endpoints: ["https://origin.test"], retries: 0, timeout: "${SLOW_TIMEOUT}" },
  ],
};
const VALUES_SET = { JWT_SECRET, ISSUER: "https://issuer.example", SLOW_TIMEOUT: "5s" };

const bearer = async (issuer: string) => ({
  Authorization: `Bearer ${await new SignJWT({ sub: "alice" })
    .setProtectedHeader({ alg: "HS256" })
    .setIssuer(issuer)
    .setAudience("api")
    .setExpirationTime("5m")
    .sign(new TextEncoder().encode(JWT_SECRET))}`,
});

/** Saves `document` with `vars` in the admin API's environment; answers the save's warnings. */
async function saveDocument(document: unknown, vars: Record<string, string>): Promise<string[]> {
  const res = await admin("/config", { ...json("PUT", document), env: { ...env, ...vars } as Env });
  expect(res.status, await res.clone().text()).toBe(200);
  return ((await res.json()) as { warnings: string[] }).warnings;
}

const call = async (path: string, vars: Record<string, string>, headers: Record<string, string> = {}) =>
  send(path, { headers, env: { ...env, ...vars } as Env });

describe("${VAR} in fields other than endpoints, through the worker", () => {
  it("a jwt issuer is resolved from the isolate's environment: a token of that issuer passes, another is refused; the admin API and KV hold only the reference", async () => {
    expect((await saveDocument(VALUES, VALUES_SET)).filter((warning) => warning.includes("variable"))).toEqual([]);
    expect((await call("/secure/echo", VALUES_SET, await bearer("https://issuer.example"))).status).toBe(200);
    expect((await call("/secure/echo", VALUES_SET, await bearer("https://other.example"))).status).toBe(401);
    const shown = await (await admin("/config")).text();
    expect(shown).toContain('"issuer":"${ISSUER}"');
    expect(shown).not.toContain("issuer.example");
    // No normal form: the config depends on each isolate's environment and its values never reach KV.
    const stored = await env.CONFIG.get(KEYS.version(await currentVersion()));
    expect(stored).not.toContain("issuer.example");
    expect(JSON.parse(stored!)).not.toHaveProperty("normal");
  });

  it("refuses to save a set variable whose value makes its field invalid, by path, without the value", async () => {
    const res = await admin("/config", { ...json("PUT", VALUES), env: { ...env, ...VALUES_SET, SLOW_TIMEOUT: "hunter2" } as Env });
    expect(res.status).toBe(400);
    const body = await res.text();
    expect(JSON.parse(body)).toMatchObject({
      error: "invalid_config",
      issues: [{ path: "upstreams[1].timeout", message: expect.stringMatching(/^with SLOW_TIMEOUT resolved, /) }],
    });
    expect(body).not.toContain("hunter2");
  });

  it("a route's variable unset: that route answers 503 variable_unavailable even to a valid token; the others serve", async () => {
    const warnings = await saveDocument(VALUES, { JWT_SECRET, SLOW_TIMEOUT: "5s" });
    expect(warnings.filter((warning) => warning.includes("variable"))).toEqual([
      'routes[0].auth.issuer: variable ISSUER is not set (wrangler.toml [vars], --var, or wrangler secret put); until then, requests to route "secure" fail closed with 503 variable_unavailable',
    ]);
    const vars = { JWT_SECRET, SLOW_TIMEOUT: "5s" };
    const refused = await call("/secure/echo", vars, await bearer("${ISSUER}"));
    expect(refused.status).toBe(503);
    expect(await refused.json()).toMatchObject({ error: "variable_unavailable" });
    expect((await call("/slow/echo", vars)).status).toBe(200);
    expect((await call("/plain/echo", vars)).status).toBe(200);
  });

  it("an upstream's variable unset: the routes to it answer 503 without contacting it; the others serve", async () => {
    await saveDocument(VALUES, VALUES_SET);
    const vars = { JWT_SECRET, ISSUER: "https://issuer.example" };
    const id = `vars-slow-${Date.now()}`;
    const refused = await call(`/slow/flaky/${id}/x`, vars);
    expect(refused.status).toBe(503);
    expect(await refused.json()).toMatchObject({ error: "variable_unavailable" });
    expect(await hits(id)).toBe(0);
    expect((await call("/secure/echo", vars, await bearer("https://issuer.example"))).status).toBe(200);
  });

  it("a global block's variable unset (tracing.endpoint): every route answers 503; one log line per version names path and variable, never a value", async () => {
    const errors = vi.spyOn(console, "error").mockImplementation(() => {});
    const document = { ...VALUES, tracing: { enabled: true, endpoint: "https://${COLLECTOR}/v1/traces" } };
    expect(await saveDocument(document, VALUES_SET)).toContain(
      "tracing.endpoint: variable COLLECTOR is not set (wrangler.toml [vars], --var, or wrangler secret put); until then, requests to every route fail closed with 503 variable_unavailable",
    );
    for (const path of ["/plain/echo", "/slow/echo", "/plain/echo"]) {
      const res = await call(path, VALUES_SET);
      expect(res.status).toBe(503);
      expect(await res.json()).toMatchObject({ error: "variable_unavailable" });
    }
    const lines = errors.mock.calls.map((c) => String(c[0])).filter((line) => line.includes("config_variable_unresolved"));
    expect(lines.map((line) => JSON.parse(line) as Record<string, unknown>)).toEqual([
      expect.objectContaining({ path: "tracing.endpoint", message: expect.stringContaining("COLLECTOR"), refused: "every route" }),
    ]);
    expect(lines.join()).not.toContain("issuer.example");
  });

  it("GET /admin/circuits shows a health check path resolved from a variable masked", async () => {
    const document = {
      ...VALUES,
      upstreams: [VALUES.upstreams[0], { ...VALUES.upstreams[1], health_check: { path: "/${HEALTH_PATH}", interval: "1h" } }],
    };
    const vars = { ...VALUES_SET, HEALTH_PATH: "hidden-health" };
    await saveDocument(document, vars);
    expect((await call("/plain/echo", vars)).status).toBe(200);
    const res = await admin("/circuits", { env: { ...env, ...vars } as Env });
    const body = await res.text();
    expect(res.status, body).toBe(200);
    expect(JSON.parse(body)).toMatchObject({ health_checks: [{ upstream: "slow", path: "/[value]" }] });
    expect(body).not.toContain("hidden-health");
  });

  it("the access log redacts the values of the variables the config resolved, as it does secrets'", async () => {
    const logs = vi.spyOn(console, "log").mockImplementation(() => {});
    const document = { ...VALUES, logging: { access_log: { enabled: true } } };
    const vars = { ...VALUES_SET, ISSUER: "issuer-hidden-value" };
    await saveDocument(document, vars);
    expect((await call("/plain/echo/issuer-hidden-value", vars)).status).toBe(200);
    const lines = logs.mock.calls.map((c) => String(c[0])).filter((line) => line.includes('"path"'));
    expect(lines.length).toBeGreaterThan(0);
    expect(lines.join("\n")).toContain("/plain/echo/[REDACTED]");
    expect(lines.join("\n")).not.toContain("issuer-hidden-value");
  });

  it("a value set only in the isolate's environment and invalid there: the route fails closed as if unset", async () => {
    await saveDocument(VALUES, VALUES_SET);
    const res = await call("/slow/echo", { ...VALUES_SET, SLOW_TIMEOUT: "soon" });
    expect(res.status).toBe(503);
    expect((await call("/plain/echo", { ...VALUES_SET, SLOW_TIMEOUT: "soon" })).status).toBe(200);
  });
});
