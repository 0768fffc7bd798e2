/** The `audit` block: which events are written, and how long rows stay. */
import { z } from "zod";
import { AUDIT_EVENTS, DEFAULT_AUDIT_EVENTS } from "./events";

/** The shortest retention: longer than the export's catch-up days (archive.ts), so the cron never re-checks a pruned day. */
export const MIN_RETENTION_DAYS = 30;
export const MAX_RETENTION_DAYS = 3650;

export const auditSchema = z.strictObject({
  enabled: z
    .boolean()
    .default(true)
    .describe("Record the request-path events listed in `events`. Changes made through the admin API are recorded whatever this says."),
  output: z.string().optional().describe("Ignored at the edge: audit rows go to the D1 database bound as DB."),
  events: z
    .array(z.enum(AUDIT_EVENTS))
    .default([...DEFAULT_AUDIT_EVENTS])
    .describe(
      "The events recorded; request-path ones (auth_failure, rate_limit, route_match) are aggregated per window. Default: all but route_match.",
    ),
  retention: z
    .string()
    .regex(/^[1-9]\d*d$/, "a number of days, such as 400d")
    .transform((text) => Number(text.slice(0, -1)))
    .refine((days) => days >= MIN_RETENTION_DAYS && days <= MAX_RETENTION_DAYS, `between ${MIN_RETENTION_DAYS}d and ${MAX_RETENTION_DAYS}d`)
    .optional()
    .describe(
      `How long audit rows stay in D1, in days (e.g. 400d; ${MIN_RETENTION_DAYS}d to ${MAX_RETENTION_DAYS}d). Unset (the default): kept forever. Set: the daily cron (and POST /admin/audit/prune) prunes rows written before the start of the UTC day that many days ago, once their days are exported to R2 and a head keyed with AUDIT_HMAC_KEY anchors them, leaving a keyed checkpoint the remaining chain verifies from. D1 caps a database at 10 GB.`,
    ),
});
