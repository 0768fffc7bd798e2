/**
 * The audit log, read-only plus its export: list rows with filters and cursor pagination,
 * verify the hash chain, and export a UTC day to R2 on demand (the cron trigger does it daily,
 * worker/audit/archive.ts). An on-demand export writes its `audit_export` row first, like every
 * admin action; if that row cannot be written nothing is exported (503).
 */
import { HTTPException } from "hono/http-exception";
import { verifyAuditChain, writeAuditEvent } from "../audit";
import { auditExportRequestSchema, auditQuerySchema } from "../audit/api-schema";
import { archiveKey, ArchiveStoreError, exportable, exportAuditDay, EXPORT_GRACE_MS } from "../audit/archive";
import { decodeCursor, queryAuditLog } from "../audit/query";
import { zodIssues } from "../config/parse";
import { auditUnavailable } from "../config/store";
import { gatewayError } from "../gateway/errors";
import { changeAuthor, type AdminContext, type AdminEndpoint } from "./context";
import { invalid, readStructuredBody, YAML_MEDIA_TYPES } from "./http";

const storeUnavailable = (store: "d1" | "r2", error: unknown) => {
  const code = store === "d1" ? "audit_store_unavailable" : "archive_unavailable";
  console.error(JSON.stringify({ level: "error", error: code, name: error instanceof Error ? error.name : typeof error }));
  const what = store === "d1" ? "the audit log (D1)" : "the audit archive (R2)";
  return gatewayError(503, code, `${what} cannot be reached; retry shortly`, { headers: { "Retry-After": "1" } });
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
  if (!parsed.success) throw gatewayError(400, "invalid_query", "the query parameters are not valid", { extra: { issues: zodIssues(parsed.error) } });
  const { cursor: text, ...filters } = parsed.data;
  const cursor = text === undefined ? undefined : decodeCursor(text);
  if (text !== undefined && !cursor) throw gatewayError(400, "invalid_query", "the query parameters are not valid", { extra: { issues: [{ path: "cursor", message: "not a cursor this API issued" }] } });
  return c.json(await fromLog(() => queryAuditLog(c.env.DB, { ...filters, cursor })));
}

async function verify(c: AdminContext) {
  const result = await fromLog(() => verifyAuditChain(c.env.DB));
  if (result.ok) return c.json(result);
  const { id, reason } = result.broken;
  throw gatewayError(409, "audit_chain_broken", `the hash chain breaks at row ${id} (${reason}); the ${result.rows} rows before it verify`, { extra: { ok: false, rows: result.rows, broken: result.broken } });
}

async function exportDay(c: AdminContext) {
  const parsed = auditExportRequestSchema.safeParse(await readStructuredBody(c, "invalid_export"));
  if (!parsed.success) throw invalid("invalid_export", zodIssues(parsed.error));
  const { date } = parsed.data;
  if (!exportable(date, Date.now())) {
    throw invalid("invalid_export", [{ path: "date", message: `${date} is not over yet: a UTC day can be exported ${EXPORT_GRACE_MS / 60_000} minutes after it ends` }]);
  }
  try {
    await writeAuditEvent(c.env.DB, { event: "audit_export", action: "audit_export", target: archiveKey(date), ...changeAuthor(c), details: { date } });
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
  const { outcome, key, manifest, archived } = result;
  if (outcome === "mismatch") {
    console.error(JSON.stringify({ level: "error", event: "audit_export", date, outcome, request_id: c.var.requestId }));
    throw gatewayError(409, "archive_mismatch", `${key} exists and its manifest differs from what the database holds for ${date}; the object was left as it is`, { extra: { key, archived, manifest } });
  }
  return c.json({ date, key, outcome, manifest });
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
    responses: { 200: { description: "One page.", schema: "AuditPage" }, 400: { description: "An invalid filter, limit or cursor.", schema: "InvalidConfig" }, 503: unavailable },
    handler: list,
  },
  {
    method: "GET",
    path: "/audit/verify",
    summary: "Walk the hash chain",
    description: "Recomputes every row's hash, oldest first, in pages of 500 rows, and checks each row links to the one before. 409 names the first broken link.",
    responses: {
      200: { description: "Every link holds.", schema: "AuditChainOk" },
      409: { description: "The first broken link: a row altered (hash_mismatch), or removed or inserted before it (prev_hash_mismatch).", schema: "AuditChainBroken" },
      503: unavailable,
    },
    handler: verify,
  },
  {
    method: "POST",
    path: "/audit/export",
    summary: "Export a UTC day of the audit log to R2",
    description:
      "What the daily cron trigger does, for one past day: the day's rows as NDJSON to audit/YYYY/MM/DD.ndjson in the AUDIT_ARCHIVE bucket, the manifest in the object's custom metadata. Idempotent: an existing object is never rewritten. Audited as audit_export before it runs.",
    body: { schema: "AuditExportRequest", mediaTypes: ["application/json", ...YAML_MEDIA_TYPES] },
    responses: {
      200: { description: "Written, unchanged (the object exists with this manifest) or empty.", schema: "AuditExportResult" },
      400: { description: "Not a date, or a day not over yet.", schema: "InvalidConfig" },
      409: { description: "The object exists and its manifest differs from the database's.", schema: "AuditExportMismatch" },
      413: { description: "Body larger than 1 MiB.", schema: "Error" },
      503: { description: "D1 (the audit log) or R2 (the archive) cannot be reached.", schema: "Error" },
    },
    handler: exportDay,
  },
];
