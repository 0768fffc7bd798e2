/**
 * Consumers and their API keys through the whole worker: the admin API issues keys (shown
 * once, stored as SHA-256), the gateway admits them on api_key routes with the consumer and
 * tenant passed upstream, and revocation, disabling, allowed_routes, rotation, audit rows and
 * a D1 outage behave as documented (README "Consumers and API keys", storage-schema.md).
 */
import { env } from "cloudflare:workers";
import { afterEach, beforeAll, describe, expect, it, vi } from "vitest";
import { forgetConsumerKeys, KEY_CACHE_TTL_MS } from "../../worker/consumers/lookup";
import type { Env } from "../../worker/env";
import { admin, auditRows, envWithBrokenDb, json, putConfig, send } from "./admin-harness";

const config = {
  middleware: {
    auth: { type: "api_key", keys: ["${DEMO_API_KEY}"], consumer_headers: { consumer: "X-Consumer-Id", tenant: "X-Tenant-Id" } },
  },
  routes: [
    { id: "orders", path: "/orders/*", upstream: "origin" },
    { id: "billing", path: "/billing/*", upstream: "origin" },
    { id: "public", path: "/public/*", upstream: "origin", auth: "none" },
  ],
  upstreams: [{ name: "origin", endpoints: ["https://origin.test"] }],
};

interface Echo {
  url: string;
  headers: Record<string, string>;
}

interface KeyInfo {
  key_id: string;
  consumer_id: string;
  prefix: string;
  last4: string;
  created_at: string;
  revoked_at: string | null;
  rotated_from: string | null;
  status: "active" | "expiring" | "revoked";
}

type Issued = KeyInfo & { key: string };

const KEY_FORMAT = /^lk_[A-Za-z0-9_-]{43}$/;

async function sha256Hex(text: string): Promise<string> {
  const digest = await crypto.subtle.digest("SHA-256", new TextEncoder().encode(text));
  return [...new Uint8Array(digest)].map((byte) => byte.toString(16).padStart(2, "0")).join("");
}

async function createConsumer(body: Record<string, unknown>): Promise<Response> {
  return admin("/consumers", json("POST", body));
}

async function consumerWithKey(id: string, extra: Record<string, unknown> = {}): Promise<Issued> {
  const created = await createConsumer({ id, tenant: `${id}-tenant`, ...extra });
  expect(created.status, await created.clone().text()).toBe(201);
  return issueKey(id);
}

async function issueKey(id: string): Promise<Issued> {
  const res = await admin(`/consumers/${id}/keys`, { method: "POST" });
  expect(res.status, await res.clone().text()).toBe(201);
  return res.json<Issued>();
}

const withKey = (key: string, headers: Record<string, string> = {}) => ({ headers: { "X-API-Key": key, ...headers } });

/** Every row of the tables that could hold a key, as one string. */
async function everythingStored(): Promise<string> {
  const tables = await Promise.all(
    ["consumers", "consumer_keys", "audit_log"].map((table) => env.DB.prepare(`SELECT * FROM ${table}`).all()),
  );
  return JSON.stringify(tables.map((table) => table.results));
}

/** An env whose D1 binding fails only statements that touch `table`. */
function envWithBrokenTable(table: string): Env {
  const broken = new Proxy(env.DB, {
    get(target, property) {
      if (property === "prepare") {
        return (sql: string) => {
          if (sql.includes(table)) throw new Error(`D1_ERROR: ${table} unavailable (test)`);
          return target.prepare(sql);
        };
      }
      return Reflect.get(target, property);
    },
  });
  return { ...env, DB: broken };
}

beforeAll(async () => {
  await putConfig(config);
});

afterEach(() => {
  vi.useRealTimers();
  vi.restoreAllMocks();
});

