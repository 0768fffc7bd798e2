/** The shapes of `GET /admin/ai/usage` (ai-usage.ts) and `/admin/ai/budgets/:name` (ai-budgets.ts), for validation and OpenAPI. */
import { z } from "zod";
import { USAGE_GROUPS } from "../policies/ai-gateway/budgets";

/** The longest range one report covers: a year, leap day included. */
export const MAX_USAGE_DAYS = 366;
export const MAX_USAGE_ROWS = 10_000;

const day = z.iso.date();
const name = z.string().max(256);

export const aiUsageQuerySchema = z.strictObject({
  from: day.optional().describe("First UTC day (YYYY-MM-DD), included; default: 29 days before `to`."),
  to: day.optional().describe("Last UTC day, included; default: today (UTC)."),
  tenant: name.optional().describe("Only this tenant's usage; empty: requests without a tenant."),
  consumer: name.optional().describe("Only this consumer's usage; empty: requests without a consumer."),
  provider: name.optional().describe("Only this provider (ai_gateway.providers[].name)."),
  model: name.optional().describe("Only this model, as requests named it."),
  group_by: z
    .string()
    .max(64)
    .default("day")
    .transform((text, context) => {
      const groups = text === "" ? [] : text.split(",");
      for (const group of groups) {
        if (!(USAGE_GROUPS as readonly string[]).includes(group))
          context.addIssue({ code: "custom", message: `${JSON.stringify(group)} is not one of ${USAGE_GROUPS.join(", ")}` });
      }
      if (new Set(groups).size !== groups.length) context.addIssue({ code: "custom", message: "names a column twice" });
      return groups as (typeof USAGE_GROUPS)[number][];
    })
    .describe(`Comma-separated columns to sum by, in order: ${USAGE_GROUPS.join(", ")}; default day; empty: one row for everything.`),
  limit: z.coerce
    .number()
    .int()
    .min(1)
    .max(MAX_USAGE_ROWS)
    .default(1_000)
    .describe(`Rows at most; default 1000, at most ${MAX_USAGE_ROWS}. truncated says when there were more.`),
});

const DAY_MS = 86_400_000;

/** The report's days: the defaults filled in (`now` for today), or the issue that makes the range invalid. */
export function usageDays(
  query: { from?: string; to?: string },
  now: number,
): { from: string; to: string } | { issue: { path: string; message: string } } {
  const to = query.to ?? new Date(now).toISOString().slice(0, 10);
  const from = query.from ?? new Date(Date.parse(to) - 29 * DAY_MS).toISOString().slice(0, 10);
  const days = (Date.parse(to) - Date.parse(from)) / DAY_MS + 1;
  if (days < 1) return { issue: { path: "from", message: "must not be after to" } };
  if (days > MAX_USAGE_DAYS) return { issue: { path: "from", message: `must be at most ${MAX_USAGE_DAYS} days before to, both included` } };
  return { from, to };
}

const totals = {
  requests: z.number().int().describe("Forwarded AI requests that were settled."),
  input_tokens: z.number().int(),
  output_tokens: z.number().int(),
  total_tokens: z.number().int(),
  cost: z.number().describe("In the unit of the providers' cost_per_1k."),
  unmetered_requests: z.number().int().describe("Answers without a usage report, counted at what was reserved for them."),
};
const group = z.string().nullable().optional();

export const aiUsageReportSchema = z.object({
  from: day,
  to: day,
  group_by: z.array(z.enum(USAGE_GROUPS)),
  rows: z
    .array(
      z
        .object({ day: group, tenant: group, consumer: group, provider: group, model: group, ...totals })
        .describe("The columns of group_by (tenant and consumer null for requests without one), then the sums."),
    )
    .describe("Sorted by the group_by columns."),
  totals: z.object(totals).describe("Everything the filters select, whatever the limit."),
  truncated: z.boolean().describe("More rows than limit: narrow the filters or raise the limit."),
});

const budgetMeter = z.object({
  meter: z.enum(["tokens", "requests", "cost"]).describe("cost: in the unit of the providers' cost_per_1k."),
  limit: z.number().nullable().describe("null: counted, not limited."),
  window_ms: z.number().int().nullable().describe("Refilled continuously over this window; null: a daily quota, never refilled."),
  spent: z.number().describe("Held by reservations and settled usage, refilled to now; above limit: a debt later requests wait out."),
  remaining: z.number().nullable().describe("What a reservation can take now; null when not limited."),
});

export const aiBudgetStateSchema = z.object({
  name: z.string().describe("The object's name, as in the path."),
  kind: z.enum(["tokens", "provider", "quota"]),
  meters: z.array(budgetMeter),
  open_reservations: z.number().int().nonnegative().describe("Requests in flight whose usage is not settled yet."),
});

export const aiBudgetResetSchema = z.object({
  name: z.string(),
  reset: z.literal(true),
  previous: aiBudgetStateSchema.describe("The budget just before the reset."),
});
