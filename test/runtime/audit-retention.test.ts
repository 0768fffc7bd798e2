/**
 * Retention of the audit log (worker/audit/retention.ts, migration 0008): rows older than
 * `audit.retention`, once exported and anchored, are pruned by the audited job (the cron, or
 * POST /admin/audit/prune) behind a keyed checkpoint from which verify starts; nothing else
 * can delete a row. The tests share this file's D1 and R2 and build on each other, in order:
 * old rows are written at chosen times in January 2026, then the config in force (now).
 */
import { createExecutionContext, createScheduledController, waitOnExecutionContext } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { afterEach, beforeAll, describe, expect, it, vi } from "vitest";
import { verifyAuditChain, writeAuditEvent, type AuditRow } from "../../worker/audit";
import { pruneAuditLog } from "../../worker/audit/retention";
import type { Env } from "../../worker/env";
import { admin, auditRows, json, putConfig, worker } from "./admin-harness";

const at = (iso: string) => Date.parse(iso);
const unkeyed = (): Env => ({ ...env, AUDIT_HMAC_KEY: undefined });
const checkpoints = async () =>
  (
    await env.DB.prepare("SELECT * FROM audit_checkpoints ORDER BY id").all<{
      through_id: number;
      head_hash: string;
      rows: number;
      key_id: string;
      mac: string;
    }>()
  ).results;
const prune = async (init: { env?: Env } = {}) => {
  const res = await admin("/audit/prune", { method: "POST", ...init });
  return { status: res.status, body: await res.json<Record<string, unknown>>() };
};

async function writeAt(iso: string, action: string): Promise<AuditRow> {
  vi.setSystemTime(at(iso));
  const row = await writeAuditEvent(env, { event: "config_change", actor: "token", action, target: "config" });
  vi.useRealTimers();
  return row;
}

afterEach(() => {
  vi.useRealTimers();
  vi.restoreAllMocks();
});

let old: AuditRow[];

beforeAll(async () => {
  old = [
    await writeAt("2026-01-05T10:00:00.000Z", "jan5-a"),
    await writeAt("2026-01-05T11:00:00.000Z", "jan5-b"),
    await writeAt("2026-01-06T10:00:00.000Z", "jan6"),
  ];
  await putConfig({
    audit: { retention: "30d" },
    routes: [{ id: "r", path: "/r/*", upstream: "origin" }],
    upstreams: [{ name: "origin", endpoints: ["https://origin.test"] }],
  });
});

describe("nothing but the job deletes", () => {
  it("refuses a raw DELETE of audit rows or heads that no checkpoint covers, and an UPDATE of a head", async () => {
    await expect(env.DB.prepare("DELETE FROM audit_log WHERE id = ?").bind(old[0]!.id).run()).rejects.toThrow(
      /no checkpoint covers this row/,
    );
    await expect(env.DB.prepare("UPDATE audit_anchors SET mac = ?1").bind("1".repeat(64)).run()).rejects.toThrow(/UPDATE refused/);
    await expect(env.DB.prepare("DELETE FROM audit_log").run()).rejects.toThrow(/no checkpoint covers this row/);
    await expect(env.DB.prepare("DELETE FROM audit_anchors").run()).rejects.toThrow(/no checkpoint covers this head/);
    expect(await auditRows("id = ?", old[0]!.id)).toHaveLength(1);
  });

  it("refuses a retention shorter than 30 days or not in days, when the config is saved", async () => {
    for (const retention of ["7d", "400", "1h", "0d"]) {
      const res = await admin("/config", json("PUT", { audit: { retention }, routes: [], upstreams: [] }));
      expect(res.status).toBe(400);
    }
  });
});