describe("POST /consumers", () => {
  it("creates a consumer, answers 201 with Location, and lists and reads it", async () => {
    const res = await createConsumer({
      id: "acme",
      tenant: "acme-corp",
      rate_limit: { requests_per_second: 5, burst: 10 },
      allowed_routes: ["orders", "later"],
      allowed_models: ["gpt-4o-mini", "@cf/meta/llama-3-8b-instruct"],
    });
    expect(res.status).toBe(201);
    expect(res.headers.get("Location")).toBe("/admin/consumers/acme");
    expect(res.headers.get("Cache-Control")).toBe("no-store");
    const body = await res.json<Record<string, unknown>>();
    expect(body).toEqual({
      id: "acme",
      tenant: "acme-corp",
      rate_limit: { requests_per_second: 5, burst: 10 },
      allowed_routes: ["orders", "later"],
      allowed_models: ["gpt-4o-mini", "@cf/meta/llama-3-8b-instruct"],
      created_at: expect.stringMatching(/^\d{4}-\d\d-\d\dT/),
      disabled: false,
      disabled_at: null,
      warnings: [expect.stringContaining('route "later" is not in the config in force')],
    });
    const { warnings: _warnings, ...consumer } = body;
    expect(await (await admin("/consumers/acme")).json()).toEqual(consumer);
    const list = await (await admin("/consumers")).json<{ consumers: { id: string }[] }>();
    expect(list.consumers.map((item) => item.id)).toContain("acme");
  });

  it("accepts YAML", async () => {
    const res = await admin("/consumers", {
      method: "POST",
      headers: { "Content-Type": "application/yaml" },
      body: "id: yaml-app\ntenant: t1\n",
    });
    expect(res.status).toBe(201);
    expect(await res.json()).toMatchObject({ allowed_routes: null, allowed_models: null });
  });

  it("refuses a duplicate id with 409, disabled consumers included", async () => {
    expect((await createConsumer({ id: "dup", tenant: "t" })).status).toBe(201);
    const again = await createConsumer({ id: "dup", tenant: "other" });
    expect(again.status).toBe(409);
    expect(await again.json()).toMatchObject({ error: "consumer_exists" });
    expect((await admin("/consumers/dup", { method: "DELETE" })).status).toBe(200);
    expect((await createConsumer({ id: "dup", tenant: "t" })).status).toBe(409);
    expect(await (await admin("/consumers/dup")).json()).toMatchObject({ tenant: "t", disabled: true });
  });

  it.each([
    ["no tenant", { id: "x1" }, "tenant"],
    ["a bad id", { id: "no spaces", tenant: "t" }, "id"],
    ["an id too long", { id: "a".repeat(65), tenant: "t" }, "id"],
    ["an unknown field", { id: "x2", tenant: "t", key: "mine" }, "(root)"],
    ["burst without a rate", { id: "x3", tenant: "t", rate_limit: { burst: 5 } }, "rate_limit.burst"],
    ["a negative rate", { id: "x4", tenant: "t", rate_limit: { requests_per_second: -1 } }, "rate_limit.requests_per_second"],
    ["no allowed route", { id: "x5", tenant: "t", allowed_routes: [] }, "allowed_routes"],
    ["a route twice", { id: "x6", tenant: "t", allowed_routes: ["orders", "orders"] }, "allowed_routes"],
    ["no allowed model", { id: "x7", tenant: "t", allowed_models: [] }, "allowed_models"],
    ["a model twice", { id: "x8", tenant: "t", allowed_models: ["gpt-4o", "gpt-4o"] }, "allowed_models"],
    ["an empty model name", { id: "x9", tenant: "t", allowed_models: ["gpt-4o", ""] }, "allowed_models[1]"],
    ["a model name too long", { id: "x10", tenant: "t", allowed_models: ["m".repeat(257)] }, "allowed_models[0]"],
    ["a model name with a control character", { id: "x11", tenant: "t", allowed_models: ["gpt-4o\n"] }, "allowed_models[0]"],
    ["a model name with a zero-width space", { id: "x12", tenant: "t", allowed_models: ["gpt\u200b-4o"] }, "allowed_models[0]"],
    ["too many models", { id: "x13", tenant: "t", allowed_models: Array.from({ length: 1001 }, (_, i) => `m${i}`) }, "allowed_models"],
    ["a model that is not a string", { id: "x14", tenant: "t", allowed_models: [4] }, "allowed_models[0]"],
  ])("refuses %s with 400 and the issues", async (_name, body, path) => {
    const res = await createConsumer(body);
    expect(res.status).toBe(400);
    const answer = await res.json<{ error: string; issues: { path: string; message: string }[] }>();
    expect(answer.error).toBe("invalid_consumer");
    expect(answer.issues.map((issue) => issue.path)).toContain(path);
    expect((await admin(`/consumers/${(body as { id: string }).id}`)).status).toBe(404);
  });

  it("refuses a body that is not JSON, or not an object", async () => {
    const broken = await admin("/consumers", { method: "POST", headers: { "Content-Type": "application/json" }, body: "{" });
    expect(broken.status).toBe(400);
    expect(await broken.json()).toMatchObject({ error: "invalid_consumer" });
    expect((await admin("/consumers", json("POST", ["id"]))).status).toBe(400);
  });

  it("is 404 for a consumer that does not exist, and 405 for another method", async () => {
    expect((await admin("/consumers/nobody")).status).toBe(404);
    expect((await admin("/consumers/nobody/keys")).status).toBe(404);
    expect((await admin("/consumers/nobody/keys", { method: "POST" })).status).toBe(404);
    const put = await admin("/consumers/nobody", json("PUT", {}));
    expect(put.status).toBe(405);
    expect(put.headers.get("Allow")).toBe("GET, HEAD, DELETE");
  });
});

