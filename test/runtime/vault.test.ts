/**
 * The credential vault through the whole worker: the write-only admin API, its audit rows,
 * root key errors, root rotation, tenant isolation on real consumer keys, and the proof that
 * no plaintext reaches D1 (its rows, and the SQLite files on disk) or a log line.
 */
import { createExecutionContext, waitOnExecutionContext } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { afterAll, afterEach, beforeAll, describe, expect, it, vi, type MockInstance } from "vitest";
import { createApp } from "../../worker/app";
import type { Env } from "../../worker/env";
import { admin, auditRows, json, putConfig } from "./admin-harness";

const randomBytes = (n: number) => crypto.getRandomValues(new Uint8Array(n));
const hex = (bytes: Uint8Array) => [...bytes].map((byte) => byte.toString(16).padStart(2, "0")).join("");
const base64 = (bytes: Uint8Array) => btoa(String.fromCharCode(...bytes));

const ROOT_A = base64(randomBytes(32));
const ROOT_B = hex(randomBytes(32));
const vaultEnv = (extra: Record<string, unknown> = {}): Env => ({ ...env, VAULT_ROOT_KEY: ROOT_A, ...extra });

/** Unique per run, and shaped like no provider key, so only the vault's own discipline hides them. */
const TENANT_A = `tenant-a-${hex(randomBytes(4))}`;
const TENANT_B = `tenant-b-${hex(randomBytes(4))}`;
const SECRET_A = `AaPlainVaultSecret${hex(randomBytes(16))}`;
const SECRET_B = `BbPlainVaultSecret${hex(randomBytes(16))}`;
const SECRET_SHAPED = `sk-proj-${hex(randomBytes(20))}`;
const ALL_SECRETS = [SECRET_A, SECRET_B, SECRET_SHAPED];

const credentialPath = (tenant: string, provider: string) => `/tenants/${tenant}/credentials/${provider}`;
const putSecret = (tenant: string, provider: string, secret: string, envOverride: Env = vaultEnv()) =>
  admin(credentialPath(tenant, provider), { ...json("PUT", { secret }), env: envOverride });

const app = createApp();

/** A gateway request through the whole worker with `envOverride`. */
async function send(path: string, headers: Record<string, string>, envOverride: Env = vaultEnv()): Promise<Response> {
  const ctx = createExecutionContext();
  const response = await app.fetch(new Request(`http://gw.test${path}`, { headers }), envOverride, ctx);
  await waitOnExecutionContext(ctx);
  return response;
}

/** Every console line of the file, set-up hooks included; checked after each test for the secrets. */
let logs: MockInstance[];
const logged = () => logs.flatMap((spy) => spy.mock.calls.map((args) => args.map(String).join(" "))).join("\n");
const expectNoSecretLogged = () => {
  const text = logged();
  for (const secret of ALL_SECRETS) expect(text, "a log line holds a secret").not.toContain(secret);
};

beforeAll(() => {
  logs = (["log", "info", "warn", "error", "debug"] as const).map((method) => vi.spyOn(console, method).mockImplementation(() => {}));
});
afterEach(expectNoSecretLogged);
afterAll(() => {
  expectNoSecretLogged();
  vi.restoreAllMocks();
});

