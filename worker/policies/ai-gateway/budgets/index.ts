/**
 * # AI gateway: token budgets, daily quotas and usage (issue 15, "Token limits", "Quotas and visibility")
 *
 * A library the AI gateway's step calls around forwarding (the pipeline wires it, not this module):
 *
 * 1. `reserveBudget(c, spec, { promptTokens, maxOutputTokens, provider })` before forwarding:
 *    reserves the prompt's estimate plus the answer's maximum on the per-minute token budget
 *    (`max_tokens_per_minute`; one budget per consumer, else per value of the rate limit's `key`)
 *    and on the day's quotas of the consumer and of its tenant (tokens and cost, `cost_per_1k`).
 *    Throws 429 `ai_token_budget_exceeded` / `ai_quota_exceeded` with `Retry-After`.
 * 2. `providerRequestWait(c, provider, options)` per attempt: a provider's `rate_limit`
 *    (requests per minute, one budget per provider name); `providerRateLimited` is its 429.
 * 3. `settleBudget(c, hold, { provider, model, usage })` once the answer is complete: charges
 *    the reported usage instead of the reservation (refund or more), and adds it to the usage
 *    table that `GET /admin/ai/usage` reads (in batches summed per isolate: ./usage-writer.ts).
 *    Returns the counts (for the checks' audit rows); with `tokenCounting`
 *    (`token_counting: true`) also logs them as an `ai_usage` line.
 *    `releaseBudget(c, hold)` instead when no provider did any work (every attempt failed before
 *    an answer began): everything is given back and nothing is counted.
 *
 * Exactness: each budget and each quota-day is one RateLimiter object (names in ./names.ts),
 * which takes one call at a time, so parallel reservations never hold more than a limit (tested
 * with the object: durable-objects/token-budget.test.ts). What can end above a limit is only
 * usage beyond the reservations: a prompt the estimate under-counted, an answer longer than the
 * `maxOutputTokens` reserved (when the request set no `max_tokens` and the provider's default is
 * larger), or a single request larger than the whole limit (it holds the whole limit, once the
 * budget is full). That is charged as a debt that later requests wait out.
 * A quota is exact for its day: the D1 usage table is for reporting, never asked before
 * forwarding (it lags by a request's lifetime and a batch's wait, and is not read in one
 * transaction).
 * A reservation never settled (the isolate died) is charged in full after `settleWithinMs`.
 *
 * Cost per AI request: one object round trip before forwarding (the budget and quotas asked in
 * parallel; none without limits), and after the answer, in `waitUntil`, one settlement per
 * reservation and its share of a batched D1 write (at most one per isolate every 50 ms). No
 * isolate-side leases as for request limits (limits/local-limiter.ts): an AI request takes
 * seconds, a round trip milliseconds, and leases would give up exactness.
 */
export { reserveBudget, releaseBudget, providerRequestWait, providerRateLimited, costMicros } from "./reserve";
export type { BudgetHold, BudgetRequest, BudgetSpec, DailyLimits, ProviderBudget } from "./reserve";
export { settleBudget, type ChargedUsage, type SettleOutcome } from "./settle";
export { utcDay, nextUtcMidnight } from "./names";
export { countUsage } from "./usage-writer";
export { queryUsage, USAGE_GROUPS, type UsageRecord, type UsageGroup, type UsageQuery, type UsageReport } from "./usage-table";
