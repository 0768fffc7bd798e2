/**
 * The daily export of the audit log to R2 (binding AUDIT_ARCHIVE, bucket loom-edge-audit),
 * kept there under a bucket lock (README, "The audit log"): the rows whose `ts` falls on a UTC
 * day, in chain (id) order, one JSON object per line with every column as stored (`details`
 * as its canonical text), so each row's hash can be recomputed from the file alone
 * (worker/audit/chain.ts).
 *
 * A day is one object, `audit/YYYY/MM/DD.ndjson`, plus a supplementary object for each later
 * export that found rows the earlier ones lack: `DD.1.ndjson`, `DD.2.ndjson`, … A row's `ts` is
 * its write time and writers' clocks disagree (a request-path event reaches D1 through the
 * queue seconds later, by a writer whose clock may be behind), so a day can gain rows after it
 * was exported; the bucket is locked, so nothing is ever replaced. Those rows always have
 * higher ids than every row present at the earlier export (ids only grow), so each object
 * covers an id range: the rows of the day with `id` in (the previous object's `through_id`,
 * its own `through_id`], where `through_id` is the log's highest id when it was exported. The
 * day's objects together hold each of its rows once.
 *
 * Each object's custom metadata is its manifest: `rows`, `first_id`, `last_id`,
 * `first_prev_hash` (the hash its first row chains onto), `head_hash` (its last row's hash,
 * or, for an object without rows, the head at the end of the day among ids up to
 * `through_id`) and `through_id`. The head hashes kept outside D1 are what a rewrite of the
 * whole chain from some row on could not match.
 *
 * Idempotent: exporting a day compares each existing object's manifest with what the
 * database holds for its range. All equal and nothing new is `unchanged`; rows beyond the
 * last object go into the next supplementary object (`written`); a difference is `mismatch`
 * (a row changed or missing), reported and left alone. Rows that retention pruned
 * (retention.ts) are not compared: the archive is then their only copy. Days before
 * the first row of the log are not exported at all (`empty`).
 *
 * Memory stays flat whatever a day holds: the rows are read in pages, once to measure the
 * object and once to stream it into R2 with that length (FixedLengthStream).
 */
import type { Env } from "../env";
import { errorName, log } from "../observability/logger";
import { GENESIS_HASH } from "./chain";
import type { AuditRow } from "./types";
import { writeAuditEvent } from "./writer";

export const ARCHIVE_FORMAT = "loom-edge-audit-ndjson/1";
/** The cron run checks the previous day and the days before it, this many in all: each gets the objects it lacks. */
export const CATCH_UP_DAYS = 7;
/** A day is exported once it has been over for this long (a write that started before midnight has landed). */
export const EXPORT_GRACE_MS = 5 * 60_000;

export const DAY_MS = 86_400_000;
const PAGE_SIZE = 500;

export interface ArchiveManifest {
  rows: number;
  first_id: number | null;
  last_id: number | null;
  first_prev_hash: string;
  head_hash: string;
  /** The log's highest id when the object was exported; objects of format 1 without it cover up to last_id. */
  through_id: number | null;
}

export type ExportOutcome = "written" | "unchanged" | "mismatch" | "empty";

export interface ExportResult {
  date: string;
  /** The object written, found different, or (unchanged) the day's last object. */
  key: string;
  outcome: ExportOutcome;
  /** What the database holds for that object's range. */
  manifest: ArchiveManifest;
  /** What the object says, on a mismatch. */
  archived?: ArchiveManifest;
  /** How many objects the day has now. */
  objects: number;
}

/** Which store failed, for the admin API's 503. */
export class ArchiveStoreError extends Error {
  constructor(
    readonly store: "d1" | "r2",
    cause: unknown,
  ) {
    super(`${store === "d1" ? "the audit log (D1)" : "the archive bucket (R2)"} failed`, { cause });
    this.name = "ArchiveStoreError";
  }
}