describe("the admin API", () => {
  it("stores a credential (201), answers metadata only, and replaces it (200) with the next key version", async () => {
    const created = await putSecret(TENANT_A, "openai", SECRET_A);
    expect(created.status).toBe(201);
    expect(created.headers.get("Location")).toBe(`/admin${credentialPath(TENANT_A, "openai")}`);
    expect(created.headers.get("Cache-Control")).toBe("no-store");
    const text = await created.text();
    expect(text).not.toContain(SECRET_A);
    const info = JSON.parse(text);
    expect(info).toEqual({
      tenant: TENANT_A,
      provider: "openai",
      key_version: 1,
      root_key_id: expect.stringMatching(/^[0-9a-f]{16}$/),
      created_at: expect.any(String),
      rotated_at: null,
      last4: SECRET_A.slice(-4),
    });

    const replaced = await putSecret(TENANT_A, "openai", SECRET_SHAPED);
    expect(replaced.status).toBe(200);
    const again = await replaced.json<Record<string, unknown>>();
    expect(again).toMatchObject({
      key_version: 2,
      created_at: info.created_at,
      rotated_at: expect.any(String),
      last4: SECRET_SHAPED.slice(-4),
    });

    await putSecret(TENANT_A, "openai", SECRET_A);
    const read = await admin(credentialPath(TENANT_A, "openai"));
    expect(read.status).toBe(200);
    expect(await read.json()).toMatchObject({ provider: "openai", key_version: 3 });
  });

  it("lists a tenant's credentials and reads one, never with a secret; 404 for what is not stored", async () => {
    await putSecret(TENANT_A, "github", SECRET_B);
    await putSecret(TENANT_B, "openai", SECRET_B);
    const list = await admin(`/tenants/${TENANT_A}/credentials`);
    const text = await list.text();
    for (const secret of ALL_SECRETS) expect(text).not.toContain(secret);
    const body = JSON.parse(text) as { tenant: string; credentials: { provider: string }[] };
    expect(body.tenant).toBe(TENANT_A);
    expect(body.credentials.map((c) => c.provider)).toEqual(["github", "openai"]);
    expect(Object.keys(body.credentials[0]!).sort()).toEqual([
      "created_at",
      "key_version",
      "last4",
      "provider",
      "root_key_id",
      "rotated_at",
      "tenant",
    ]);

    expect((await admin(credentialPath(TENANT_A, "voyage"))).status).toBe(404);
    expect(await (await admin("/tenants/nobody/credentials")).json()).toEqual({ tenant: "nobody", credentials: [] });
  });

  it("keeps no last4 for a short secret", async () => {
    const res = await putSecret(TENANT_B, "brave", "short-key-12");
    expect(await res.json()).toMatchObject({ last4: null });
  });

  it("deletes a credential (then 404), and audits every change without the secret", async () => {
    const before = (await auditRows("event = 'credential_change'")).length;
    await putSecret(TENANT_B, "voyage", SECRET_A);
    const deleted = await admin(credentialPath(TENANT_B, "voyage"), { method: "DELETE" });
    expect(deleted.status).toBe(200);
    expect(await deleted.json()).toEqual({ tenant: TENANT_B, provider: "voyage", deleted: true });
    expect((await admin(credentialPath(TENANT_B, "voyage"), { method: "DELETE" })).status).toBe(404);
    expect((await admin(credentialPath(TENANT_B, "voyage"))).status).toBe(404);

    const rows = await auditRows("event = 'credential_change'");
    expect(rows.length).toBe(before + 2);
    const [put, del] = rows.slice(-2);
    expect(put).toMatchObject({ actor: "token", action: "credential_create", target: `tenants/${TENANT_B}/credentials/voyage` });
    expect(JSON.parse(put!.details)).toEqual({
      tenant: TENANT_B,
      provider: "voyage",
      version: 1,
      root_id: expect.stringMatching(/^[0-9a-f]{16}$/),
    });
    expect(del).toMatchObject({ action: "credential_delete", target: `tenants/${TENANT_B}/credentials/voyage` });
    for (const row of await auditRows()) for (const secret of ALL_SECRETS) expect(JSON.stringify(row)).not.toContain(secret);
  });

  it.each([
    ["a tenant that is no identifier", "/tenants/-bad/credentials/openai", 400, "invalid_tenant"],
    ["an upper-case provider", "/tenants/acme/credentials/OpenAI", 400, "invalid_provider"],
    ["a provider with a dot", "/tenants/acme/credentials/open.ai", 400, "invalid_provider"],
    ["a key pasted as the provider", "/tenants/acme/credentials/sk-proj-abcdefghijklmnopqrstuv", 400, "invalid_provider"],
  ])("refuses %s", async (_name, path, status, code) => {
    const res = await admin(path, { ...json("PUT", { secret: SECRET_A }), env: vaultEnv() });
    expect(res.status).toBe(status);
    expect(await res.json()).toMatchObject({ error: code });
  });

  it.each([
    ["not JSON", "text/plain", SECRET_A, 415, "unsupported_media_type"],
    ["broken JSON", "application/json", `{"secret": "${SECRET_A}"`, 400, "invalid_credential"],
    ["no secret", "application/json", JSON.stringify({ key: SECRET_A }), 400, "invalid_credential"],
    ["extra fields", "application/json", JSON.stringify({ secret: SECRET_A, note: SECRET_B }), 400, "invalid_credential"],
    ["a secret that is no string", "application/json", JSON.stringify({ secret: 12345678 }), 400, "invalid_credential"],
    ["an empty secret", "application/json", JSON.stringify({ secret: "" }), 400, "invalid_credential"],
    ["a secret with a line break", "application/json", JSON.stringify({ secret: `${SECRET_A}\r\nX-Evil: 1` }), 400, "invalid_credential"],
    ["a secret with a space", "application/json", JSON.stringify({ secret: `Bearer ${SECRET_A}` }), 400, "invalid_credential"],
    ["a non-ASCII secret", "application/json", JSON.stringify({ secret: `${SECRET_A}é` }), 400, "invalid_credential"],
    ["a body over 16 KiB", "application/json", JSON.stringify({ secret: SECRET_A, pad: "x".repeat(17_000) }), 413, "payload_too_large"],
  ])("refuses a PUT body with %s, never echoing it", async (_name, type, body, status, code) => {
    const res = await admin(credentialPath(TENANT_B, "refused"), {
      method: "PUT",
      headers: { "Content-Type": type },
      body,
      env: vaultEnv(),
    });
    expect(res.status).toBe(status);
    const text = await res.text();
    expect(JSON.parse(text)).toMatchObject({ error: code });
    for (const secret of ALL_SECRETS) expect(text).not.toContain(secret);
    expect((await admin(credentialPath(TENANT_B, "refused"))).status).toBe(404);
  });

  it("needs the admin credentials like every admin path", async () => {
    expect((await admin(credentialPath(TENANT_A, "openai"), { auth: null })).status).toBe(401);
    expect(
      (await admin(credentialPath(TENANT_A, "openai"), { ...json("PUT", { secret: SECRET_A }), auth: "Bearer wrong", env: vaultEnv() }))
        .status,
    ).toBe(401);
  });
});

