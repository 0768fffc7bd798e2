/**
 * The vault in the request path: a small gateway (route match → a stand-in for authentication
 * that sets the tenant → credentialInjection → the real proxy) against the fake origin, which
 * echoes what it received (test/support/fake-origin.ts), and the real D1 database.
 */
import { env } from "cloudflare:workers";
import { Hono, type MiddlewareHandler } from "hono";
import { afterEach, beforeAll, beforeEach, describe, expect, it, vi, type MockInstance } from "vitest";
import { routeSchema, upstreamSchema } from "../config/schema";
import type { ChangeAuthor } from "../config/store";
import type { AppEnv, Env } from "../env";
import { errorHandler } from "../gateway/error-handler";
import { proxy } from "../gateway/proxy";
import { compileRouter, routeMatch } from "../gateway/router";
import { log } from "../observability/logger";
import { credentialInjection } from "./inject";
import { putCredential } from "./store";

const randomRoot = () => btoa(String.fromCharCode(...crypto.getRandomValues(new Uint8Array(32))));
const ROOT = randomRoot();
const vaultEnv = (extra: Record<string, unknown> = {}): Env => ({ ...env, VAULT_ROOT_KEY: ROOT, ...extra });
const author: ChangeAuthor = { actor: "token", ip: "192.0.2.1", userAgent: "test", requestId: "seed" };

// Shapes no redaction pattern knows: a leak would show verbatim.
const ACME_OPENAI = "acme0penaiSecret-9f8e7d6c5b4a39281706";
const GLOBEX_OPENAI = "gl0bexOpenaiSecret-0a1b2c3d4e5f60718293";
const ACME_GITHUB = "acmeGithubSecret_$&$'$1_ffeeddccbbaa";

const routes = [
  { id: "llm", path: "/llm/*", credential: "openai" },
  { id: "gh", path: "/gh/*", credential: { provider: "github", header: "X-Upstream-Token", format: "token {secret};v=1" } },
  { id: "plain", path: "/plain/*" },
].map((route) => routeSchema.parse({ upstream: "origin", strip_prefix: true, ...route }));
const upstreams = [upstreamSchema.parse({ name: "origin", endpoints: ["https://origin.test"] })];

/** What the stand-in authentication admits: the tenant named in X-Test-Tenant, if any. */
const fakeAuth: MiddlewareHandler<AppEnv> = async (c, next) => {
  const tenant = c.req.header("X-Test-Tenant");
  if (tenant) c.set("tenant", tenant);
  await next();
};

const leftovers: unknown[] = [];

function gateway() {
  const app = new Hono<AppEnv>();
  app.onError(errorHandler(log.error));
  app.use(async (c, next) => {
    c.set("requestId", "req-vault");
    c.set("clientIp", "203.0.113.7");
    await next();
    // What the request context still holds once the response is ready: no plaintext.
    leftovers.push(c.var.upstreamHeaders);
  });
  app.use(routeMatch(compileRouter(routes)));
  app.use(fakeAuth);
  app.use(credentialInjection({ routes }));
  // As compiled for a config whose auth reads Authorization (a JWT) and X-API-Key.
  app.use(proxy(upstreams, { credentialHeaders: ["authorization", "x-api-key"] }));
  return app;
}

interface Echo {
  url: string;
  headers: Record<string, string>;
}

async function call(path: string, headers: Record<string, string> = {}, envOverride: Env = vaultEnv()) {
  return gateway().request(`https://gw.test${path}`, { headers }, envOverride);
}

let logs: MockInstance[];
const logged = () => logs.flatMap((spy) => spy.mock.calls.map((args) => args.map(String).join(" "))).join("\n");

beforeAll(async () => {
  await putCredential(vaultEnv(), author, "acme", "openai", ACME_OPENAI);
  await putCredential(vaultEnv(), author, "globex", "openai", GLOBEX_OPENAI);
  await putCredential(vaultEnv(), author, "acme", "github", ACME_GITHUB);
});

beforeEach(() => {
  leftovers.length = 0;
  logs = (["log", "info", "warn", "error", "debug"] as const).map((method) => vi.spyOn(console, method).mockImplementation(() => {}));
});

afterEach(() => {
  const text = logged();
  for (const secret of [ACME_OPENAI, GLOBEX_OPENAI, ACME_GITHUB]) expect(text).not.toContain(secret);
  vi.restoreAllMocks();
});