describe("issuing a key", () => {
  it("answers the key exactly once and stores only its SHA-256", async () => {
    const issued = await consumerWithKey("once");
    expect(issued.key).toMatch(KEY_FORMAT);
    expect(issued).toMatchObject({
      consumer_id: "once",
      prefix: issued.key.slice(0, 7),
      last4: issued.key.slice(-4),
      revoked_at: null,
      rotated_from: null,
      status: "active",
    });
    expect(issued.key_id).toMatch(/^[0-9a-f-]{36}$/);

    const listed = await admin("/consumers/once/keys");
    const text = await listed.text();
    expect(text).not.toContain(issued.key);
    const { key: _key, ...info } = issued;
    expect(JSON.parse(text)).toEqual({ keys: [info] });
    expect(JSON.stringify(await (await admin("/consumers/once")).json())).not.toContain(issued.key);

    const row = await env.DB.prepare("SELECT * FROM consumer_keys WHERE key_id = ?").bind(issued.key_id).first<Record<string, unknown>>();
    expect(row!.sha256).toBe(await sha256Hex(issued.key));
    const stored = await everythingStored();
    expect(stored).not.toContain(issued.key);
    expect(stored).not.toContain(issued.key.slice(7, -4)); // not even the part that is never displayed
  });

  it("issues a different key every time, each usable", async () => {
    const first = await consumerWithKey("many");
    const second = await issueKey("many");
    expect(second.key).not.toBe(first.key);
    for (const { key } of [first, second]) expect((await send("/orders/1", withKey(key))).status).toBe(200);
  });
});

describe("using a key", () => {
  it("admits it, passes consumer and tenant upstream, and removes client copies and the key", async () => {
    const { key } = await consumerWithKey("shop");
    const res = await send("/orders/42", withKey(key, { "X-Consumer-Id": "admin", "X-Tenant-Id": "someone-else" }));
    expect(res.status).toBe(200);
    const echo = await res.json<Echo>();
    expect(echo.url).toBe("https://origin.test/orders/42");
    expect(echo.headers["x-consumer-id"]).toBe("shop");
    expect(echo.headers["x-tenant-id"]).toBe("shop-tenant");
    expect(echo.headers).not.toHaveProperty("x-api-key");
  });

  it("removes client copies of the identity headers on routes without auth too", async () => {
    const res = await send("/public/x", { headers: { "X-Consumer-Id": "admin", "x-tenant-id": "acme" } });
    expect(res.status).toBe(200);
    const echo = await res.json<Echo>();
    expect(echo.headers).not.toHaveProperty("x-consumer-id");
    expect(echo.headers).not.toHaveProperty("x-tenant-id");
  });

  it("names a configured key's consumer after its variable, with no tenant", async () => {
    const res = await send("/orders/1", withKey(env.DEMO_API_KEY as string, { "X-Tenant-Id": "forged" }));
    expect(res.status).toBe(200);
    const echo = await res.json<Echo>();
    expect(echo.headers["x-consumer-id"]).toBe("DEMO_API_KEY");
    expect(echo.headers).not.toHaveProperty("x-tenant-id");
  });

  it.each([
    ["a wrong key", "lk_wrongwrongwrongwrongwrongwrongwrongwrongwro"],
    ["a key of another format", "definitely-not-a-key"],
    ["a key's SHA-256 instead of the key", ""],
  ])("refuses %s with 401 and an audit row without the key", async (_name, wrong) => {
    const { key } = await consumerWithKey(`wrong-${wrong.length}`);
    const presented = wrong || (await sha256Hex(key));
    const res = await send("/orders/1", withKey(presented));
    expect(res.status).toBe(401);
    expect(res.headers.get("WWW-Authenticate")).toBe('ApiKey realm="loom-edge"');
    expect(await res.json()).toMatchObject({ error: "unauthorized" });
    const [failure] = (await auditRows("event = 'auth_failure'")).slice(-1);
    expect(JSON.parse(failure!.details)).toEqual({
      scheme: "api_key",
      reason: "invalid_key",
      count: 1,
      first_at: expect.any(String),
      last_at: expect.any(String),
    });
    expect(JSON.stringify(failure)).not.toContain(presented);
  });

  it("refuses a missing key with 401", async () => {
    expect((await send("/orders/1")).status).toBe(401);
  });
});