describe("the root key", () => {
  it.each([
    ["unset", undefined, "VAULT_ROOT_KEY is not set"],
    ["too short", base64(randomBytes(16)), "VAULT_ROOT_KEY holds 16 bytes; at least 32"],
    ["not base64 or hex", "my vault password!", "VAULT_ROOT_KEY is neither base64 nor hex"],
  ])(
    "refuses every vault change when VAULT_ROOT_KEY is %s: 503 vault_unavailable naming it, nothing stored",
    async (_name, value, message) => {
      const before = (await auditRows()).length;
      const res = await putSecret(TENANT_B, "refused", SECRET_A, vaultEnv({ VAULT_ROOT_KEY: value }));
      expect(res.status).toBe(503);
      const body = await res.json<{ error: string; message: string; variable: string }>();
      expect(body).toMatchObject({ error: "vault_unavailable", variable: "VAULT_ROOT_KEY" });
      expect(body.message).toContain(message);
      if (value) expect(body.message).not.toContain(value);
      expect((await auditRows()).length).toBe(before);
      expect((await admin(credentialPath(TENANT_B, "refused"))).status).toBe(404);
    },
  );

  it("names VAULT_ROOT_KEY_PREVIOUS when that one is unusable", async () => {
    const res = await admin("/vault", { env: vaultEnv({ VAULT_ROOT_KEY_PREVIOUS: "abc" }) });
    expect(res.status).toBe(503);
    expect(await res.json()).toMatchObject({ error: "vault_unavailable", variable: "VAULT_ROOT_KEY_PREVIOUS" });
  });

  it("reads metadata without the root key (nothing is decrypted)", async () => {
    await putSecret(TENANT_A, "openai", SECRET_A);
    expect((await admin(credentialPath(TENANT_A, "openai"), { env: vaultEnv({ VAULT_ROOT_KEY: undefined }) })).status).toBe(200);
  });

  it("refuses changes when the audit log cannot be written (503), storing nothing", async () => {
    const broken = new Proxy(env.DB, {
      get(target, property) {
        if (property === "prepare") {
          return (sql: string) => {
            if (/audit_log/.test(sql) && /INSERT/.test(sql)) throw new Error("D1_ERROR: audit log unavailable (test)");
            return target.prepare(sql);
          };
        }
        return Reflect.get(target, property);
      },
    });
    const res = await putSecret(TENANT_B, "audited", SECRET_A, vaultEnv({ DB: broken }));
    expect(res.status).toBe(503);
    expect(await res.json()).toMatchObject({ error: "audit_unavailable" });
    expect((await admin(credentialPath(TENANT_B, "audited"))).status).toBe(404);
  });
});

