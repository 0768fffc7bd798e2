/**
 * A day that gains rows after it was exported (worker/audit/archive.ts): a writer whose clock
 * is behind, or a queue delivery that lands after the export, stamps a row with a day that
 * already has its object. The bucket is locked, so the rows go into a supplementary object
 * (`DD.1.ndjson`, …), never into the existing one; the day's objects together hold each row
 * once; the cron does not fail on such a day (no error loop); only a changed or missing row
 * is reported as a mismatch.
 */
import { createExecutionContext, createScheduledController, waitOnExecutionContext } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { afterEach, describe, expect, it, vi } from "vitest";
import { appendAuditEvents, type AuditRow } from "../../worker/audit";
import { admin, auditRows, json, worker } from "./admin-harness";

const at = (iso: string) => Date.parse(iso);

afterEach(() => {
  vi.useRealTimers();
  vi.restoreAllMocks();
});

/** A request-path row as the queue consumer writes it, by a writer whose clock says `iso`. */
async function writeAt(iso: string, action: string): Promise<AuditRow> {
  vi.setSystemTime(at(iso));
  const eventId = crypto.randomUUID();
  await appendAuditEvents(env, [{ eventId, event: "route_match", actor: "gateway", action, target: "routes/r" }]);
  vi.useRealTimers();
  return (await auditRows("event_id = ?", eventId))[0]!;
}

async function runCron(iso: string): Promise<void> {
  vi.setSystemTime(at(iso));
  const ctx = createExecutionContext();
  try {
    await worker.scheduled(createScheduledController({ scheduledTime: at(iso), cron: "15 0 * * *" }), env, ctx);
  } finally {
    await waitOnExecutionContext(ctx);
    vi.useRealTimers();
  }
}

async function dayObjects(prefix: string): Promise<{ key: string; rows: AuditRow[]; metadata: Record<string, string> }[]> {
  const listed = await env.AUDIT_ARCHIVE.list({ prefix });
  const result = [];
  for (const { key } of listed.objects) {
    const object = (await env.AUDIT_ARCHIVE.get(key))!;
    const rows = (await object.text())
      .split("\n")
      .filter((line) => line !== "")
      .map((line) => JSON.parse(line) as AuditRow);
    result.push({ key, rows, metadata: object.customMetadata ?? {} });
  }
  return result;
}

const exportDay = async (date: string) => {
  const res = await admin("/audit/export", json("POST", { date }));
  return { status: res.status, body: await res.json<Record<string, unknown>>() };
};

