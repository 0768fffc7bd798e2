/**
 * The AI gateway's side of the budgets (budgets/): what a request reserves, and when its
 * reservation is settled, released or left to fall due.
 *
 * - Reserved before any provider is called (after the content checks: a refused request costs
 *   nothing): the prompt's estimate (shapes/token-estimate.ts) plus what the answer may use —
 *   the request's own output limit, else `max_tokens_per_request`, else
 *   DEFAULT_OUTPUT_RESERVATION — times the completions it asks for (`n`); nothing for Embeddings,
 *   which write no tokens. The cost for the quotas is reckoned at the first provider of the order.
 * - Settled with the usage the answering provider reported (metering.ts), at its `cost_per_1k`:
 *   for a 200 answer, a JSON one before it is passed on, a stream once it has all passed. An answer that reported none is
 *   charged the reservation. Every settled request is counted in the usage table
 *   (`GET /admin/ai/usage`).
 * - Released (charged nothing) when no provider answered, or one answered with an error: the
 *   provider did no work the client received.
 */
import type { Context } from "hono";
import type { AppEnv } from "../../env";
import { isRecord } from "../../http/json-value";
import { releaseBudget, settleBudget, type BudgetHold, type BudgetSpec, type ProviderBudget } from "./budgets";
import type { ReadRequest } from "./checks";
import { meteredResponse } from "./metering";
import type { ProviderTarget } from "./providers";
import type { AiGatewayConfig } from "./schema";
import { estimateTokens } from "./shapes";

/** What an answer may use when neither the request nor the config sets an output limit. */
export const DEFAULT_OUTPUT_RESERVATION = 4096;
/** How long a request may take, a whole stream included, before its reservation is charged in full. */
export const SETTLE_WITHIN_MS = 15 * 60_000;

/** What the pipeline gives the budgets: the rate limit's key without a consumer, and its fail_open. */
export interface BudgetOptions {
  anonymousKey: (c: Context<AppEnv>) => string;
  failOpen: boolean;
}

export function budgetSpec(config: AiGatewayConfig | undefined, options: BudgetOptions): BudgetSpec {
  const daily = (quota: { daily_tokens?: number; daily_cost?: number } | undefined) =>
    quota && { tokens: quota.daily_tokens, cost: quota.daily_cost };
  return {
    tokensPerMinute: config?.security.max_tokens_per_minute,
    anonymousKey: options.anonymousKey,
    quotas: config?.quotas && { consumer: daily(config.quotas.consumer), tenant: daily(config.quotas.tenant) },
    settleWithinMs: SETTLE_WITHIN_MS,
    failOpen: options.failOpen,
    tokenCounting: config?.token_counting,
  };
}

export const providerBudget = (target: ProviderTarget): ProviderBudget => ({
  name: target.name,
  costPer1k: target.costPer1k,
  requestsPerMinute: target.requestsPerMinute,
});

/** The tokens a request reserves: its prompt's estimate and what its answer may use. */
export function reservedTokens(read: ReadRequest | undefined, maxTokensPerRequest: number | undefined) {
  const outputLimit = maxTokensPerRequest ?? DEFAULT_OUTPUT_RESERVATION;
  if (!read?.ok) return { promptTokens: read?.text === undefined ? 0 : estimateTokens([read.text]), maxOutputTokens: outputLimit };
  const { api, texts, maxOutputTokens, completions } = read.request;
  return {
    promptTokens: estimateTokens(texts),
    maxOutputTokens: api === "openai-embeddings" ? 0 : (maxOutputTokens ?? outputLimit) * completions,
  };
}

/** The answer, settling `hold` with its usage (metering.ts) for a 200, or releasing it for any other answer. */
export async function accountedResponse(
  c: Context<AppEnv>,
  hold: BudgetHold,
  response: Response,
  answered: ProviderTarget,
  read: ReadRequest | undefined,
): Promise<Response> {
  if (response.status !== 200) {
    releaseBudget(c, hold);
    return response;
  }
  const model = isRecord(read?.body) && typeof read.body.model === "string" ? read.body.model : "(none)";
  const settle = (usage: Parameters<typeof settleBudget>[2]["usage"]) => {
    settleBudget(c, hold, { provider: providerBudget(answered), model, usage });
  };
  if (read?.ok) return meteredResponse(response, read.request.api, settle);
  settle(undefined);
  return response;
}