describe("credentialInjection", () => {
  it("sends the tenant's secret to the upstream as Authorization: Bearer, replacing the client's own", async () => {
    const res = await call("/llm/echo", { "X-Test-Tenant": "acme", Authorization: "Bearer client-jwt", "X-API-Key": "client-key" });
    expect(res.status).toBe(200);
    const echo = await res.json<Echo>();
    expect(echo.url).toBe("https://origin.test/echo");
    expect(echo.headers.authorization).toBe(`Bearer ${ACME_OPENAI}`);
    expect(echo.headers).not.toHaveProperty("x-api-key");
    expect(JSON.stringify(echo)).not.toContain("client-jwt");
    expect(leftovers).toEqual([undefined]);
  });

  it("uses the configured header and format, keeping $-patterns in the secret literal", async () => {
    const echo = await (await call("/gh/echo", { "X-Test-Tenant": "acme", "X-Upstream-Token": "forged" })).json<Echo>();
    expect(echo.headers["x-upstream-token"]).toBe(`token ${ACME_GITHUB};v=1`);
    expect(echo.headers).not.toHaveProperty("authorization");
  });

  it("isolates tenants: each caller's tenant gets its own key, and never another tenant's", async () => {
    const globex = await (await call("/llm/echo", { "X-Test-Tenant": "globex" })).json<Echo>();
    expect(globex.headers.authorization).toBe(`Bearer ${GLOBEX_OPENAI}`);

    // globex stored no github credential; acme's is never a fallback.
    const res = await call("/gh/echo", { "X-Test-Tenant": "globex" });
    expect(res.status).toBe(403);
    const body = await res.text();
    expect(JSON.parse(body)).toMatchObject({ error: "credential_missing", provider: "github" });
    expect(body).not.toContain(ACME_GITHUB);
  });

  it("refuses a caller without a tenant (403), before reading any credential", async () => {
    const res = await call("/llm/echo", { Authorization: "Bearer client-jwt" });
    expect(res.status).toBe(403);
    expect(await res.json()).toMatchObject({ error: "tenant_required" });
  });

  it("leaves routes without a credential alone, and needs no vault for them", async () => {
    const echo = await (await call("/plain/echo", { "X-Test-Tenant": "acme" }, { ...env, VAULT_ROOT_KEY: undefined })).json<Echo>();
    expect(echo.headers).not.toHaveProperty("authorization");
  });

  it("refuses a ciphertext swapped in from another tenant's row, never forwarding anything", async () => {
    await putCredential(vaultEnv(), author, "initech", "openai", "initechOpenaiSecret-1234567890abcdef");
    await env.DB.prepare(
      `UPDATE credentials SET (ciphertext, iv, key_version) = (SELECT ciphertext, iv, key_version FROM credentials WHERE tenant = 'globex' AND provider = 'openai')
       WHERE tenant = 'initech' AND provider = 'openai'`,
    ).run();
    const res = await call("/llm/echo", { "X-Test-Tenant": "initech" });
    expect(res.status).toBe(503);
    const body = await res.text();
    expect(JSON.parse(body)).toMatchObject({ error: "credential_unavailable" });
    expect(body).not.toContain(GLOBEX_OPENAI);
    expect(logged()).toContain('"reason":"integrity_check_failed"');
  });

  it("answers 503 vault_unavailable when the root key is missing or unusable, telling the operator which in the log only", async () => {
    for (const value of [undefined, "c2hvcnQ="]) {
      const res = await call("/llm/echo", { "X-Test-Tenant": "acme" }, vaultEnv({ VAULT_ROOT_KEY: value }));
      expect(res.status).toBe(503);
      const body = await res.json<{ error: string; message: string }>();
      expect(body.error).toBe("vault_unavailable");
      expect(body.message).not.toContain("VAULT_ROOT_KEY");
    }
    expect(logged()).toMatch(/"event":"vault_unavailable","request_id":"req-vault","variable":"VAULT_ROOT_KEY","problem":"is not set/);
    expect(logged()).toMatch(/"variable":"VAULT_ROOT_KEY","problem":"holds 5 bytes/);
    expect(logged()).not.toContain("c2hvcnQ=");
  });

  it("answers 503 credential_unavailable under a wrong root, and works again with the old root as VAULT_ROOT_KEY_PREVIOUS", async () => {
    const rotated = vaultEnv({ VAULT_ROOT_KEY: randomRoot() });
    const res = await call("/llm/echo", { "X-Test-Tenant": "acme" }, rotated);
    expect(res.status).toBe(503);
    expect(await res.json()).toMatchObject({ error: "credential_unavailable" });
    expect(logged()).toContain('"reason":"unknown_root_key"');

    const echo = await (await call("/llm/echo", { "X-Test-Tenant": "acme" }, { ...rotated, VAULT_ROOT_KEY_PREVIOUS: ROOT })).json<Echo>();
    expect(echo.headers.authorization).toBe(`Bearer ${ACME_OPENAI}`);
  });

  it("reads the credential again on every request: a deleted one stops at once", async () => {
    await putCredential(vaultEnv(), author, "hooli", "openai", "hooliOpenaiSecret-aaaaaaaaaaaaaaaa");
    expect((await call("/llm/echo", { "X-Test-Tenant": "hooli" })).status).toBe(200);
    await env.DB.prepare("DELETE FROM credentials WHERE tenant = 'hooli'").run();
    expect((await call("/llm/echo", { "X-Test-Tenant": "hooli" })).status).toBe(403);
  });
});