describe("revocation", () => {
  it("refuses a revoked key at once in the isolate that revoked it", async () => {
    const issued = await consumerWithKey("revoked");
    expect((await send("/orders/1", withKey(issued.key))).status).toBe(200);
    const res = await admin(`/consumers/revoked/keys/${issued.key_id}`, { method: "DELETE" });
    expect(res.status).toBe(200);
    expect(await res.json()).toMatchObject({ key_id: issued.key_id, status: "revoked", revoked_at: expect.any(String) });
    expect((await send("/orders/1", withKey(issued.key))).status).toBe(401);
    // Revoking again changes nothing and writes no audit row.
    const rows = (await auditRows("event = 'consumer_change'")).length;
    expect((await admin(`/consumers/revoked/keys/${issued.key_id}`, { method: "DELETE" })).status).toBe(200);
    expect(await auditRows("event = 'consumer_change'")).toHaveLength(rows);
    expect((await admin("/consumers/revoked/keys/no-such-key", { method: "DELETE" })).status).toBe(404);
  });

  it(`refuses a key revoked elsewhere once the ${KEY_CACHE_TTL_MS} ms cache entry expires`, async () => {
    const issued = await consumerWithKey("elsewhere");
    const start = Date.now();
    vi.setSystemTime(start);
    expect((await send("/orders/1", withKey(issued.key))).status).toBe(200);
    // Another isolate revoked it: this one's cache still holds the key, for at most the TTL.
    await env.DB.prepare("UPDATE consumer_keys SET revoked_at = ? WHERE key_id = ?")
      .bind(new Date(start).toISOString(), issued.key_id)
      .run();
    vi.setSystemTime(start + KEY_CACHE_TTL_MS - 1);
    expect((await send("/orders/1", withKey(issued.key))).status).toBe(200);
    vi.setSystemTime(start + KEY_CACHE_TTL_MS);
    expect((await send("/orders/1", withKey(issued.key))).status).toBe(401);
  });

  it("keeps a revocation final in the database itself", async () => {
    const issued = await consumerWithKey("final");
    await admin(`/consumers/final/keys/${issued.key_id}`, { method: "DELETE" });
    await expect(env.DB.prepare("UPDATE consumer_keys SET revoked_at = NULL WHERE key_id = ?").bind(issued.key_id).run()).rejects.toThrow(
      /revocation cannot be undone/,
    );
    await expect(
      env.DB.prepare("UPDATE consumer_keys SET revoked_at = '9999-01-01T00:00:00.000Z' WHERE key_id = ?").bind(issued.key_id).run(),
    ).rejects.toThrow(/postponed/);
    await expect(env.DB.prepare("UPDATE consumers SET disabled_at = NULL WHERE id = 'dup'").run()).rejects.toThrow(/stays disabled/);
  });
});

describe("disabling a consumer", () => {
  it("refuses every key of a disabled consumer and issues it no new ones", async () => {
    const first = await consumerWithKey("gone");
    const second = await issueKey("gone");
    expect((await send("/orders/1", withKey(first.key))).status).toBe(200);
    const res = await admin("/consumers/gone", { method: "DELETE" });
    expect(res.status).toBe(200);
    expect(await res.json()).toMatchObject({ id: "gone", disabled: true, disabled_at: expect.any(String) });
    for (const { key } of [first, second]) expect((await send("/orders/1", withKey(key))).status).toBe(401);
    const issue = await admin("/consumers/gone/keys", { method: "POST" });
    expect(issue.status).toBe(409);
    expect(await issue.json()).toMatchObject({ error: "consumer_disabled" });
    expect((await admin(`/consumers/gone/keys/${first.key_id}/rotate`, { method: "POST" })).status).toBe(409);
    // The metadata stays; the keys list still answers.
    expect((await (await admin("/consumers/gone/keys")).json<{ keys: unknown[] }>()).keys).toHaveLength(2);
    expect((await admin("/consumers/nobody", { method: "DELETE" })).status).toBe(404);
  });
});