describe("root key rotation", () => {
  const tenants = ["rot-1", "rot-2", "rot-3"];
  const secretOf = (tenant: string) => `${tenant}PlainSecret${hex(randomBytes(8))}`;
  const secrets = new Map(tenants.map((tenant) => [tenant, secretOf(tenant)]));
  const during = () => vaultEnv({ VAULT_ROOT_KEY: ROOT_B, VAULT_ROOT_KEY_PREVIOUS: ROOT_A });
  const rotate = (body: unknown, envOverride: Env = during()) =>
    admin("/vault/rotate", body === undefined ? { method: "POST", env: envOverride } : { ...json("POST", body), env: envOverride });

  beforeAll(async () => {
    await env.DB.prepare("DELETE FROM credentials").run();
    for (const tenant of tenants) expect((await putSecret(tenant, "openai", secrets.get(tenant)!)).status).toBe(201);
  });

  afterAll(() => ALL_SECRETS.push(...secrets.values()));

  it("re-encrypts in batches, resumes after a failure, skips what is done, and audits each batch", async () => {
    const rootA = (await (await admin("/vault", { env: vaultEnv() })).json<{ root_key_id: string }>()).root_key_id;
    const status = await (await admin("/vault", { env: during() })).json<Record<string, unknown>>();
    expect(status).toMatchObject({
      previous_root_key_id: rootA,
      credentials: 3,
      pending_rotation: 3,
      by_root: [{ root_key_id: rootA, credentials: 3 }],
    });
    const rootB = status.root_key_id as string;
    expect(rootB).not.toBe(rootA);

    // Writes during the rotation go under the new root at once.
    secrets.set("rot-1/github", secretOf("rot-1"));
    const rewritten = await putSecret("rot-1", "github", secrets.get("rot-1/github")!, during());
    expect(await rewritten.json()).toMatchObject({ root_key_id: rootB });

    const auditedBefore = (await auditRows("action = 'credential_reencrypt'")).length;
    const first = await rotate({ batch_size: 1 });
    expect(first.status).toBe(200);
    expect(await first.json()).toEqual({ rotated: 1, remaining: 2, done: false, root_key_id: rootB });

    // Interrupted: this batch cannot be audited, so nothing of it is written.
    const broken = new Proxy(env.DB, {
      get(target, property) {
        if (property === "prepare") {
          return (sql: string) => {
            if (/INSERT INTO audit_log/.test(sql)) throw new Error("D1_ERROR: audit log unavailable (test)");
            return target.prepare(sql);
          };
        }
        return Reflect.get(target, property);
      },
    });
    const failed = await rotate({ batch_size: 1 }, { ...during(), DB: broken });
    expect(failed.status).toBe(503);

    // Resumed: the row already under the new root is skipped.
    expect(await (await rotate({ batch_size: 1 })).json()).toEqual({ rotated: 1, remaining: 1, done: false, root_key_id: rootB });
    expect(await (await rotate(undefined)).json()).toEqual({ rotated: 1, remaining: 0, done: true, root_key_id: rootB });
    expect(await (await rotate({})).json()).toEqual({ rotated: 0, remaining: 0, done: true, root_key_id: rootB });

    const audited = (await auditRows("action = 'credential_reencrypt'")).slice(auditedBefore);
    expect(audited).toHaveLength(3);
    expect(audited.map((row) => JSON.parse(row.details))).toEqual(
      tenants.map((tenant) => ({ to_root: rootB, from_roots: [rootA], rows: [`${tenant}/openai`] })),
    );

    // The metadata is unchanged; only the root moved.
    const info = await (await admin(credentialPath("rot-2", "openai"))).json<Record<string, unknown>>();
    expect(info).toMatchObject({ key_version: 1, rotated_at: null, root_key_id: rootB });
    expect(await (await admin("/vault", { env: during() })).json()).toMatchObject({ pending_rotation: 0 });
  });

  it("refuses bad rotation bodies", async () => {
    for (const body of [{ batch_size: 0 }, { batch_size: 101 }, { batch_size: "5" }, { size: 5 }]) {
      const res = await rotate(body);
      expect(res.status, JSON.stringify(body)).toBe(400);
    }
    const res = await admin("/vault/rotate", { method: "POST", headers: { "Content-Type": "application/json" }, body: "{", env: during() });
    expect(res.status).toBe(400);
  });

  it("stops with 409 naming a row no configured root can decrypt, before writing anything of the batch", async () => {
    // Rows under B; B is now gone and C is the root, without a previous one.
    const res = await rotate({ batch_size: 10 }, vaultEnv({ VAULT_ROOT_KEY: base64(randomBytes(32)) }));
    expect(res.status).toBe(409);
    expect(await res.json()).toMatchObject({ error: "rotation_blocked", tenant: "rot-1", provider: "github", reason: "unknown_root_key" });
  });
});

