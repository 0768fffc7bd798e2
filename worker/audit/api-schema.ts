/** The shapes of the audit log's admin API (worker/admin/audit.ts), for validation and OpenAPI. */
import { z } from "zod";
import { ARCHIVE_FORMAT } from "./archive";
import { MAX_PAGE_SIZE } from "./query";

const hash = z.string().describe("64 hex digits: SHA-256.");

/** An ISO 8601 time with an offset (`Z` or `±hh:mm`), or a date (its 00:00 UTC), as stored (`Date#toISOString`). */
const instant = z.union([z.iso.datetime({ offset: true }), z.iso.date()]).transform((text) => new Date(text).toISOString());

export const auditQuerySchema = z.strictObject({
  event: z.string().min(1).optional().describe("Only rows of this event, e.g. auth_failure."),
  actor: z.string().min(1).optional().describe("Only rows of this actor, e.g. token, basic:ops, a consumer id, anonymous."),
  target: z.string().min(1).optional().describe("Only rows with this target, exactly, e.g. config, routes/api, consumers/acme."),
  since: instant.optional().describe("Rows at or after this time: ISO 8601 with an offset, or a date (its 00:00 UTC)."),
  until: instant.optional().describe("Rows before this time (exclusive); same forms as since."),
  order: z.enum(["desc", "asc"]).default("desc").describe("desc: newest first (default); asc: oldest first. By ts, then id."),
  limit: z.coerce.number().int().min(1).max(MAX_PAGE_SIZE).default(100).describe(`Rows per page; default 100, at most ${MAX_PAGE_SIZE}.`),
  cursor: z.string().min(1).max(256).optional().describe("next_cursor of the previous page, with the same filters and order."),
});

export const auditEntrySchema = z.object({
  id: z.number().int().describe("Position in the chain."),
  event_id: z.string().describe("Idempotency key of the event."),
  ts: z.iso
    .datetime()
    .describe("When the row was written (UTC). Aggregated events say when they happened in details.first_at and last_at."),
  event: z.string(),
  actor: z.string(),
  action: z.string(),
  target: z.string(),
  ip: z.string(),
  user_agent: z.string(),
  request_id: z.string(),
  old_version: z.number().int().nullable(),
  new_version: z.number().int().nullable(),
  details: z
    .unknown()
    .describe("The stored canonical JSON, parsed. Aggregated events: count, first_at, last_at and the event's own facts."),
  prev_hash: hash,
  hash,
});

export const auditPageSchema = z.object({
  entries: z.array(auditEntrySchema),
  next_cursor: z.string().nullable().describe("Pass as cursor for the next page; null on the last page."),
});

const chainStartSchema = z
  .object({
    through_id: z.number().int().describe("Rows up to this id were pruned by retention."),
    head_hash: hash.describe("The hash of row through_id, onto which the remaining chain links."),
  })
  .nullable()
  .describe("The retention checkpoint verify started from; null when nothing was pruned.");

export const auditChainOkSchema = z.object({
  ok: z.literal(true),
  rows: z.number().int().describe("Rows checked: all of them after the checkpoint."),
  head: hash.describe("The last row's hash (64 zeros for an empty log)."),
  anchor: z
    .enum(["anchored", "unanchored"])
    .describe(
      "anchored: every row is covered by a head keyed with AUDIT_HMAC_KEY; unanchored: the key is unset, so only the plain chain was checked.",
    ),
  checkpoint: chainStartSchema,
  warning: z.string().optional().describe("Present when unanchored: why that is weaker."),
});

export const auditChainBrokenSchema = z.object({
  error: z.literal("audit_chain_broken"),
  message: z.string(),
  ok: z.literal(false),
  rows: z.number().int().describe("Rows that verified before the broken link."),
  broken: z.object({
    id: z.number().int(),
    event_id: z.string().nullable().describe("null when the row named is gone or is a checkpoint's."),
    reason: z
      .enum([
        "hash_mismatch",
        "prev_hash_mismatch",
        "anchor_mismatch",
        "anchor_forged",
        "anchored_row_missing",
        "unanchored",
        "checkpoint_forged",
      ])
      .describe(
        "hash_mismatch: this row was altered; prev_hash_mismatch: a row before it was removed or inserted; anchor_mismatch: its keyed head names another hash (rows up to it rewritten, chain recomputed); anchor_forged: a head not made with the key; anchored_row_missing: a keyed head names a row that is gone; unanchored: no keyed head covers this row and the ones after it; checkpoint_forged: the retention checkpoint was not made with the key.",
      ),
  }),
  anchored_through: z.number().int().describe("The last row a verified keyed head (or the checkpoint) covers."),
});

export const auditExportRequestSchema = z.strictObject({
  date: z.iso.date().describe("The UTC day to export, YYYY-MM-DD; it must have ended at least 5 minutes ago."),
});

const manifestSchema = z.object({
  rows: z.number().int(),
  first_id: z.number().int().nullable(),
  last_id: z.number().int().nullable(),
  first_prev_hash: hash.describe("What the object's first row chains onto."),
  head_hash: hash.describe(
    "The object's last row's hash; without rows, the chain's head at the end of the day among ids up to through_id.",
  ),
  through_id: z
    .number()
    .int()
    .nullable()
    .describe(
      "The log's highest id when the object was written: it holds the day's rows after the previous object's through_id up to this one. null for objects written before supplementary objects existed.",
    ),
});

export const auditExportResultSchema = z.object({
  date: z.iso.date(),
  key: z
    .string()
    .describe(
      "The object in the AUDIT_ARCHIVE bucket: audit/YYYY/MM/DD.ndjson, or a supplementary audit/YYYY/MM/DD.N.ndjson; for unchanged, the day's last object.",
    ),
  outcome: z
    .enum(["written", "unchanged", "empty"])
    .describe(
      "written: the object was created (the day's first, or a supplementary one for rows the day gained later); unchanged: the day's objects hold every row; empty: the day is before the log's first row, nothing to keep.",
    ),
  objects: z.number().int().describe("How many objects the day has now."),
  manifest: manifestSchema.describe(`The object's custom metadata (with format ${ARCHIVE_FORMAT} and date).`),
});

export const auditExportMismatchSchema = z.object({
  error: z.literal("archive_mismatch"),
  message: z.string(),
  key: z.string(),
  archived: manifestSchema.describe("The existing object's manifest."),
  manifest: manifestSchema.describe("What the database holds for the day now."),
});

export const auditPruneResultSchema = z.object({
  outcome: z
    .enum(["pruned", "nothing"])
    .describe("pruned: rows were deleted after a checkpoint; nothing: no row is due (or another run pruned them)."),
  cutoff: z.iso.datetime().describe("Rows written before this time are due: the start of the UTC day audit.retention days ago."),
  through_id: z.number().int().nullable().describe("The checkpoint written: rows up to this id are pruned; verify starts after it."),
  rows: z.number().int().describe("Rows pruned by this run."),
});