async function on<T>(store: "d1" | "r2", operation: () => Promise<T>): Promise<T> {
  try {
    return await operation();
  } catch (error) {
    throw error instanceof ArchiveStoreError ? error : new ArchiveStoreError(store, error);
  }
}

/** `YYYY-MM-DD` of a UTC day, and the day of such a date (days since the epoch). */
const dateOf = (day: number) => new Date(day * DAY_MS).toISOString().slice(0, 10);
const dayOf = (date: string) => Math.floor(Date.parse(`${date}T00:00:00Z`) / DAY_MS);

/** The day's first object (`part` 0) and its supplementary objects. */
export const archiveKey = (date: string, part = 0) =>
  `audit/${date.slice(0, 4)}/${date.slice(5, 7)}/${date.slice(8, 10)}${part === 0 ? "" : `.${part}`}.ndjson`;

/** Whether the UTC day `date` may be exported at `now`: over, and by EXPORT_GRACE_MS. */
export function exportable(date: string, now: number): boolean {
  return (dayOf(date) + 1) * DAY_MS + EXPORT_GRACE_MS <= now;
}

function range(date: string): [start: string, end: string] {
  const day = dayOf(date);
  return [new Date(day * DAY_MS).toISOString(), new Date((day + 1) * DAY_MS).toISOString()];
}

/** The ids of the day's rows one object covers: after `from`, up to `through` (no bound: every row). */
interface IdRange {
  from: number;
  through: number | null;
}

/** What the database holds for the day's rows in `range`; `through_id` is the bound, or the log's highest id now. */
async function databaseManifest(db: D1Database, date: string, range_: IdRange): Promise<ArchiveManifest> {
  const [start, end] = range(date);
  const through = range_.through ?? Number.MAX_SAFE_INTEGER;
  const [counted, highest] = await db.batch([
    db
      .prepare(
        "SELECT count(*) AS rows, min(id) AS first_id, max(id) AS last_id FROM audit_log WHERE ts >= ? AND ts < ? AND id > ? AND id <= ?",
      )
      .bind(start, end, range_.from, through),
    db.prepare("SELECT max(id) AS id FROM audit_log"),
  ]);
  const {
    rows = 0,
    first_id = null,
    last_id = null,
  } = (counted!.results[0] ?? {}) as { rows?: number; first_id?: number | null; last_id?: number | null };
  const through_id = range_.through ?? (highest!.results[0] as { id: number | null } | undefined)?.id ?? 0;
  if (rows === 0 || first_id === null || last_id === null) {
    const before = await db
      .prepare("SELECT hash FROM audit_log WHERE ts < ? AND id <= ? ORDER BY ts DESC, id DESC LIMIT 1")
      .bind(end, through_id)
      .first<{ hash: string }>();
    const head = before?.hash ?? GENESIS_HASH;
    return { rows: 0, first_id: null, last_id: null, first_prev_hash: head, head_hash: head, through_id };
  }
  const [first, last] = await db.batch<{ hash: string }>([
    db.prepare("SELECT prev_hash AS hash FROM audit_log WHERE id = ?").bind(first_id),
    db.prepare("SELECT hash FROM audit_log WHERE id = ?").bind(last_id),
  ]);
  return { rows, first_id, last_id, first_prev_hash: first!.results[0]!.hash, head_hash: last!.results[0]!.hash, through_id };
}

function toMetadata(date: string, manifest: ArchiveManifest): Record<string, string> {
  return {
    format: ARCHIVE_FORMAT,
    date,
    rows: String(manifest.rows),
    first_id: manifest.first_id === null ? "" : String(manifest.first_id),
    last_id: manifest.last_id === null ? "" : String(manifest.last_id),
    first_prev_hash: manifest.first_prev_hash,
    head_hash: manifest.head_hash,
    through_id: String(manifest.through_id),
  };
}

