/**
 * The keyed heads of the audit chain (worker/audit/anchor.ts, migration 0007). Someone with
 * raw access to D1 drops the triggers (as `wrangler d1 execute` could), rewrites a row and
 * recomputes every later hash, so the plain SHA-256 chain verifies again: the heads, keyed
 * with AUDIT_HMAC_KEY (which the database never holds), still catch it. Also: every append
 * anchors its rows in the same transaction, rows from before the key are anchored by the
 * first keyed head, an unset key is reported as "unanchored", and a rotation keeps verifying.
 */
import { env } from "cloudflare:workers";
import { beforeEach, describe, expect, it, vi } from "vitest";
import { appendAuditEvents, auditRowHash, verifyAuditChain, writeAuditEvent, type AuditRow } from "../../worker/audit";
import type { Env } from "../../worker/env";
import { admin, auditRows } from "./admin-harness";

const KEY_B = "second-audit-hmac-key-abcdefghijklmnop";
const withKeys = (current?: string, previous?: string): Env => ({ ...env, AUDIT_HMAC_KEY: current, AUDIT_HMAC_KEY_PREVIOUS: previous });
const unkeyed = () => withKeys(undefined);
const write = (store: Env, action: string) => writeAuditEvent(store, { event: "config_change", actor: "token", action, target: "config" });
const anchors = async () =>
  (
    await env.DB.prepare("SELECT * FROM audit_anchors ORDER BY id").all<{
      head_id: number;
      head_hash: string;
      key_id: string;
      mac: string;
    }>()
  ).results;

/** What a writer without the key can do: rewrite row `id` and recompute every hash after it. */
async function rewriteAndRechain(id: number, changes: Partial<AuditRow>): Promise<void> {
  let previous: string | undefined;
  for (const row of await auditRows("id >= ?", id)) {
    const rewritten = { ...row, ...(row.id === id ? changes : {}), prev_hash: previous ?? row.prev_hash };
    rewritten.hash = await auditRowHash(rewritten.prev_hash, rewritten);
    await env.DB.prepare("UPDATE audit_log SET actor = ?, details = ?, prev_hash = ?, hash = ? WHERE id = ?")
      .bind(rewritten.actor, rewritten.details, rewritten.prev_hash, rewritten.hash, row.id)
      .run();
    previous = rewritten.hash;
  }
}

beforeEach(async () => {
  for (const trigger of ["audit_log_no_update", "audit_log_no_delete", "audit_anchors_no_update", "audit_anchors_no_delete"])
    await env.DB.exec(`DROP TRIGGER IF EXISTS ${trigger}`);
  await env.DB.exec("DELETE FROM audit_log");
  await env.DB.exec("DELETE FROM audit_anchors");
  vi.restoreAllMocks();
});

describe("every append is anchored", () => {
  it("records the head of each synchronous row and of each queue batch, under the key's id, in the same transaction", async () => {
    const one = await write(env, "one");
    await appendAuditEvents(
      env,
      Array.from({ length: 5 }, (_, i) => ({
        eventId: crypto.randomUUID(),
        event: "route_match" as const,
        actor: "gateway",
        action: "route_match",
        target: `routes/r${i}`,
      })),
    );
    const rows = await auditRows();
    const heads = await anchors();
    expect(heads.map((head) => [head.head_id, head.head_hash])).toEqual([
      [one.id, one.hash],
      [rows.at(-1)!.id, rows.at(-1)!.hash],
    ]);
    expect(new Set(heads.map((head) => head.key_id)).size).toBe(1);
    expect(heads[0]!.key_id).toMatch(/^[0-9a-f]{16}$/);
    expect(heads[0]!.mac).toMatch(/^[0-9a-f]{64}$/);
    expect(await verifyAuditChain(env)).toEqual({ ok: true, rows: 6, head: rows.at(-1)!.hash, anchor: "anchored", checkpoint: null });
  });

  it("anchors nothing for a batch whose rows were all stored before (a redelivery)", async () => {
    const events = [{ eventId: "again-1", event: "route_match" as const, actor: "gateway", action: "route_match" }];
    await appendAuditEvents(env, events);
    await appendAuditEvents(env, events);
    expect(await anchors()).toHaveLength(1);
  });
});

