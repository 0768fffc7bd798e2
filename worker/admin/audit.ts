/**
 * The audit log, read-only plus its export: list rows with filters and cursor pagination,
 * verify the hash chain, export a UTC day to R2 on demand (the cron trigger does it daily,
 * worker/audit/archive.ts), and run the retention job (worker/audit/retention.ts). An on-demand export writes its `audit_export` row first, like every
 * admin action; if that row cannot be written nothing is exported (503).
 */
import { HTTPException } from "hono/http-exception";
import { verifyAuditChain, writeAuditEvent, type BrokenReason } from "../audit";
import { auditExportRequestSchema, auditQuerySchema } from "../audit/api-schema";
import { archiveKey, ArchiveStoreError, exportable, exportAuditDay, EXPORT_GRACE_MS } from "../audit/archive";
import { decodeCursor, queryAuditLog } from "../audit/query";
import { pruneAuditLog } from "../audit/retention";
import { zodIssues } from "../config/parse";
import { auditUnavailable } from "../audit/change-author";
import { httpError } from "../http/errors";
import { changeAuthor, type AdminContext, type AdminEndpoint } from "./context";
import { invalid, readStructuredBody, YAML_MEDIA_TYPES } from "./http";
import { compiledConfigOf } from "../pipeline/request-context";
import { log, errorName } from "../observability/logger";

const storeUnavailable = (store: "d1" | "r2", error: unknown) => {
  const code = store === "d1" ? "audit_store_unavailable" : "archive_unavailable";
  log.error(code, { name: errorName(error) });
  const what = store === "d1" ? "the audit log (D1)" : "the audit archive (R2)";
  return httpError(code, `${what} cannot be reached; retry shortly`, { headers: { "Retry-After": "1" } });
};

/** Any D1 failure while reading: 503. */
async function fromLog<T>(operation: () => Promise<T>): Promise<T> {
  try {
    return await operation();
  } catch (error) {
    if (error instanceof HTTPException) throw error;
    throw storeUnavailable("d1", error);
  }
}

async function list(c: AdminContext) {
  const parsed = auditQuerySchema.safeParse(c.req.query());
  if (!parsed.success)
    throw httpError("invalid_query", "the query parameters are not valid", { extra: { issues: zodIssues(parsed.error) } });
  const { cursor: text, ...filters } = parsed.data;
  const cursor = text === undefined ? undefined : decodeCursor(text);
  if (text !== undefined && !cursor)
    throw httpError("invalid_query", "the query parameters are not valid", {
      extra: { issues: [{ path: "cursor", message: "not a cursor this API issued" }] },
    });
  return c.json(await fromLog(() => queryAuditLog(c.env.DB, { ...filters, cursor })));
}

/** What each broken link means, for the 409's message. */
const BROKEN: Record<BrokenReason, string> = {
  hash_mismatch: "the row was altered",
  prev_hash_mismatch: "a row before it was removed or inserted",
  anchor_mismatch: "its keyed head names another hash: rows up to it were rewritten and the chain recomputed",
  anchor_forged: "a head names it that was not made with AUDIT_HMAC_KEY",
  anchored_row_missing: "a keyed head names it but it is gone: rows were cut off",
  unanchored: "no head keyed with AUDIT_HMAC_KEY covers it or the rows after it (written without the key, or their heads removed)",
  checkpoint_forged: "the retention checkpoint verify starts from was not made with AUDIT_HMAC_KEY",
};

async function verify(c: AdminContext) {
  const result = await fromLog(() => verifyAuditChain(c.env));
  if (result.ok) return c.json(result);
  const { id, reason } = result.broken;
  throw httpError(
    "audit_chain_broken",
    `the audit log fails verification at row ${id} (${reason}: ${BROKEN[reason]}); the ${result.rows} rows before it verify`,
    {
      extra: { ok: false, rows: result.rows, broken: result.broken, anchored_through: result.anchored_through },
    },
  );
}

async function exportDay(c: AdminContext) {
  const parsed = auditExportRequestSchema.safeParse(await readStructuredBody(c, "invalid_export"));
  if (!parsed.success) throw invalid("invalid_export", zodIssues(parsed.error));
  const { date } = parsed.data;
  if (!exportable(date, Date.now())) {
    throw invalid("invalid_export", [
      { path: "date", message: `${date} is not over yet: a UTC day can be exported ${EXPORT_GRACE_MS / 60_000} minutes after it ends` },
    ]);
  }
  try {
    await writeAuditEvent(c.env, {
      event: "audit_export",
      action: "audit_export",
      target: archiveKey(date),
      ...changeAuthor(c),
      details: { date },
    });
  } catch (error) {
    throw auditUnavailable(error);
  }
  let result;
  try {
    result = await exportAuditDay(c.env, date);
  } catch (error) {
    if (error instanceof ArchiveStoreError) throw storeUnavailable(error.store, error.cause);
    throw error;
  }
  const { outcome, key, manifest, archived, objects } = result;
  if (outcome === "mismatch") {
    log.error("audit_export", { date, outcome, object: key, request_id: c.var.requestId });
    throw httpError(
      "archive_mismatch",
      `${key} exists and its manifest differs from what the database holds for its rows of ${date} (a row changed or missing); the object was left as it is`,
      {
        extra: { key, archived, manifest },
      },
    );
  }
  return c.json({ date, key, outcome, manifest, objects });
}