describe("in the request path, with consumers of the admin API", () => {
  const config = {
    middleware: { auth: { type: "api_key" } },
    routes: [
      { id: "llm", path: "/llm/*", upstream: "origin", strip_prefix: true, credential: "openai" },
      {
        id: "gh",
        path: "/gh/*",
        upstream: "origin",
        strip_prefix: true,
        credential: { provider: "github", header: "X-Upstream-Token", format: "token {secret}" },
      },
      { id: "open", path: "/open/*", upstream: "origin", strip_prefix: true, auth: "none", credential: "openai" },
    ],
    upstreams: [{ name: "origin", endpoints: ["https://origin.test"] }],
    logging: { access_log: { enabled: true, fields: ["request_id", "method", "path", "query", "status", "route", "upstream"] } },
  };
  const keys: Record<string, string> = {};

  async function consumerKey(id: string, tenant: string): Promise<string> {
    const created = await admin("/consumers", json("POST", { id, tenant }));
    expect(created.status, await created.clone().text()).toBe(201);
    const issued = await admin(`/consumers/${id}/keys`, { method: "POST" });
    expect(issued.status).toBe(201);
    return (await issued.json<{ key: string }>()).key;
  }

  beforeAll(async () => {
    await putConfig(config);
    keys.a = await consumerKey("app-a", TENANT_A);
    keys.b = await consumerKey("app-b", TENANT_B);
    keys.c = await consumerKey("app-c", `tenant-c-${hex(randomBytes(4))}`);
    expect((await putSecret(TENANT_A, "openai", SECRET_A)).status).toBeLessThan(300);
    expect((await putSecret(TENANT_B, "openai", SECRET_B)).status).toBeLessThan(300);
    expect((await putSecret(TENANT_A, "github", SECRET_SHAPED)).status).toBeLessThan(300);
  });

  it("injects the calling consumer's tenant's credential, and only for the upstream", async () => {
    const res = await send("/llm/echo", { "X-API-Key": keys.a!, Authorization: "Bearer from-the-client" });
    expect(res.status).toBe(200);
    const echo = await res.json<{ headers: Record<string, string> }>();
    expect(echo.headers.authorization).toBe(`Bearer ${SECRET_A}`);
    expect(echo.headers).not.toHaveProperty("x-api-key");
    expect(
      (await send("/llm/echo", { "X-API-Key": keys.b! }).then((r) => r.json<{ headers: Record<string, string> }>())).headers.authorization,
    ).toBe(`Bearer ${SECRET_B}`);
  });

  it("never lends a tenant's key to another tenant's consumer", async () => {
    const res = await send("/llm/echo", { "X-API-Key": keys.c! });
    expect(res.status).toBe(403);
    const text = await res.text();
    expect(JSON.parse(text)).toMatchObject({ error: "credential_missing", provider: "openai" });
    for (const secret of ALL_SECRETS) expect(text).not.toContain(secret);
    // Only TENANT_A stored a github credential.
    expect((await send("/gh/echo", { "X-API-Key": keys.b! })).status).toBe(403);
    const echo = await (await send("/gh/echo", { "X-API-Key": keys.a! })).json<{ headers: Record<string, string> }>();
    expect(echo.headers["x-upstream-token"]).toBe(`token ${SECRET_SHAPED}`);
  });

  it("fails closed without a tenant: no authentication, or a wrong key", async () => {
    const open = await send("/open/echo", {});
    expect(open.status).toBe(403);
    expect(await open.json()).toMatchObject({ error: "tenant_required" });
    expect((await send("/llm/echo", { "X-API-Key": "lk_not-a-key" })).status).toBe(401);
  });
});

