/**
 * Migration 0006: the database itself keeps append-only rows and final states final against
 * every spelling of a rewrite in raw SQL, as someone with `wrangler d1 execute` could type it:
 * UPDATE, DELETE, and the ones that do neither in SQLite's eyes (INSERT OR REPLACE, REPLACE
 * INTO, UPSERT with ON CONFLICT DO UPDATE), which delete the conflicting row without firing
 * its DELETE trigger. The changes the API makes (consumers.test.ts, vault.test.ts) still work.
 */
import { env } from "cloudflare:workers";
import { beforeAll, describe, expect, it } from "vitest";
import { writeAuditEvent, type AuditRow } from "../../worker/audit";

const refused = async (pattern: RegExp, sql: string, ...params: unknown[]) => {
  await expect(
    env.DB.prepare(sql)
      .bind(...params)
      .run(),
  ).rejects.toThrow(pattern);
};

const COLUMNS =
  "id, event_id, ts, event, actor, action, target, ip, user_agent, request_id, old_version, new_version, details, prev_hash, hash";
const VALUES = "?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15";
const forged = (row: AuditRow, changes: Partial<AuditRow> = {}) => {
  const r = { ...row, actor: "mallory", ...changes };
  return [
    r.id,
    r.event_id,
    r.ts,
    r.event,
    r.actor,
    r.action,
    r.target,
    r.ip,
    r.user_agent,
    r.request_id,
    r.old_version,
    r.new_version,
    r.details,
    r.prev_hash,
    r.hash,
  ];
};

describe("audit_log", () => {
  let row: AuditRow;
  let claim: AuditRow;
  beforeAll(async () => {
    row = await writeAuditEvent(env, { event: "consumer_change", actor: "token", action: "consumer_create", target: "consumers/acme" });
    claim = await writeAuditEvent(env, { event: "config_change", actor: "token", action: "config_put", target: "config", newVersion: 77 });
  });
  const stored = () => env.DB.prepare("SELECT * FROM audit_log WHERE id = ?").bind(row.id).first<AuditRow>();
  const other = (n: number) => ({ id: 10_000 + n, event_id: `other-${n}`, hash: `${n}`.padStart(64, "e") });

  const APPEND_ONLY = /audit_log is append-only/;
  it.each([
    ["INSERT OR REPLACE on the id", "INSERT OR REPLACE", (r: AuditRow) => ({ ...other(1), id: r.id })],
    ["INSERT OR REPLACE on the event_id", "INSERT OR REPLACE", (r: AuditRow) => ({ ...other(2), event_id: r.event_id })],
    ["INSERT OR REPLACE on the hash", "INSERT OR REPLACE", (r: AuditRow) => ({ ...other(3), hash: r.hash })],
    ["REPLACE INTO on the id", "REPLACE", (r: AuditRow) => ({ ...other(4), id: r.id })],
    ["REPLACE INTO on the event_id", "REPLACE", (r: AuditRow) => ({ ...other(5), event_id: r.event_id })],
    ["a plain INSERT of an existing id", "INSERT", (r: AuditRow) => ({ ...other(6), id: r.id })],
  ])("refuses %s and leaves the row as it was", async (_name, verb, changes) => {
    await refused(APPEND_ONLY, `${verb} INTO audit_log (${COLUMNS}) VALUES (${VALUES})`, ...forged(row, changes(row)));
    expect(await stored()).toEqual(row);
  });

  it("refuses an UPSERT that would update the existing row", async () => {
    await refused(
      APPEND_ONLY,
      `INSERT INTO audit_log (${COLUMNS}) VALUES (${VALUES}) ON CONFLICT (event_id) DO UPDATE SET actor = 'mallory'`,
      ...forged(row, other(7)).map((v, i) => (i === 1 ? row.event_id : v)),
    );
    await refused(
      APPEND_ONLY,
      `INSERT INTO audit_log (${COLUMNS}) VALUES (${VALUES}) ON CONFLICT DO NOTHING`,
      ...forged(row, { id: row.id }),
    );
    expect(await stored()).toEqual(row);
  });

  it("refuses REPLACE of a config version claim by another row", async () => {
    await refused(APPEND_ONLY, `INSERT OR REPLACE INTO audit_log (${COLUMNS}) VALUES (${VALUES})`, ...forged(claim, other(8)));
    expect(await env.DB.prepare("SELECT * FROM audit_log WHERE id = ?").bind(claim.id).first()).toEqual(claim);
  });

  it("still refuses UPDATE (also UPDATE OR REPLACE onto another row's key) and DELETE", async () => {
    await refused(/UPDATE refused/, "UPDATE audit_log SET actor = 'mallory' WHERE id = ?", row.id);
    await refused(/UPDATE refused/, "UPDATE OR REPLACE audit_log SET event_id = ? WHERE id = ?", row.event_id, claim.id);
    await refused(/DELETE refused|no checkpoint/, "DELETE FROM audit_log WHERE id = ?", row.id);
    expect(await stored()).toEqual(row);
  });
});

