/**
 * Retention of the audit log (`audit.retention` in the config; off by default). D1 caps a
 * database at 10 GB, so rows older than the retention, once exported to R2 and anchored by a
 * keyed head, are pruned oldest first by this job: the cron trigger after its export, or
 * `POST /admin/audit/prune`. Nothing else can delete a row (migration 0008).
 *
 * One run:
 *   1. finishes a run that stopped after its checkpoint (deletes what that checkpoint covers);
 *   2. picks the rows to prune: a prefix of the chain (ids up to `through_id`) whose rows were
 *      all written before the cutoff (the start of the UTC day `retention` days ago), at most
 *      MAX_DAYS_PER_RUN days of them, so the remaining chain stays one chain;
 *   3. exports each of their days (audited; supplementary objects for rows gained since), and
 *      stops at an archive mismatch: the archive is then the rows' only copy, so it must hold
 *      them all;
 *   4. verifies the chain up to the first head keyed with AUDIT_HMAC_KEY at or after
 *      `through_id`: no row is pruned that is not anchored, or over evidence of tampering;
 *   5. writes its `audit_prune` row, then a checkpoint (through_id, that row's hash, under
 *      HMAC with the key), then deletes the rows and heads up to through_id, in chunks. The
 *      DELETE trigger allows exactly the rows a checkpoint covers; verify starts from it.
 */
import type { Env } from "../env";
import { errorName, log } from "../observability/logger";
import type { AuditEvent } from "./types";
import { anchorKeys, checkpointMac } from "./anchor";
import { ArchiveStoreError, DAY_MS, exportDayForJob, prunedThrough } from "./archive";
import { verifyAuditChain } from "./chain";
import { writeAuditEvent } from "./writer";

/** Days of rows one run prunes at most (each is exported first); a backlog takes several runs. */
const MAX_DAYS_PER_RUN = 31;
/** Rows per DELETE statement, so no statement runs long. */
const DELETE_CHUNK = 5000;

export type PruneOutcome = "pruned" | "nothing" | "unanchored" | "blocked";

export interface PruneResult {
  outcome: PruneOutcome;
  /** Rows written before this time are due (the start of the UTC day `retention` days ago). */
  cutoff: string;
  /** The checkpoint this run wrote: rows up to this id are pruned. */
  through_id: number | null;
  rows: number;
  /** Why nothing was pruned (unanchored, blocked). */
  reason?: string;
}

const iso = (ms: number) => new Date(ms).toISOString();

/** Deletes the rows and heads a checkpoint covers, a chunk at a time. */
async function deleteThrough(db: D1Database, throughId: number): Promise<void> {
  for (const sql of [
    "DELETE FROM audit_log WHERE id IN (SELECT id FROM audit_log WHERE id <= ?1 ORDER BY id LIMIT ?2)",
    "DELETE FROM audit_anchors WHERE id IN (SELECT id FROM audit_anchors WHERE head_id <= ?1 ORDER BY id LIMIT ?2)",
  ]) {
    for (;;) {
      const { meta } = await db.prepare(sql).bind(throughId, DELETE_CHUNK).run();
      if (meta.changes < DELETE_CHUNK) break;
    }
  }
}

/** The highest id such that every row up to it was written before `before` (ISO), or 0. */
async function lastIdBefore(db: D1Database, before: string): Promise<number> {
  const [kept, highest] = await db.batch<{ id: number | null }>([
    db.prepare("SELECT min(id) AS id FROM audit_log WHERE ts >= ?").bind(before),
    db.prepare("SELECT max(id) AS id FROM audit_log"),
  ]);
  const firstKept = kept!.results[0]?.id ?? null;
  return firstKept === null ? (highest!.results[0]?.id ?? 0) : firstKept - 1;
}

/** Who runs the job: `cron`, or the admin and their request. */
export type PruneAuthor = Pick<AuditEvent, "actor" | "ip" | "userAgent" | "requestId">;

/**
 * Runs the retention job once at `now`, for `retentionDays`, recording `author` as who ran it.
 * Throws ArchiveStoreError when D1 or R2 fails; what was done before stays consistent (a
 * checkpoint is written before any delete, and the next run finishes its deletes).
 */
