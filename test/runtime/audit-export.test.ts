/**
 * The daily export of the audit log to R2: the cron trigger's scheduled() handler (the
 * previous UTC day, and the days before it that lack their object), POST /admin/audit/export,
 * the objects' content and manifest, idempotence, a mismatch, and R2 failing.
 *
 * The tests share this file's D1 and R2 and build on each other, in order: rows are written
 * at chosen times (the writer stamps `ts` with the clock) on days in February 2026, long
 * before the real time at which the other tests' rows are written.
 */
import { createExecutionContext, createScheduledController, waitOnExecutionContext } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { afterEach, beforeAll, describe, expect, it, vi } from "vitest";
import { appendAuditEvents, auditRowHash, GENESIS_HASH, writeAuditEvent, type AuditRow } from "../../worker/audit";
import type { Env } from "../../worker/env";
import { admin, auditRows, envWithBrokenDb, json, worker } from "./admin-harness";

const at = (iso: string) => Date.parse(iso);
const CRON = "15 0 * * *";

afterEach(() => {
  vi.useRealTimers();
  vi.restoreAllMocks();
});

async function writeAt(iso: string, action: string): Promise<AuditRow> {
  vi.setSystemTime(at(iso));
  const row = await writeAuditEvent(env, { event: "config_change", actor: "token", action, target: "config", details: { action } });
  vi.useRealTimers();
  return row;
}

async function runCron(iso: string, cronEnv: Env = env): Promise<void> {
  vi.setSystemTime(at(iso));
  const ctx = createExecutionContext();
  try {
    await worker.scheduled(createScheduledController({ scheduledTime: at(iso), cron: CRON }), cronEnv, ctx);
  } finally {
    await waitOnExecutionContext(ctx);
    vi.useRealTimers();
  }
}

async function objects(): Promise<
  Map<string, { body: string; metadata: Record<string, string>; etag: string; uploaded: number; contentType?: string }>
> {
  const listed = await env.AUDIT_ARCHIVE.list({ prefix: "audit/" });
  const result = new Map();
  for (const { key } of listed.objects) {
    const object = (await env.AUDIT_ARCHIVE.get(key))!;
    result.set(key, {
      body: await object.text(),
      metadata: object.customMetadata,
      etag: object.etag,
      uploaded: object.uploaded.getTime(),
      contentType: object.httpMetadata?.contentType,
    });
  }
  return result;
}

const lines = (body: string) =>
  body
    .split("\n")
    .filter((line) => line !== "")
    .map((line) => JSON.parse(line) as AuditRow);

/** An env whose R2 bucket fails every call. */
function envWithBrokenArchive(): Env {
  const fail = () => Promise.reject(new Error("R2 internal error (test)"));
  return { ...env, AUDIT_ARCHIVE: { head: fail, get: fail, put: fail, list: fail } as unknown as R2Bucket };
}

let day1: AuditRow[];
let day2: AuditRow[];

beforeAll(async () => {
  day1 = [
    await writeAt("2026-02-10T09:00:00.000Z", "d1-a"),
    await writeAt("2026-02-10T12:00:00.000Z", "d1-b"),
    await writeAt("2026-02-10T23:59:59.999Z", "d1-c"),
  ];
  day2 = [await writeAt("2026-02-11T00:00:00.000Z", "d2-a"), await writeAt("2026-02-11T08:00:00.000Z", "d2-b")];
  // 2026-02-12: nothing happened.
});