describe("allowed_routes", () => {
  it("admits the consumer on its routes only, with 403 route_not_allowed elsewhere", async () => {
    const { key } = await consumerWithKey("narrow", { allowed_routes: ["orders"] });
    expect((await send("/orders/1", withKey(key))).status).toBe(200);
    const refused = await send("/billing/1", withKey(key));
    expect(refused.status).toBe(403);
    expect(await refused.json()).toMatchObject({ error: "route_not_allowed" });
    expect((await send("/public/1", withKey(key))).status).toBe(200); // no auth there, nothing to restrict
    const [failure] = (await auditRows("event = 'auth_failure'")).slice(-1);
    expect(failure).toMatchObject({ target: "routes/billing" });
    expect(JSON.parse(failure!.details)).toEqual({
      scheme: "api_key",
      reason: "route_not_allowed",
      count: 1,
      first_at: expect.any(String),
      last_at: expect.any(String),
    });
  });
});

describe("rotation", () => {
  it("issues a new key and keeps the old one working for the grace period only", async () => {
    const old = await consumerWithKey("rotating");
    const start = Date.now();
    vi.setSystemTime(start);
    const res = await admin(`/consumers/rotating/keys/${old.key_id}/rotate`, json("POST", { grace: "1h" }));
    expect(res.status).toBe(201);
    const rotated = await res.json<Issued & { previous: KeyInfo }>();
    expect(rotated.key).toMatch(KEY_FORMAT);
    expect(rotated).toMatchObject({ rotated_from: old.key_id, status: "active" });
    expect(rotated.previous).toMatchObject({
      key_id: old.key_id,
      status: "expiring",
      revoked_at: new Date(start + 3_600_000).toISOString(),
    });
    expect((await send("/orders/1", withKey(rotated.key))).status).toBe(200);
    expect((await send("/orders/1", withKey(old.key))).status).toBe(200);

    const again = await admin(`/consumers/rotating/keys/${old.key_id}/rotate`, { method: "POST" });
    expect(again.status).toBe(409);
    expect(await again.json()).toMatchObject({ error: "key_not_active" });

    // The cached answer for the old key lasts no longer than its grace period.
    vi.setSystemTime(start + 3_600_000);
    expect((await send("/orders/1", withKey(old.key))).status).toBe(401);
    expect((await send("/orders/1", withKey(rotated.key))).status).toBe(200);
    const keys = await (await admin("/consumers/rotating/keys")).json<{ keys: KeyInfo[] }>();
    expect(keys.keys.map((key) => [key.key_id, key.status])).toEqual([
      [old.key_id, "revoked"],
      [rotated.key_id, "active"],
    ]);
  });

  it("revokes the old key at once without a body, and a revocation cuts a grace period short", async () => {
    const old = await consumerWithKey("rotate-now");
    const rotated = await (
      await admin(`/consumers/rotate-now/keys/${old.key_id}/rotate`, { method: "POST" })
    ).json<Issued & { previous: KeyInfo }>();
    expect(rotated.previous.status).toBe("revoked");
    expect((await send("/orders/1", withKey(old.key))).status).toBe(401);
    expect((await send("/orders/1", withKey(rotated.key))).status).toBe(200);

    const graced = await (
      await admin(`/consumers/rotate-now/keys/${rotated.key_id}/rotate`, json("POST", { grace: "30m" }))
    ).json<Issued>();
    expect((await send("/orders/1", withKey(rotated.key))).status).toBe(200);
    expect((await admin(`/consumers/rotate-now/keys/${rotated.key_id}`, { method: "DELETE" })).status).toBe(200);
    expect((await send("/orders/1", withKey(rotated.key))).status).toBe(401);
    expect((await send("/orders/1", withKey(graced.key))).status).toBe(200);
  });

  it.each([["25h"], ["soon"], [3600]])("refuses grace %j with 400", async (grace) => {
    const old = await consumerWithKey(`bad-grace-${String(grace)}`);
    const res = await admin(`/consumers/bad-grace-${String(grace)}/keys/${old.key_id}/rotate`, json("POST", { grace }));
    expect(res.status).toBe(400);
    expect(await res.json()).toMatchObject({ error: "invalid_rotation", issues: [expect.objectContaining({ path: "grace" })] });
    expect((await send("/orders/1", withKey(old.key))).status).toBe(200);
  });

  it("is 404 for a key of another consumer", async () => {
    const mine = await consumerWithKey("rot-a");
    await consumerWithKey("rot-b");
    expect((await admin(`/consumers/rot-b/keys/${mine.key_id}/rotate`, { method: "POST" })).status).toBe(404);
    expect((await admin(`/consumers/rot-b/keys/${mine.key_id}`, { method: "DELETE" })).status).toBe(404);
  });
});