describe("rows that arrive after the day was exported", () => {
  it("go into a supplementary object, and the day's objects hold each row once", async () => {
    const early = [await writeAt("2026-03-10T08:00:00.000Z", "early-1"), await writeAt("2026-03-10T20:00:00.000Z", "early-2")];
    await writeAt("2026-03-11T00:01:00.000Z", "next-day");
    expect(await exportDay("2026-03-10")).toMatchObject({
      status: 200,
      body: { outcome: "written", key: "audit/2026/03/10.ndjson", objects: 1, manifest: { rows: 2 } },
    });

    // A writer whose clock is 10 minutes behind, and a queue delivery of the day's last window.
    const late = [await writeAt("2026-03-10T23:55:00.000Z", "late-1"), await writeAt("2026-03-10T23:59:59.000Z", "late-2")];
    const again = await exportDay("2026-03-10");
    expect(again).toMatchObject({
      status: 200,
      body: {
        outcome: "written",
        key: "audit/2026/03/10.1.ndjson",
        objects: 2,
        manifest: { rows: 2, first_id: late[0]!.id, last_id: late[1]!.id },
      },
    });

    const objects = await dayObjects("audit/2026/03/10.");
    expect(objects.map((object) => object.key)).toEqual(["audit/2026/03/10.1.ndjson", "audit/2026/03/10.ndjson"]);
    const all = objects.flatMap((object) => object.rows).sort((a, b) => a.id - b.id);
    expect(all).toEqual(await auditRows("ts >= '2026-03-10' AND ts < '2026-03-11'"));
    expect(all.map((row) => row.action)).toEqual([...early, ...late].map((row) => row.action));
    expect(new Set(all.map((row) => row.id)).size).toBe(all.length);
    const supplement = objects[0]!;
    expect(supplement.rows.map((row) => row.action)).toEqual(["late-1", "late-2"]);
    expect(Number(supplement.metadata.through_id)).toBeGreaterThanOrEqual(late[1]!.id);

    // Idempotent from then on: nothing new, nothing written.
    expect(await exportDay("2026-03-10")).toMatchObject({
      status: 200,
      body: { outcome: "unchanged", key: "audit/2026/03/10.1.ndjson", objects: 2 },
    });
    expect(await dayObjects("audit/2026/03/10.")).toEqual(objects);
  });

  it("do not make the cron fail day after day: it writes the supplement once", async () => {
    await writeAt("2026-03-12T10:00:00.000Z", "d12");
    await runCron("2026-03-13T00:15:00.000Z");
    await writeAt("2026-03-12T23:58:00.000Z", "d12-late");
    await runCron("2026-03-14T00:15:00.000Z");
    await runCron("2026-03-15T00:15:00.000Z");
    const objects = await dayObjects("audit/2026/03/12.");
    expect(objects.map((object) => [object.key, object.rows.map((row) => row.action)])).toEqual([
      ["audit/2026/03/12.1.ndjson", ["d12-late"]],
      ["audit/2026/03/12.ndjson", ["d12"]],
    ]);
    const exports = await auditRows("event = 'audit_export' AND target LIKE 'audit/2026/03/12%'");
    expect(exports.map((row) => row.target)).toEqual(["audit/2026/03/12.ndjson", "audit/2026/03/12.1.ndjson"]);
  });

  it("supplement an object written before through_id existed, also a quiet day's", async () => {
    const before = await writeAt("2026-03-20T10:00:00.000Z", "d20");
    // Objects as the previous version wrote them: no through_id.
    const legacy = (rows: number, first: AuditRow | undefined, head: string) => ({
      customMetadata: {
        format: "loom-edge-audit-ndjson/1",
        date: "x",
        rows: String(rows),
        first_id: first ? String(first.id) : "",
        last_id: first ? String(first.id) : "",
        first_prev_hash: first?.prev_hash ?? head,
        head_hash: head,
      },
    });
    await env.AUDIT_ARCHIVE.put("audit/2026/03/20.ndjson", `${JSON.stringify(before)}\n`, legacy(1, before, before.hash));
    await env.AUDIT_ARCHIVE.put("audit/2026/03/21.ndjson", "", legacy(0, undefined, before.hash));
    const late20 = await writeAt("2026-03-20T23:59:00.000Z", "d20-late");
    const late21 = await writeAt("2026-03-21T23:59:00.000Z", "d21-late");
    expect(await exportDay("2026-03-20")).toMatchObject({
      body: { outcome: "written", key: "audit/2026/03/20.1.ndjson", manifest: { rows: 1, first_id: late20.id } },
    });
    expect(await exportDay("2026-03-21")).toMatchObject({
      body: { outcome: "written", key: "audit/2026/03/21.1.ndjson", manifest: { rows: 1, first_id: late21.id } },
    });
  });
});

describe("what is still a mismatch", () => {
  it("a changed row or a missing row answers 409 archive_mismatch naming the object, which is left alone", async () => {
    vi.spyOn(console, "error").mockImplementation(() => {});
    const rows = [
      await writeAt("2026-03-25T09:00:00.000Z", "d25-a"),
      await writeAt("2026-03-25T10:00:00.000Z", "d25-b"),
      await writeAt("2026-03-25T11:00:00.000Z", "d25-c"),
    ];
    await exportDay("2026-03-25");
    await writeAt("2026-03-25T23:59:00.000Z", "d25-late");
    await exportDay("2026-03-25");
    const objects = await dayObjects("audit/2026/03/25.");

    await env.DB.exec("DROP TRIGGER audit_log_no_update");
    await env.DB.prepare("UPDATE audit_log SET hash = ? WHERE id = ?").bind("f".repeat(64), rows[2]!.id).run();
    const changed = await exportDay("2026-03-25");
    expect(changed).toMatchObject({
      status: 409,
      body: {
        error: "archive_mismatch",
        key: "audit/2026/03/25.ndjson",
        archived: { head_hash: rows[2]!.hash },
        manifest: { head_hash: "f".repeat(64) },
      },
    });
    await env.DB.prepare("UPDATE audit_log SET hash = ? WHERE id = ?").bind(rows[2]!.hash, rows[2]!.id).run();

    await env.DB.exec("DROP TRIGGER audit_log_no_delete");
    await env.DB.prepare("DELETE FROM audit_log WHERE id = ?").bind(rows[1]!.id).run();
    const missing = await exportDay("2026-03-25");
    expect(missing).toMatchObject({
      status: 409,
      body: { error: "archive_mismatch", key: "audit/2026/03/25.ndjson", archived: { rows: 3 }, manifest: { rows: 2 } },
    });
    expect(await dayObjects("audit/2026/03/25.")).toEqual(objects);
  });
});