describe("audit_anchors", () => {
  it("refuses REPLACE, UPSERT, UPDATE and DELETE of a keyed head", async () => {
    await writeAuditEvent(env, { event: "consumer_change", actor: "token", action: "anchored" });
    const head = await env.DB.prepare("SELECT * FROM audit_anchors ORDER BY id DESC LIMIT 1").first<{
      id: number;
      head_id: number;
      head_hash: string;
      key_id: string;
    }>();
    const forged = [head!.id, head!.head_id, head!.head_hash, head!.key_id, "0".repeat(64), "2000-01-01T00:00:00.000Z"];
    const insert = "INTO audit_anchors (id, head_id, head_hash, key_id, mac, created_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6)";
    await refused(/audit_anchors is append-only: this id exists/, `INSERT OR REPLACE ${insert}`, ...forged);
    await refused(/audit_anchors is append-only: this id exists/, `REPLACE ${insert}`, ...forged);
    await refused(
      /audit_anchors is append-only: this id exists/,
      `INSERT ${insert} ON CONFLICT (id) DO UPDATE SET mac = excluded.mac`,
      ...forged,
    );
    await refused(/UPDATE refused/, "UPDATE audit_anchors SET mac = ?1 WHERE id = ?2", "0".repeat(64), head!.id);
    await refused(/no checkpoint covers this head/, "DELETE FROM audit_anchors WHERE id = ?", head!.id);
    expect(await env.DB.prepare("SELECT * FROM audit_anchors WHERE id = ?").bind(head!.id).first()).toEqual(head);
  });
});

describe("consumers and consumer_keys", () => {
  const now = new Date().toISOString();
  beforeAll(async () => {
    await env.DB.batch([
      env.DB.prepare("INSERT INTO consumers (id, tenant, created_at, disabled_at) VALUES ('gone', 't1', ?1, ?1)").bind(now),
      env.DB.prepare("INSERT INTO consumers (id, tenant, created_at) VALUES ('live', 't1', ?1)").bind(now),
      env.DB.prepare(
        "INSERT INTO consumer_keys (key_id, consumer_id, sha256, prefix, last4, created_at, revoked_at) VALUES ('k-revoked', 'live', ?2, 'lk_aaaa', 'zzzz', ?1, ?1)",
      ).bind(now, "a".repeat(64)),
      env.DB.prepare(
        "INSERT INTO consumer_keys (key_id, consumer_id, sha256, prefix, last4, created_at) VALUES ('k-active', 'live', ?2, 'lk_bbbb', 'yyyy', ?1)",
      ).bind(now, "b".repeat(64)),
    ]);
  });
  const key = (id: string) => env.DB.prepare("SELECT * FROM consumer_keys WHERE key_id = ?").bind(id).first();
  const consumer = (id: string) => env.DB.prepare("SELECT * FROM consumers WHERE id = ?").bind(id).first();

  const KEYS = /consumer_keys/;
  it.each([
    [
      "INSERT OR REPLACE by key_id",
      "INSERT OR REPLACE INTO consumer_keys (key_id, consumer_id, sha256, prefix, last4, created_at) VALUES ('k-revoked', 'live', ?1, 'lk_aaaa', 'zzzz', ?2)",
      "c",
    ],
    [
      "REPLACE INTO by key_id",
      "REPLACE INTO consumer_keys (key_id, consumer_id, sha256, prefix, last4, created_at) VALUES ('k-revoked', 'live', ?1, 'lk_aaaa', 'zzzz', ?2)",
      "c",
    ],
    [
      "INSERT OR REPLACE by sha256 under a new key_id",
      "INSERT OR REPLACE INTO consumer_keys (key_id, consumer_id, sha256, prefix, last4, created_at) VALUES ('k-new', 'live', ?1, 'lk_aaaa', 'zzzz', ?2)",
      "a",
    ],
    [
      "an UPSERT that clears revoked_at",
      "INSERT INTO consumer_keys (key_id, consumer_id, sha256, prefix, last4, created_at) VALUES ('k-revoked', 'live', ?1, 'lk_aaaa', 'zzzz', ?2) ON CONFLICT (key_id) DO UPDATE SET revoked_at = NULL",
      "d",
    ],
  ])("cannot undo a key revocation with %s", async (_name, sql, hashChar) => {
    const before = await key("k-revoked");
    await refused(KEYS, sql, hashChar.repeat(64), now);
    expect(await key("k-revoked")).toEqual(before);
    expect(await key("k-new")).toBeNull();
  });

  it("refuses DELETE of a key and UPDATE of its history, and still allows revoking it", async () => {
    const before = await key("k-active");
    const revoked = await key("k-revoked");
    // UPDATE OR REPLACE onto the revoked key's id or hash would delete the revoked row.
    await refused(KEYS, "UPDATE OR REPLACE consumer_keys SET key_id = 'k-revoked' WHERE key_id = 'k-active'");
    await refused(KEYS, "UPDATE OR REPLACE consumer_keys SET sha256 = ? WHERE key_id = 'k-active'", "a".repeat(64));
    expect(await key("k-revoked")).toEqual(revoked);
    await refused(/never deleted/, "DELETE FROM consumer_keys WHERE key_id = 'k-active'");
    for (const set of [
      "prefix = 'lk_xxxx'",
      "last4 = 'xxxx'",
      "created_at = '2000-01-01T00:00:00.000Z'",
      "rotated_from = 'k-revoked'",
      "key_id = 'k-other'",
    ]) {
      await refused(/only revoked_at changes/, `UPDATE consumer_keys SET ${set} WHERE key_id = 'k-active'`);
    }
    expect(await key("k-active")).toEqual(before);
    await env.DB.prepare("UPDATE consumer_keys SET revoked_at = ?1 WHERE key_id = 'k-active'").bind(now).run();
    expect(await key("k-active")).toMatchObject({ revoked_at: now });
  });

  it.each([
    ["INSERT OR REPLACE", "INSERT OR REPLACE INTO consumers (id, tenant, created_at) VALUES ('gone', 't1', ?1)"],
    ["REPLACE INTO", "REPLACE INTO consumers (id, tenant, created_at) VALUES ('gone', 't1', ?1)"],
    [
      "an UPSERT that clears disabled_at",
      "INSERT INTO consumers (id, tenant, created_at) VALUES ('gone', 't1', ?1) ON CONFLICT (id) DO UPDATE SET disabled_at = NULL",
    ],
  ])("cannot re-enable a disabled consumer with %s", async (_name, sql) => {
    const before = await consumer("gone");
    await refused(/consumers: this id exists/, sql, now);
    expect(await consumer("gone")).toEqual(before);
  });

  it("refuses DELETE of a consumer and a change of its tenant, id or creation time", async () => {
    const before = await consumer("live");
    await refused(/never deleted/, "DELETE FROM consumers WHERE id = 'live'");
    await refused(/id, tenant and created_at never change/, "UPDATE OR REPLACE consumers SET id = 'gone' WHERE id = 'live'");
    for (const set of ["tenant = 't2'", "id = 'live2'", "created_at = '2000-01-01T00:00:00.000Z'"]) {
      await refused(/id, tenant and created_at never change/, `UPDATE consumers SET ${set} WHERE id = 'live'`);
    }
    expect(await consumer("live")).toEqual(before);
  });
});

