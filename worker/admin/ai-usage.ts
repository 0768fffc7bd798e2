/**
 * `GET /admin/ai/usage`: what the AI gateway's requests spent, from the usage counters
 * (migrations/0009_ai_usage.sql, written by worker/policies/ai-gateway/budgets after each answer),
 * filtered by day range, tenant, consumer, provider and model, summed by any of those and day.
 * Reporting only: the daily quotas are enforced by their Durable Objects, not by this table.
 */
import { zodIssues } from "../config/parse";
import { httpError } from "../http/errors";
import { errorName, log } from "../observability/logger";
import { queryUsage } from "../policies/ai-gateway/budgets";
import { aiUsageQuerySchema, usageDays } from "./ai-usage-schema";
import type { AdminContext, AdminEndpoint } from "./context";

async function usage(c: AdminContext) {
  const parsed = aiUsageQuerySchema.safeParse(c.req.query());
  if (!parsed.success) throw httpError("invalid_query", undefined, { extra: { issues: zodIssues(parsed.error) } });
  const { group_by: groupBy, ...filters } = parsed.data;
  const days = usageDays(filters, Date.now());
  if ("issue" in days) throw httpError("invalid_query", undefined, { extra: { issues: [days.issue] } });
  const query = { ...filters, ...days, groupBy };
  let report;
  try {
    report = await queryUsage(c.env.DB, query);
  } catch (error) {
    log.error("ai_usage_unavailable", { name: errorName(error) });
    throw httpError("ai_usage_unavailable", undefined, { headers: { "Retry-After": "1" } });
  }
  return c.json({ from: query.from, to: query.to, group_by: groupBy, ...report });
}

/** What the OpenAPI document says of the figures. */
const DESCRIPTION =
  "Sums of the AI gateway's usage counters over UTC days from..to (both included, at most 366): requests, input and output tokens as the providers reported them, cost at each provider's cost_per_1k, and the requests whose answer reported no usage (counted at their reservation). Filters combine with AND and match exactly. A request is counted once its answer is complete, so a day's figures can trail by a request's lifetime.";

export const aiUsageEndpoints: AdminEndpoint[] = [
  {
    method: "GET",
    path: "/ai/usage",
    summary: "AI token and cost usage, filtered and grouped",
    description: DESCRIPTION,
    query: aiUsageQuerySchema,
    responses: {
      200: { description: "The report.", schema: "AiUsageReport" },
      400: { description: "An invalid day, range, filter, group_by or limit.", schema: "InvalidConfig" },
      503: { description: "D1 cannot be reached.", schema: "Error" },
    },
    handler: usage,
  },
];