describe("the audit log", () => {
  it("records every change as consumer_change, never with a key", async () => {
    const before = (await auditRows()).length;
    const first = await consumerWithKey("audited", { allowed_routes: ["orders"], allowed_models: ["gpt-4o"] });
    const rotated = await (await admin(`/consumers/audited/keys/${first.key_id}/rotate`, json("POST", { grace: "5m" }))).json<Issued>();
    await admin(`/consumers/audited/keys/${rotated.key_id}`, { method: "DELETE" });
    await admin("/consumers/audited", { method: "DELETE" });
    const rows = (await auditRows()).slice(before).filter((row) => row.event === "consumer_change");
    expect(rows.map((row) => [row.action, row.target, row.actor])).toEqual([
      ["consumer_create", "consumers/audited", "token"],
      ["key_issue", `consumers/audited/keys/${first.key_id}`, "token"],
      ["key_rotate", `consumers/audited/keys/${first.key_id}`, "token"],
      ["key_revoke", `consumers/audited/keys/${rotated.key_id}`, "token"],
      ["consumer_disable", "consumers/audited", "token"],
    ]);
    expect(JSON.parse(rows[0]!.details)).toEqual({
      tenant: "audited-tenant",
      allowed_routes: ["orders"],
      allowed_models: ["gpt-4o"],
      rate_limit: null,
    });
    expect(JSON.parse(rows[2]!.details)).toEqual({ replaced_by: rotated.key_id, grace_ms: 300_000 });
    const text = JSON.stringify(await auditRows());
    for (const key of [first.key, rotated.key]) {
      expect(text).not.toContain(key);
      expect(text).not.toContain(await sha256Hex(key));
    }
  });
});

describe("when D1 is down", () => {
  it("refuses admin changes and reads with 503", async () => {
    const broken = envWithBrokenDb();
    const create = await admin("/consumers", { ...json("POST", { id: "offline", tenant: "t" }), env: broken });
    expect(create.status).toBe(503);
    expect(await create.json()).toMatchObject({ error: "consumer_store_unavailable" });
    expect((await admin("/consumers", { env: broken })).status).toBe(503);
    expect((await admin("/consumers/acme/keys", { method: "POST", env: broken })).status).toBe(503);
    expect((await admin("/consumers/acme", { method: "DELETE", env: broken })).status).toBe(503);
    expect((await admin("/consumers/offline")).status).toBe(404);
  });

  it("refuses a change whose audit row cannot be written, and changes nothing", async () => {
    const noAudit = envWithBrokenTable("audit_log");
    const create = await admin("/consumers", { ...json("POST", { id: "unaudited", tenant: "t" }), env: noAudit });
    expect(create.status).toBe(503);
    expect(await create.json()).toMatchObject({ error: "audit_unavailable" });
    expect((await admin("/consumers/unaudited")).status).toBe(404);

    const issued = await consumerWithKey("audit-down");
    const keys = await admin("/consumers/audit-down/keys", { method: "POST", env: noAudit });
    expect(keys.status).toBe(503);
    const revoke = await admin(`/consumers/audit-down/keys/${issued.key_id}`, { method: "DELETE", env: noAudit });
    expect(revoke.status).toBe(503);
    expect((await send("/orders/1", withKey(issued.key))).status).toBe(200);
    expect((await (await admin("/consumers/audit-down/keys")).json<{ keys: unknown[] }>()).keys).toHaveLength(1);
  });

  it("fails closed on the hot path: 503 for a consumer key, never 200; configured keys still work", async () => {
    const { key } = await consumerWithKey("hot-path");
    forgetConsumerKeys();
    const broken = envWithBrokenDb();
    const res = await send("/orders/1", { ...withKey(key), env: broken });
    expect(res.status).toBe(503);
    expect(res.headers.get("Retry-After")).toBe("1");
    expect(await res.json()).toMatchObject({ error: "auth_unavailable" });
    expect((await send("/orders/1", { ...withKey("lk_unknown"), env: broken })).status).toBe(503);
    expect((await send("/orders/1", { ...withKey(env.DEMO_API_KEY as string), env: broken })).status).toBe(200);
    // The failure was not cached: with D1 back the key works.
    expect((await send("/orders/1", withKey(key))).status).toBe(200);
  });
});
