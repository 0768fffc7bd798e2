/**
 * `${VAR}` in upstream endpoints through the whole worker: the config is saved with the
 * references, warned about with the save's environment, compiled once per version by the
 * isolate with its own environment, and an upstream whose endpoint cannot be resolved answers
 * 503 variable_unavailable without being contacted, while other upstreams serve on. The
 * resolved value is never shown or logged.
 */
import { env } from "cloudflare:workers";
import { afterEach, describe, expect, it, vi } from "vitest";
import type { Env } from "../../worker/env";
import { admin, json, send } from "./admin-harness";

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

  it("resolved to an invalid endpoint: warned on save and 503, and the value appears in neither", async () => {
    const bad = { ORIGIN_HOST: "user:hunter2@origin.test", ORIGIN_BASE: "base" };
    const warnings = await save(bad);
    expect(warnings).toEqual([
      expect.stringContaining("upstreams[0].endpoints[0]: with ORIGIN_HOST, ORIGIN_BASE resolved, the endpoint is not valid"),
    ]);
    expect(warnings.join()).not.toContain("hunter2");
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