describe("credentials", () => {
  const now = new Date().toISOString();
  const insert = (tenant: string, version: number) =>
    env.DB.prepare(
      "INSERT INTO credentials (tenant, provider, ciphertext, iv, key_version, root_key_id, created_at) VALUES (?1, 'openai', ?2, ?3, ?4, '0123456789abcdef', ?5)",
    )
      .bind(tenant, new Uint8Array(32).fill(version), new Uint8Array(12), version, now)
      .run();

  it("refuses to take key_version back or move a row, and allows the API's replace, re-encryption and delete", async () => {
    await insert("t-cred", 1);
    await env.DB.prepare("UPDATE credentials SET key_version = 2, ciphertext = ?1 WHERE tenant = 't-cred'")
      .bind(new Uint8Array(32).fill(2))
      .run();
    await env.DB.prepare("UPDATE credentials SET root_key_id = 'fedcba9876543210', iv = ?1 WHERE tenant = 't-cred'")
      .bind(new Uint8Array(12).fill(1))
      .run();
    await refused(/key_version never goes back/, "UPDATE credentials SET key_version = 1 WHERE tenant = 't-cred'");
    await refused(/never changes tenant or provider/, "UPDATE credentials SET tenant = 't-other' WHERE tenant = 't-cred'");
    await refused(/never changes tenant or provider/, "UPDATE credentials SET provider = 'anthropic' WHERE tenant = 't-cred'");
    expect(await env.DB.prepare("SELECT key_version, root_key_id FROM credentials WHERE tenant = 't-cred'").first()).toEqual({
      key_version: 2,
      root_key_id: "fedcba9876543210",
    });
    await env.DB.prepare("DELETE FROM credentials WHERE tenant = 't-cred'").run();
    expect(await env.DB.prepare("SELECT 1 FROM credentials WHERE tenant = 't-cred'").first()).toBeNull();
  });
});