describe("no plaintext at rest", () => {
  interface Table {
    name: string;
  }

  it("holds no secret in any column of any table, in any encoding", async () => {
    const { results: tables } = await env.DB.prepare(
      "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' AND name NOT LIKE '_cf_%'",
    ).all<Table>();
    expect(tables.map((table) => table.name)).toEqual(expect.arrayContaining(["audit_log", "credentials", "consumers"]));
    const encodings = ALL_SECRETS.flatMap((secret) => [
      secret,
      base64(new TextEncoder().encode(secret)),
      hex(new TextEncoder().encode(secret)),
    ]);
    let credentialRows = 0;
    for (const { name } of tables) {
      const { results } = await env.DB.prepare(`SELECT * FROM "${name}"`).all<Record<string, unknown>>();
      if (name === "credentials") credentialRows = results.length;
      for (const row of results) {
        for (const [column, value] of Object.entries(row)) {
          // BLOBs come back as bytes: searched as Latin-1 text (the secrets are ASCII).
          const text =
            value instanceof ArrayBuffer || Array.isArray(value)
              ? String.fromCharCode(...new Uint8Array(value as ArrayBuffer))
              : String(value);
          for (const encoded of encodings) expect(text.includes(encoded), `${name}.${column}`).toBe(false);
        }
      }
    }
    expect(credentialRows).toBeGreaterThan(3);
  });

  it("holds no secret in the SQLite files on disk either", async () => {
    const res = await fetch("http://d1-files.test/search", {
      method: "POST",
      body: JSON.stringify({ needles: [TENANT_A, ...ALL_SECRETS] }),
    });
    const { files, found } = await res.json<{ files: number; found: number[] }>();
    expect(files).toBeGreaterThan(0);
    // The search reads this file's database: a value stored in clear (the tenant's name) is found.
    expect(found[0]).toBeGreaterThan(0);
    expect(found.slice(1)).toEqual(ALL_SECRETS.map(() => 0));
  });
});