describe("without AUDIT_HMAC_KEY", () => {
  it("appends without heads, warns, and verify answers unanchored with the plain chain checked", async () => {
    const warn = vi.spyOn(console, "warn");
    await write(unkeyed(), "plain-1");
    const last = await write(unkeyed(), "plain-2");
    expect(await anchors()).toEqual([]);
    const result = await verifyAuditChain(unkeyed());
    expect(result).toEqual({
      ok: true,
      rows: 2,
      head: last.hash,
      anchor: "unanchored",
      checkpoint: null,
      warning: expect.stringContaining("AUDIT_HMAC_KEY is not set"),
    });
    // The isolate logs it once (this is the file's first use without the key); the verify answer says it every time.
    expect(warn.mock.calls.map(([line]) => JSON.parse(String(line)))).toEqual([
      expect.objectContaining({ level: "warn", event: "audit_hmac_key_unset" }),
    ]);
  });

  it("anchors the rows written before the key with the first keyed head", async () => {
    await write(unkeyed(), "before-1");
    await write(unkeyed(), "before-2");
    expect(await verifyAuditChain(env)).toMatchObject({ ok: false, broken: { reason: "unanchored" } });
    const first = await write(env, "first-keyed");
    expect(await verifyAuditChain(env)).toEqual({ ok: true, rows: 3, head: first.hash, anchor: "anchored", checkpoint: null });
  });

  it("treats a key shorter than 32 characters as unset, and says so in the log", async () => {
    const warn = vi.spyOn(console, "warn").mockImplementation(() => {});
    await write(withKeys("short-key"), "weak");
    expect(await anchors()).toEqual([]);
    expect(warn.mock.calls.map(([line]) => JSON.parse(String(line)))).toContainEqual(
      expect.objectContaining({ event: "audit_hmac_key_weak", message: expect.stringContaining("shorter than 32 characters") }),
    );
  });
});

describe("a writer without the key", () => {
  beforeEach(async () => {
    for (let i = 0; i < 6; i++) await write(env, `row-${i}`);
  });

  it("is caught when it rewrites a row and recomputes every later hash", async () => {
    const rows = await auditRows();
    const target = rows[2]!;
    await rewriteAndRechain(target.id, { actor: "mallory", details: '{"note":"nothing happened"}' });
    // The plain chain verifies again: only the keyed head can tell.
    expect(await auditRows()).not.toEqual(rows);
    const result = await verifyAuditChain(env);
    expect(result).toEqual({
      ok: false,
      rows: 2,
      broken: { id: target.id, event_id: target.event_id, reason: "anchor_mismatch" },
      anchored_through: rows[1]!.id,
    });
    const res = await admin("/audit/verify");
    expect(res.status).toBe(409);
    expect(await res.json()).toMatchObject({ error: "audit_chain_broken", broken: { id: target.id, reason: "anchor_mismatch" } });
  });

  it("is caught when it also removes the heads after the rewritten row", async () => {
    const rows = await auditRows();
    await rewriteAndRechain(rows[3]!.id, { actor: "mallory" });
    await env.DB.prepare("DELETE FROM audit_anchors WHERE head_id >= ?").bind(rows[3]!.id).run();
    expect(await verifyAuditChain(env)).toMatchObject({
      ok: false,
      broken: { id: rows[3]!.id, reason: "unanchored" },
      anchored_through: rows[2]!.id,
    });
  });

  it("is caught when it forges a head over its rewrite without the key", async () => {
    const rows = await auditRows();
    await rewriteAndRechain(rows[4]!.id, { actor: "mallory" });
    const [real] = await anchors();
    const rewritten = await auditRows("id >= ?", rows[4]!.id);
    await env.DB.prepare("DELETE FROM audit_anchors WHERE head_id >= ?").bind(rows[4]!.id).run();
    for (const row of rewritten) {
      await env.DB.prepare("INSERT INTO audit_anchors (head_id, head_hash, key_id, mac, created_at) VALUES (?, ?, ?, ?, ?)")
        .bind(row.id, row.hash, real!.key_id, "0".repeat(64), row.ts)
        .run();
    }
    expect(await verifyAuditChain(env)).toMatchObject({ ok: false, broken: { id: rows[4]!.id, reason: "anchor_forged" } });
  });

  it("is caught when it removes the last rows", async () => {
    const rows = await auditRows();
    await env.DB.prepare("DELETE FROM audit_log WHERE id >= ?").bind(rows[4]!.id).run();
    expect(await verifyAuditChain(env)).toMatchObject({
      ok: false,
      broken: { id: rows[4]!.id, event_id: null, reason: "anchored_row_missing" },
    });
  });

  it("is caught when it appends rows without a head", async () => {
    const added = await write(unkeyed(), "forged-tail");
    expect(await verifyAuditChain(env)).toMatchObject({ ok: false, broken: { id: added.id, reason: "unanchored" } });
  });
});

describe("rotation", () => {
  it("verifies heads of the previous key, and needs it no more once the new key anchored a row", async () => {
    await write(env, "under-a");
    const rotated = withKeys(KEY_B, env.AUDIT_HMAC_KEY);
    expect(await verifyAuditChain(rotated)).toMatchObject({ ok: true, anchor: "anchored" });
    // Only the new key: the old head cannot be checked, and nothing newer covers the row.
    expect(await verifyAuditChain(withKeys(KEY_B))).toMatchObject({ ok: false, broken: { reason: "unanchored" } });
    await write(rotated, "under-b");
    expect(new Set((await anchors()).map((head) => head.key_id)).size).toBe(2);
    expect(await verifyAuditChain(withKeys(KEY_B))).toMatchObject({ ok: true, rows: 2, anchor: "anchored" });
    // The old key alone no longer covers the newest row.
    expect(await verifyAuditChain(env)).toMatchObject({ ok: false, broken: { reason: "unanchored" } });
  });
});