function fromMetadata(metadata: Record<string, string> | undefined): ArchiveManifest {
  const id = (text: string | undefined) => (text ? Number(text) : null);
  return {
    rows: Number(metadata?.rows ?? Number.NaN),
    first_id: id(metadata?.first_id),
    last_id: id(metadata?.last_id),
    first_prev_hash: metadata?.first_prev_hash ?? "",
    head_hash: metadata?.head_hash ?? "",
    through_id: id(metadata?.through_id),
  };
}

/**
 * Whether the database still holds what an object archived. Rows retention pruned are not
 * compared (the archive is their only copy): an object whose first row is pruned is taken as
 * it is, and an object without rows is checked for its head only while nothing is pruned (the
 * head may be a pruned row). An object without rows written before `through_id` existed
 * proves only that: its head depended on rows written later.
 */
function sameManifest(archived: ArchiveManifest, database: ArchiveManifest, pruned: number): boolean {
  if (archived.first_id !== null && archived.first_id <= pruned) return true;
  if (archived.rows !== database.rows || archived.first_id !== database.first_id || archived.last_id !== database.last_id) return false;
  if (archived.rows === 0 && (archived.through_id === null || pruned > 0)) return true;
  return archived.first_prev_hash === database.first_prev_hash && archived.head_hash === database.head_hash;
}

/** The manifests of the day's objects, in order (the first missing part ends them). */
async function archivedManifests(env: Env, date: string): Promise<ArchiveManifest[]> {
  const manifests: ArchiveManifest[] = [];
  for (;;) {
    const existing = await on("r2", () => env.AUDIT_ARCHIVE.head(archiveKey(date, manifests.length)));
    if (!existing) return manifests;
    manifests.push(fromMetadata(existing.customMetadata));
  }
}

/** The id through which retention pruned the log (0: nothing pruned). */
export async function prunedThrough(db: D1Database): Promise<number> {
  const row = await db.prepare("SELECT max(through_id) AS id FROM audit_checkpoints").first<{ id: number | null }>();
  return row?.id ?? 0;
}

/** The day's rows as NDJSON, a page of lines at a time, in id order. */
async function* ndjsonPages(db: D1Database, date: string, manifest: ArchiveManifest): AsyncGenerator<Uint8Array> {
  if (manifest.first_id === null || manifest.last_id === null) return;
  // The range [first_id, last_id] holds no row of the day outside this object: every row of
  // the day below first_id was archived before, and none above last_id existed when counted.
  const [start, end] = range(date);
  const encoder = new TextEncoder();
  // NOT INDEXED: walk the id range of the day in the table itself (no sort), whatever the
  // planner would guess; rows of a neighbouring day inside the range are filtered out.
  const page = db.prepare("SELECT * FROM audit_log NOT INDEXED WHERE id > ? AND id <= ? AND ts >= ? AND ts < ? ORDER BY id LIMIT ?");
  let after = manifest.first_id - 1;
  for (;;) {
    const { results } = await page.bind(after, manifest.last_id, start, end, PAGE_SIZE).all<AuditRow>();
    if (results.length === 0) return;
    yield encoder.encode(results.map((row) => `${JSON.stringify(row)}\n`).join(""));
    after = results.at(-1)!.id;
    if (results.length < PAGE_SIZE) return;
  }
}

async function upload(env: Env, key: string, date: string, manifest: ArchiveManifest): Promise<void> {
  const options: R2PutOptions = { httpMetadata: { contentType: "application/x-ndjson" }, customMetadata: toMetadata(date, manifest) };
  let length = 0;
  await on("d1", async () => {
    for await (const chunk of ndjsonPages(env.DB, date, manifest)) length += chunk.byteLength;
  });
  if (length === 0) {
    await on("r2", () => env.AUDIT_ARCHIVE.put(key, "", options));
    return;
  }
  const { readable, writable } = new FixedLengthStream(length);
  const stored = on("r2", () => env.AUDIT_ARCHIVE.put(key, readable, options));
  const written = on("d1", async () => {
    const writer = writable.getWriter();
    try {
      for await (const chunk of ndjsonPages(env.DB, date, manifest)) await writer.write(chunk);
      await writer.close();
    } catch (error) {
      // A length that no longer matches also ends here: R2 then refuses the object.
      await writer.abort(error).catch(() => {});
      throw error;
    }
  });
  await Promise.all([stored, written]);
}