describe("the cron trigger", () => {
  it("exports the previous UTC day and the days before it that have no object, as NDJSON with a manifest", async () => {
    await runCron("2026-02-13T00:15:00.000Z");
    const stored = await objects();
    // The days before the log's first row are not exported; the quiet day is (it proves there was nothing).
    expect([...stored.keys()]).toEqual(["audit/2026/02/10.ndjson", "audit/2026/02/11.ndjson", "audit/2026/02/12.ndjson"]);

    const first = stored.get("audit/2026/02/10.ndjson")!;
    expect(first.contentType).toBe("application/x-ndjson");
    const rows = lines(first.body);
    expect(rows).toEqual(day1);
    // The file alone verifies: each row's hash from its fields, each row linked to the one before.
    for (const [index, row] of rows.entries()) {
      expect(await auditRowHash(row.prev_hash, row)).toBe(row.hash);
      if (index > 0) expect(row.prev_hash).toBe(rows[index - 1]!.hash);
    }
    expect(first.metadata).toEqual({
      format: "loom-edge-audit-ndjson/1",
      date: "2026-02-10",
      rows: "3",
      first_id: String(day1[0]!.id),
      last_id: String(day1[2]!.id),
      first_prev_hash: GENESIS_HASH,
      head_hash: day1[2]!.hash,
      through_id: String(day2[1]!.id),
    });

    const second = stored.get("audit/2026/02/11.ndjson")!;
    expect(lines(second.body)).toEqual(day2);
    expect(second.metadata).toMatchObject({ rows: "2", first_prev_hash: day1[2]!.hash, head_hash: day2[1]!.hash });

    const quiet = stored.get("audit/2026/02/12.ndjson")!;
    expect(quiet.body).toBe("");
    expect(quiet.metadata).toMatchObject({
      rows: "0",
      first_id: "",
      last_id: "",
      first_prev_hash: day2[1]!.hash,
      head_hash: day2[1]!.hash,
    });

    // Each object written is audited, by the cron.
    const exports = await auditRows("event = 'audit_export'");
    expect(exports.map((row) => [row.actor, row.target])).toEqual([
      ["cron", "audit/2026/02/10.ndjson"],
      ["cron", "audit/2026/02/11.ndjson"],
      ["cron", "audit/2026/02/12.ndjson"],
    ]);
    expect(JSON.parse(exports[0]!.details)).toEqual({
      date: "2026-02-10",
      rows: 3,
      first_id: day1[0]!.id,
      last_id: day1[2]!.id,
      first_prev_hash: GENESIS_HASH,
      head_hash: day1[2]!.hash,
      through_id: day2[1]!.id,
    });
  });

  it("is idempotent: run again, it leaves every object as it is and writes nothing", async () => {
    const before = await objects();
    const rows = (await auditRows()).length;
    await runCron("2026-02-13T00:15:00.000Z");
    await runCron("2026-02-13T06:00:00.000Z");
    expect(await objects()).toEqual(before);
    expect(await auditRows()).toHaveLength(rows);
  });

  it("the next day exports only that day, whose rows include the previous run's audit rows", async () => {
    await runCron("2026-02-14T00:15:00.000Z");
    const stored = await objects();
    expect(stored.size).toBe(4);
    const rows = lines(stored.get("audit/2026/02/13.ndjson")!.body);
    expect(rows.map((row) => row.event)).toEqual(["audit_export", "audit_export", "audit_export"]);
    expect(rows[0]!.prev_hash).toBe(day2[1]!.hash);
  });

  it("fails the run, naming the day, when R2 cannot be reached, and exports it on a later run", async () => {
    const errors = vi.spyOn(console, "error").mockImplementation(() => {});
    await writeAt("2026-02-14T10:00:00.000Z", "d5-a");
    // Every day of the run fails: without R2 not even an exported day can be checked.
    await expect(runCron("2026-02-15T00:15:00.000Z", envWithBrokenArchive())).rejects.toThrow(
      /^audit export failed for 2026-02-08, .*, 2026-02-14$/,
    );
    expect(errors.mock.calls.map(([line]) => JSON.parse(String(line)))).toContainEqual(
      expect.objectContaining({ event: "audit_export_failed", date: "2026-02-14", store: "r2" }),
    );
    expect((await objects()).has("audit/2026/02/14.ndjson")).toBe(false);
    // The next day's run catches up.
    await runCron("2026-02-16T00:15:00.000Z");
    const stored = await objects();
    // The day holds the row of the run at its 00:15 (which exported the 13th), then d5-a.
    expect(lines(stored.get("audit/2026/02/14.ndjson")!.body).map((row) => row.action)).toEqual(["audit_export", "d5-a"]);
    expect(stored.has("audit/2026/02/15.ndjson")).toBe(true);
  });
});