export async function pruneAuditLog(env: Env, retentionDays: number, now: number, author: PruneAuthor): Promise<PruneResult> {
  const db = env.DB;
  const cutoffMs = (Math.floor(now / DAY_MS) - retentionDays) * DAY_MS;
  const cutoff = iso(cutoffMs);
  const nothing = (outcome: PruneOutcome, reason?: string): PruneResult => ({
    outcome,
    cutoff,
    through_id: null,
    rows: 0,
    ...(reason ? { reason } : {}),
  });
  const { current: key } = await anchorKeys(env);
  if (!key) return nothing("unanchored", "AUDIT_HMAC_KEY is not set: rows are pruned only once a keyed head anchors them");

  const pruned = await prunedThrough(db);
  await deleteThrough(db, pruned);
  const first = await db
    .prepare("SELECT id, ts FROM audit_log WHERE id > ? ORDER BY id LIMIT 1")
    .bind(pruned)
    .first<{ id: number; ts: string }>();
  if (!first || first.ts >= cutoff) return nothing("nothing");
  const firstDay = Math.floor(Date.parse(first.ts) / DAY_MS);
  const until = Math.min(cutoffMs, (firstDay + MAX_DAYS_PER_RUN) * DAY_MS);
  const throughId = await lastIdBefore(db, iso(until));
  if (throughId <= pruned) return nothing("nothing");

  // Exported: every day the rows fall on has objects that hold them (each export covers the
  // rows up to the log's highest id at that moment, so all rows up to throughId).
  const days = await db
    .prepare("SELECT DISTINCT substr(ts, 1, 10) AS date FROM audit_log WHERE id > ? AND id <= ? ORDER BY date")
    .bind(pruned, throughId)
    .all<{ date: string }>();
  for (const { date } of days.results) {
    const result = await exportDayForJob(env, date, author.actor);
    if (result.outcome === "mismatch")
      return nothing("blocked", `${result.key} does not match the database (archive_mismatch): nothing is pruned until it is explained`);
  }

  // Anchored and intact: verified up to the first keyed head at or after throughId.
  const head = await db
    .prepare("SELECT min(head_id) AS id FROM audit_anchors WHERE head_id >= ? AND key_id = ?")
    .bind(throughId, key.id)
    .first<{ id: number | null }>();
  if (head?.id == null)
    return nothing(
      "unanchored",
      `no head keyed with AUDIT_HMAC_KEY covers row ${throughId} yet (rows written while the key was unset are anchored by the next append)`,
    );
  const verified = await verifyAuditChain(env, { through: head.id });
  if (!verified.ok)
    return nothing(
      "blocked",
      `the audit log fails verification at row ${verified.broken.id} (${verified.broken.reason}): nothing is pruned over it`,
    );

  const [counted, last] = await db.batch<{ value: number | string }>([
    db.prepare("SELECT count(*) AS value FROM audit_log WHERE id > ? AND id <= ?").bind(pruned, throughId),
    db.prepare("SELECT hash AS value FROM audit_log WHERE id = ?").bind(throughId),
  ]);
  const rows = Number(counted!.results[0]!.value);
  const headHash = String(last!.results[0]!.value);
  await writeAuditEvent(env, {
    event: "audit_prune",
    ...author,
    action: "audit_prune",
    target: "audit_log",
    details: { cutoff, retention_days: retentionDays, from_id: pruned + 1, through_id: throughId, rows, head_hash: headHash },
  });
  const inserted = await db
    .prepare(
      `INSERT INTO audit_checkpoints (through_id, head_hash, rows, cutoff, key_id, mac, created_at)
       SELECT ?1, ?2, ?3, ?4, ?5, ?6, ?7 WHERE (SELECT hash FROM audit_log WHERE id = ?1) = ?2
         AND ?1 > coalesce((SELECT max(through_id) FROM audit_checkpoints), 0)
       RETURNING through_id`,
    )
    .bind(throughId, headHash, rows, cutoff, key.id, await checkpointMac(key, throughId, headHash), iso(Date.now()))
    .first();
  // Another run checkpointed first: it prunes these rows.
  if (!inserted) return nothing("nothing");
  await deleteThrough(db, throughId);
  return { outcome: "pruned", cutoff, through_id: throughId, rows };
}

/** The cron's retention run: logs what it did; fails the cron event when blocked. */
export async function runScheduledPrune(env: Env, retentionDays: number, scheduledTime: number): Promise<PruneResult> {
  let result: PruneResult;
  try {
    result = await pruneAuditLog(env, retentionDays, scheduledTime, { actor: "cron" });
  } catch (error) {
    log.error("audit_prune_failed", { store: error instanceof ArchiveStoreError ? error.store : undefined, name: errorName(error) });
    throw error;
  }
  const level = result.outcome === "blocked" ? "error" : result.outcome === "unanchored" ? "warn" : "info";
  log[level]("audit_prune", { ...result });
  if (result.outcome === "blocked") throw new Error(`audit retention blocked: ${result.reason}`);
  return result;
}
