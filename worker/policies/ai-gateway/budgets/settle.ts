/**
 * After the provider's answer: the reservations of `reserveBudget` replaced by what the provider
 * reported (shapes' `usageFromResponse` for JSON, `StreamUsageMeter` for SSE), and the usage
 * counted in the usage table. An answer that reported no usage (a stream cut short, a provider
 * that sends none) is charged what was reserved, and counted as unmetered.
 */
import type { Context } from "hono";
import type { AiUsageCounts, AppEnv } from "../../../env";
import { log } from "../../../observability/logger";
import type { TokenUsage } from "../shapes";
import { costMicros, settleReservations, type BudgetHold, type ProviderBudget } from "./reserve";
import { MAX_MODEL_LENGTH } from "./usage-table";
import { countUsage } from "./usage-writer";

export interface SettleOutcome {
  /** The provider that answered (with a fallback, maybe not the one reserved for). */
  provider: ProviderBudget;
  /** The model the request named. */
  model: string;
  /** What the provider reported; undefined when it reported nothing. */
  usage: TokenUsage | undefined;
}

/** What the request was charged: counts for the access log and audit rows (`token_counting`). */
export type ChargedUsage = AiUsageCounts;

/**
 * Charges the request and counts its usage, after the response (`waitUntil`: for a stream, call
 * it when the stream ends). Failures are logged, never thrown: the answer has been given.
 */
export function settleBudget(c: Context<AppEnv>, hold: BudgetHold, outcome: SettleOutcome): ChargedUsage {
  const usage = outcome.usage ?? hold.reserved;
  const charged: ChargedUsage = {
    inputTokens: usage.inputTokens,
    outputTokens: usage.outputTokens,
    costMicros: costMicros(outcome.provider, usage.inputTokens + usage.outputTokens),
    metered: outcome.usage !== undefined,
  };
  const counted = countUsage(c.env.DB, {
    day: hold.day,
    tenant: c.get("tenant"),
    consumer: c.get("consumer"),
    provider: outcome.provider.name,
    model: outcome.model,
    ...charged,
  });
  c.executionCtx.waitUntil(Promise.all([settleReservations(c, hold, usage, charged.costMicros), counted]));
  if (hold.spec.tokenCounting) {
    c.set("aiUsage", charged);
    log.info("ai_usage", {
      request_id: c.get("requestId"),
      route: c.get("route")?.id ?? null,
      consumer: c.get("consumer") ?? null,
      tenant: c.get("tenant") ?? null,
      provider: outcome.provider.name,
      model: outcome.model.slice(0, MAX_MODEL_LENGTH),
      input_tokens: charged.inputTokens,
      output_tokens: charged.outputTokens,
      cost: charged.costMicros / 1_000_000,
      metered: charged.metered,
    });
  }
  return charged;
}