describe("POST /admin/audit/export", () => {
  it("answers unchanged for an exported day, and audits the request first", async () => {
    const before = await objects();
    const res = await admin("/audit/export", json("POST", { date: "2026-02-10" }));
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({
      date: "2026-02-10",
      key: "audit/2026/02/10.ndjson",
      outcome: "unchanged",
      manifest: {
        rows: 3,
        first_id: day1[0]!.id,
        last_id: day1[2]!.id,
        first_prev_hash: GENESIS_HASH,
        head_hash: day1[2]!.hash,
        through_id: day2[1]!.id,
      },
      objects: 1,
    });
    expect(await objects()).toEqual(before);
    const [row] = (await auditRows("event = 'audit_export'")).slice(-1);
    expect(row).toMatchObject({ actor: "token", action: "audit_export", target: "audit/2026/02/10.ndjson" });
    expect(JSON.parse(row!.details)).toEqual({ date: "2026-02-10" });
  });

  it("writes a day that has no object, twice run, once written", async () => {
    await writeAt("2026-02-17T10:00:00.000Z", "d8-a");
    const first = await admin("/audit/export", json("POST", { date: "2026-02-17" }));
    expect(await first.json()).toMatchObject({ outcome: "written", manifest: { rows: 1 } });
    const stored = (await objects()).get("audit/2026/02/17.ndjson")!;
    const second = await admin("/audit/export", json("POST", { date: "2026-02-17" }));
    expect(await second.json()).toMatchObject({ outcome: "unchanged", manifest: { rows: 1 } });
    expect((await objects()).get("audit/2026/02/17.ndjson")).toEqual(stored);
  });

  it("answers empty for a day before the log's first row, and writes nothing", async () => {
    const res = await admin("/audit/export", json("POST", { date: "2025-12-31" }));
    expect(await res.json()).toMatchObject({ outcome: "empty", manifest: { rows: 0, head_hash: GENESIS_HASH } });
    expect((await objects()).has("audit/2025/12/31.ndjson")).toBe(false);
  });

  it("keeps a day's rows in chain order and only that day's, across pages, when clocks disagree at midnight", async () => {
    const events = (prefix: string, count: number) =>
      Array.from({ length: count }, (_, i) => ({
        eventId: crypto.randomUUID(),
        event: "route_match" as const,
        actor: "gateway",
        action: `${prefix}-${i}`,
        target: "routes/r",
      }));
    vi.setSystemTime(at("2026-02-20T12:00:00.000Z"));
    for (let i = 0; i < 12; i++) await appendAuditEvents(env, events(`bulk${i}`, 100));
    vi.setSystemTime(at("2026-02-21T00:00:00.001Z"));
    await appendAuditEvents(env, events("next-day", 1));
    // A writer whose clock is behind: its row comes after the next day's, stamped the day before.
    vi.setSystemTime(at("2026-02-20T23:59:59.999Z"));
    await appendAuditEvents(env, events("late", 1));
    vi.useRealTimers();

    const res = await admin("/audit/export", json("POST", { date: "2026-02-20" }));
    expect(res.status).toBe(200);
    const body = await res.json<{ manifest: { rows: number; last_id: number } }>();
    const exported = lines((await objects()).get("audit/2026/02/20.ndjson")!.body);
    expect(exported).toHaveLength(1201);
    expect(body.manifest.rows).toBe(1201);
    expect(exported.map((row) => row.id)).toEqual([...exported.map((row) => row.id)].sort((a, b) => a - b));
    expect(exported.at(-1)).toMatchObject({ action: "late-0", id: body.manifest.last_id });
    expect(exported.some((row) => row.action === "next-day-0")).toBe(false);
    expect(exported).toEqual(await auditRows("ts >= '2026-02-20' AND ts < '2026-02-21'"));
  });

  it.each([
    [{ date: "2026-02-30" }, "date"],
    [{ date: "20260210" }, "date"],
    [{ day: "2026-02-10" }, "(root)"],
    [{ date: new Date().toISOString().slice(0, 10) }, "date"],
    [{ date: "2999-01-01" }, "date"],
  ])("refuses %j with 400", async (body, path) => {
    const res = await admin("/audit/export", json("POST", body));
    expect(res.status).toBe(400);
    const answer = await res.json<{ error: string; issues: { path: string }[] }>();
    expect(answer.error).toBe("invalid_export");
    expect(answer.issues.map((issue) => issue.path)).toContain(path);
  });

  it("answers 409 when the object's manifest no longer matches the database, and leaves the object alone", async () => {
    const errors = vi.spyOn(console, "error").mockImplementation(() => {});
    const key = "audit/2026/02/11.ndjson";
    const original = (await objects()).get(key)!;
    // As if the database had lost a row since: the archived manifest says 3 rows, not 2.
    await env.AUDIT_ARCHIVE.put(key, original.body, { customMetadata: { ...original.metadata, rows: "3" } });
    const res = await admin("/audit/export", json("POST", { date: "2026-02-11" }));
    expect(res.status).toBe(409);
    expect(await res.json()).toMatchObject({
      error: "archive_mismatch",
      key,
      archived: { rows: 3 },
      manifest: { rows: 2, head_hash: day2[1]!.hash },
    });
    expect((await objects()).get(key)!.metadata.rows).toBe("3");
    // The cron run within the catch-up days fails on it too.
    await expect(runCron("2026-02-16T00:15:00.000Z")).rejects.toThrow(/2026-02-11 \(archive mismatch\)/);
    expect(errors.mock.calls.map(([line]) => JSON.parse(String(line)))).toContainEqual(
      expect.objectContaining({ event: "audit_export", date: "2026-02-11", outcome: "mismatch" }),
    );
  });

  it("answers 503 when R2 or D1 cannot be reached, before exporting when the audit row cannot be written", async () => {
    vi.spyOn(console, "error").mockImplementation(() => {});
    const r2 = await admin("/audit/export", { ...json("POST", { date: "2026-02-10" }), env: envWithBrokenArchive() });
    expect(r2.status).toBe(503);
    expect(await r2.json()).toMatchObject({ error: "archive_unavailable" });
    const noAuditRow = await admin("/audit/export", { ...json("POST", { date: "2026-02-10" }), env: envWithBrokenDb() });
    expect(noAuditRow.status).toBe(503);
    expect(await noAuditRow.json()).toMatchObject({ error: "audit_unavailable" });
    // The audit row written, then D1 fails as the day is read.
    const readsFail = new Proxy(env.DB, {
      get(target, property) {
        if (property === "prepare") {
          return (sql: string) => {
            if (sql.startsWith("SELECT count(*)")) throw new Error("D1_ERROR: database unavailable (test)");
            return target.prepare(sql);
          };
        }
        const value = Reflect.get(target, property);
        return typeof value === "function" ? value.bind(target) : value;
      },
    });
    const d1 = await admin("/audit/export", { ...json("POST", { date: "2026-02-10" }), env: { ...env, DB: readsFail } });
    expect(d1.status).toBe(503);
    expect(await d1.json()).toMatchObject({ error: "audit_store_unavailable" });
  });
});