describe("the retention job", () => {
  it("prunes nothing without AUDIT_HMAC_KEY (rows are pruned only once anchored), and says why", async () => {
    const res = await prune({ env: unkeyed() });
    expect(res).toMatchObject({
      status: 409,
      body: { error: "audit_prune_refused", outcome: "unanchored", message: expect.stringContaining("AUDIT_HMAC_KEY is not set") },
    });
    expect(await auditRows("id = ?", old[0]!.id)).toHaveLength(1);
    expect(await checkpoints()).toEqual([]);
  });

  it("exports the due days, writes its audit row and a keyed checkpoint, and deletes the rows; verify starts from the checkpoint", async () => {
    const res = await prune();
    expect(res).toEqual({
      status: 200,
      body: { outcome: "pruned", cutoff: expect.stringMatching(/T00:00:00.000Z$/), through_id: old[2]!.id, rows: 3 },
    });
    // Exported first: the archive is the pruned rows' copy.
    const day = await env.AUDIT_ARCHIVE.get("audit/2026/01/05.ndjson");
    expect(
      (await day!.text())
        .trim()
        .split("\n")
        .map((line) => (JSON.parse(line) as AuditRow).action),
    ).toEqual(["jan5-a", "jan5-b"]);
    expect(await env.AUDIT_ARCHIVE.head("audit/2026/01/06.ndjson")).not.toBeNull();
    // Gone from D1, with their heads; the checkpoint names the last one.
    expect(await auditRows("id <= ?", old[2]!.id)).toEqual([]);
    expect(await env.DB.prepare("SELECT count(*) AS n FROM audit_anchors WHERE head_id <= ?").bind(old[2]!.id).first("n")).toBe(0);
    expect(await checkpoints()).toEqual([expect.objectContaining({ through_id: old[2]!.id, head_hash: old[2]!.hash, rows: 3 })]);
    // Audited: the exports and the prune, by the admin who ran it.
    const rows = await auditRows("event IN ('audit_export', 'audit_prune')");
    expect(rows.map((row) => [row.event, row.actor, row.target])).toEqual([
      ["audit_export", "token", "audit/2026/01/05.ndjson"],
      ["audit_export", "token", "audit/2026/01/06.ndjson"],
      ["audit_prune", "token", "audit_log"],
    ]);
    expect(JSON.parse(rows[2]!.details)).toMatchObject({
      retention_days: 30,
      from_id: 1,
      through_id: old[2]!.id,
      rows: 3,
      head_hash: old[2]!.hash,
    });
    // The remaining chain verifies from the checkpoint.
    const remaining = await auditRows();
    expect(remaining[0]!.prev_hash).toBe(old[2]!.hash);
    const verified = await admin("/audit/verify");
    expect(verified.status).toBe(200);
    expect(await verified.json()).toEqual({
      ok: true,
      rows: remaining.length,
      head: remaining.at(-1)!.hash,
      anchor: "anchored",
      checkpoint: { through_id: old[2]!.id, head_hash: old[2]!.hash },
    });
  });

  it("prunes nothing more on a second run", async () => {
    expect(await prune()).toMatchObject({ status: 200, body: { outcome: "nothing", through_id: null, rows: 0 } });
    expect(await checkpoints()).toHaveLength(1);
  });

  it("runs from the cron when the config sets audit.retention", async () => {
    const feb = await writeAt("2026-02-01T10:00:00.000Z", "feb1");
    // The row chains after today's rows: every row up to it must be due, so prune at a time 30 days after now.
    const later = Date.now() + 40 * 86_400_000;
    vi.spyOn(console, "info").mockImplementation(() => {});
    const ctx = createExecutionContext();
    await worker.scheduled(createScheduledController({ scheduledTime: later, cron: "15 0 * * *" }), env, ctx);
    await waitOnExecutionContext(ctx);
    expect(await auditRows("id = ?", feb.id)).toEqual([]);
    const [, second] = await checkpoints();
    expect(second).toMatchObject({ through_id: expect.any(Number) });
    expect(second!.through_id).toBeGreaterThanOrEqual(feb.id);
    expect((await auditRows("event = 'audit_prune'")).at(-1)).toMatchObject({ actor: "cron" });
    expect(await verifyAuditChain(env)).toMatchObject({ ok: true, anchor: "anchored", checkpoint: { through_id: second!.through_id } });
  });

  it("refuses to prune over an archive mismatch", async () => {
    vi.spyOn(console, "error").mockImplementation(() => {});
    const row = await writeAt("2026-02-10T10:00:00.000Z", "feb10");
    // An object that says more rows than D1 holds for the day.
    await env.AUDIT_ARCHIVE.put("audit/2026/02/10.ndjson", "", {
      customMetadata: {
        rows: "7",
        first_id: String(row.id),
        last_id: String(row.id),
        first_prev_hash: row.prev_hash,
        head_hash: row.hash,
        through_id: String(row.id),
      },
    });
    const result = await pruneAuditLog(env, 30, Date.now() + 80 * 86_400_000, { actor: "test" });
    expect(result).toMatchObject({ outcome: "blocked", reason: expect.stringContaining("audit/2026/02/10.ndjson does not match") });
    expect(await auditRows("id = ?", row.id)).toHaveLength(1);
  });

  it("a checkpoint forged without the key lets a raw DELETE through, and verify reports the forgery", async () => {
    const rows = await auditRows();
    const last = rows.at(-1)!;
    await env.DB.prepare(
      "INSERT INTO audit_checkpoints (through_id, head_hash, rows, cutoff, key_id, mac, created_at) VALUES (?, ?, 1, ?, ?, ?, ?)",
    )
      .bind(last.id, last.hash, last.ts, (await checkpoints())[0]!.key_id, "0".repeat(64), last.ts)
      .run();
    await env.DB.prepare("DELETE FROM audit_log WHERE id <= ?").bind(last.id).run();
    expect(await verifyAuditChain(env)).toMatchObject({ ok: false, broken: { id: last.id, event_id: null, reason: "checkpoint_forged" } });
    // Checkpoints themselves are append-only.
    await expect(env.DB.prepare("UPDATE audit_checkpoints SET mac = ?1").bind("1".repeat(64)).run()).rejects.toThrow(/UPDATE refused/);
    await expect(env.DB.prepare("DELETE FROM audit_checkpoints").run()).rejects.toThrow(/DELETE refused/);
    await expect(
      env.DB.prepare(
        "INSERT OR REPLACE INTO audit_checkpoints (through_id, head_hash, rows, cutoff, key_id, mac, created_at) VALUES (?1, 'x', 0, 'c', '0123456789abcdef', ?2, 'c')",
      )
        .bind(last.id, "1".repeat(64))
        .run(),
    ).rejects.toThrow(/this id or through_id exists/);
  });
});