/** Exports one past UTC day (`YYYY-MM-DD`); the caller checks `exportable`. */
export async function exportAuditDay(env: Env, date: string): Promise<ExportResult> {
  const archived = await archivedManifests(env, date);
  const pruned = await on("d1", () => prunedThrough(env.DB));
  let from = 0;
  for (const [part, object] of archived.entries()) {
    // Format 1 objects without through_id covered the day's rows up to their last one.
    const through = object.through_id ?? object.last_id ?? from;
    const manifest = await on("d1", () => databaseManifest(env.DB, date, { from, through }));
    if (!sameManifest(object, manifest, pruned))
      return { date, key: archiveKey(date, part), outcome: "mismatch", manifest, archived: object, objects: archived.length };
    from = Math.max(from, through);
  }
  const rest = await on("d1", () => databaseManifest(env.DB, date, { from, through: null }));
  const key = archiveKey(date, archived.length);
  if (archived.length > 0 && rest.rows === 0)
    return { date, key: archiveKey(date, archived.length - 1), outcome: "unchanged", manifest: archived.at(-1)!, objects: archived.length };
  if (rest.rows === 0 && rest.head_hash === GENESIS_HASH) return { date, key, outcome: "empty", manifest: rest, objects: 0 };
  await upload(env, key, date, rest);
  return { date, key, outcome: "written", manifest: rest, objects: archived.length + 1 };
}

/** The audit row of an export that wrote an object. */
function exportAuditEvent(result: ExportResult, actor: string) {
  return {
    event: "audit_export" as const,
    actor,
    action: "audit_export",
    target: result.key,
    details: { date: result.date, ...result.manifest },
  };
}

/**
 * Exports a day for a job (the cron, the retention job): logs the outcome, and audits each
 * object written, by `actor`, after it (the job's own row says why it ran).
 */
export async function exportDayForJob(env: Env, date: string, actor: string): Promise<ExportResult> {
  const result = await exportAuditDay(env, date);
  const level = result.outcome === "mismatch" ? "error" : "info";
  log[level]("audit_export", {
    date,
    object: result.key,
    outcome: result.outcome,
    rows: result.manifest.rows,
    head_hash: result.manifest.head_hash,
  });
  if (result.outcome === "written") {
    await writeAuditEvent(env, exportAuditEvent(result, actor)).catch((error: unknown) => {
      log.error("audit_export_audit_failed", { date, name: errorName(error) });
    });
  }
  return result;
}

/**
 * The cron trigger's run: the UTC day before `scheduledTime`, and the CATCH_UP_DAYS - 1 days
 * before it, each checked against its objects and given a supplementary object for rows it
 * gained since (or its first object, after a run that failed or did not happen). Every day is
 * tried; the run fails, naming the days, if any failed or an object no longer matches the
 * database, so the cron event shows it besides the error logged.
 */
export async function runScheduledExport(env: Env, scheduledTime: number): Promise<ExportResult[]> {
  const yesterday = Math.floor(scheduledTime / DAY_MS) - 1;
  const results: ExportResult[] = [];
  const failed: string[] = [];
  for (let day = yesterday - CATCH_UP_DAYS + 1; day <= yesterday; day++) {
    const date = dateOf(day);
    if (!exportable(date, scheduledTime)) continue;
    try {
      const result = await exportDayForJob(env, date, "cron");
      results.push(result);
      if (result.outcome === "mismatch") failed.push(`${date} (archive mismatch)`);
    } catch (error) {
      failed.push(date);
      log.error("audit_export_failed", {
        date,
        store: error instanceof ArchiveStoreError ? error.store : undefined,
        name: errorName(error),
      });
    }
  }
  if (failed.length > 0) throw new Error(`audit export failed for ${failed.join(", ")}`);
  return results;
}