async function prune(c: AdminContext) {
  const retentionDays = compiledConfigOf(c).config.audit?.retention;
  if (retentionDays === undefined) throw httpError("retention_off");
  let result;
  try {
    result = await pruneAuditLog(c.env, retentionDays, Date.now(), changeAuthor(c));
  } catch (error) {
    throw storeUnavailable(
      error instanceof ArchiveStoreError ? error.store : "d1",
      error instanceof ArchiveStoreError ? error.cause : error,
    );
  }
  if (result.outcome === "unanchored" || result.outcome === "blocked") {
    throw httpError("audit_prune_refused", `nothing was pruned: ${result.reason}`, {
      extra: { outcome: result.outcome, cutoff: result.cutoff },
    });
  }
  return c.json(result);
}

const unavailable = { description: "D1 cannot be reached.", schema: "Error" } as const;

export const auditEndpoints: AdminEndpoint[] = [
  {
    method: "GET",
    path: "/audit",
    summary: "Audit log rows, filtered, a page at a time",
    description:
      "Newest first by default (order=asc: oldest first), by the time a row was written, then its id. Filters combine with AND; event, actor and target match exactly. Follow next_cursor with the same filters until it is null; rows written meanwhile never shift a page. Request-path events (auth_failure, admin_auth_failure, route_match, rate_limit) arrive through the audit queue, seconds after they happen, aggregated per window with details.count.",
    query: auditQuerySchema,
    responses: {
      200: { description: "One page.", schema: "AuditPage" },
      400: { description: "An invalid filter, limit or cursor.", schema: "InvalidConfig" },
      503: unavailable,
    },
    handler: list,
  },
  {
    method: "GET",
    path: "/audit/verify",
    summary: "Walk the hash chain",
    description:
      "Recomputes every row's hash, oldest first from the latest retention checkpoint, in pages of 500 rows, and checks each row links to the one before. With AUDIT_HMAC_KEY set, also checks the keyed heads (HMAC-SHA-256) recorded with every append, and requires every row to be covered by one, so a rewrite whose hashes were recomputed is caught. Without the key, answers anchor: unanchored with a warning. 409 names the first broken link.",
    responses: {
      200: { description: "Every link holds (and every row is anchored, with the key).", schema: "AuditChainOk" },
      409: {
        description: "The first broken link: a row altered, removed or inserted, rewritten under a keyed head, or not covered by one.",
        schema: "AuditChainBroken",
      },
      503: unavailable,
    },
    handler: verify,
  },
  {
    method: "POST",
    path: "/audit/export",
    summary: "Export a UTC day of the audit log to R2",
    description:
      "What the daily cron trigger does, for one past day: the day's rows as NDJSON to audit/YYYY/MM/DD.ndjson in the AUDIT_ARCHIVE bucket, the manifest in the object's custom metadata. Idempotent: an existing object is never rewritten; rows the day gained after an earlier export (late writers, clock skew) go into the next supplementary object, audit/YYYY/MM/DD.N.ndjson, so the day's objects together hold each row once. Audited as audit_export before it runs.",
    body: { schema: "AuditExportRequest", mediaTypes: ["application/json", ...YAML_MEDIA_TYPES] },
    responses: {
      200: {
        description: "Written (the first or a supplementary object), unchanged (the day's objects hold every row) or empty.",
        schema: "AuditExportResult",
      },
      400: { description: "Not a date, or a day not over yet.", schema: "InvalidConfig" },
      409: {
        description: "An object of the day differs from what the database holds for its rows: a row changed or missing.",
        schema: "AuditExportMismatch",
      },
      413: { description: "Body larger than 1 MiB.", schema: "Error" },
      503: { description: "D1 (the audit log) or R2 (the archive) cannot be reached.", schema: "Error" },
    },
    handler: exportDay,
  },
  {
    method: "POST",
    path: "/audit/prune",
    summary: "Prune audit rows older than audit.retention",
    description:
      "What the daily cron trigger does after its export when audit.retention is set: rows written before the start of the UTC day that many days ago are exported (their days' objects written or supplemented first), verified up to a head keyed with AUDIT_HMAC_KEY, recorded as an audit_prune row, then deleted after a keyed checkpoint from which verify starts; at most 31 days of rows per run. No body. Nothing else can delete an audit row.",
    responses: {
      200: { description: "Pruned, or nothing due.", schema: "AuditPruneResult" },
      409: {
        description:
          "audit.retention is unset (retention_off), or nothing may be pruned (audit_prune_refused): AUDIT_HMAC_KEY unset or the rows not anchored yet, an archive mismatch, or a chain that fails verification.",
        schema: "Error",
      },
      503: { description: "D1 (the audit log) or R2 (the archive) cannot be reached.", schema: "Error" },
    },
    handler: prune,
  },
];
