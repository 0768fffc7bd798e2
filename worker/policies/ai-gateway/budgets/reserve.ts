/**
 * Reserving a request's tokens before it is forwarded: the per-minute token budget of its
 * consumer (or of its rate-limit key), and the daily token and cost quotas of its consumer and
 * tenant, each on its own RateLimiter object, asked in parallel (one round trip). A request
 * takes from all of them or from none: when one refuses, the others' reservations are released
 * at once (settled at 0, after the response).
 *
 * Refusals: a spent per-minute budget is 429 `ai_token_budget_exceeded`, a spent daily quota 429
 * `ai_quota_exceeded` until the next UTC midnight (429, not 403: the same request succeeds
 * later, RFC 6585 §4), both with `Retry-After` in whole seconds, rounded up. When both refuse,
 * the quota's longer wait is the answer. A provider's `rate_limit` is asked per attempt
 * (`providerRequestWait`), so that a routing strategy can try the next provider.
 *
 * A failed object call follows `failOpen` (the rate limit's `fail_open`): admitted without that
 * reservation, or 503 `rate_limit_unavailable`; logged either way, never with a key's value.
 */
import type { Context } from "hono";
import type { RateLimiter } from "../../../../durable-objects/rate-limiter";
import type { AppEnv, Env } from "../../../env";
import { httpError, retryAfterSeconds, retryLater, type HttpError } from "../../../http/errors";
import { errorName, log } from "../../../observability/logger";
import type { TokenUsage } from "../shapes";
import { nextUtcMidnight, providerBudgetName, quotaName, tokenBudgetName, utcDay } from "./names";

const MINUTE_MS = 60_000;

/** A daily quota's limits (tokens; cost in the unit of the providers' `cost_per_1k`); absent: not limited. */
export interface DailyLimits {
  tokens?: number;
  cost?: number;
}

/** What the budgets of one AI route are, built once per config version. */
export interface BudgetSpec {
  /** `max_tokens_per_minute`; absent: no per-minute budget. */
  tokensPerMinute?: number;
  /** The budget's key without a consumer: the rate limit's key expression, compiled (limits/key-expression.ts). */
  anonymousKey: (c: Context<AppEnv>) => string;
  /** Daily quotas per consumer and per tenant (each only for requests that have one). */
  quotas?: { consumer?: DailyLimits; tenant?: DailyLimits };
  /**
   * How long a request may take to settle (the provider's timeout, a whole stream included):
   * a reservation not settled by then is charged in full.
   */
  settleWithinMs: number;
  /** The rate limit's `fail_open`: a failed object call admits (true) or refuses with 503. */
  failOpen: boolean;
  /** `token_counting`: each settled request's counts as an `ai_usage` log line (settle.ts). */
  tokenCounting?: boolean;
  /** Tests: a simulated clock, sent with every object call. */
  clock?: () => number;
  /** Tests: the namespace to call (default `RATE_LIMITER`). */
  namespace?: (env: Env) => DurableObjectNamespace<RateLimiter>;
}

/** The provider a request goes to, as its config says (`cost_per_1k`, `rate_limit` in requests per minute). */
export interface ProviderBudget {
  name: string;
  costPer1k?: number;
  requestsPerMinute?: number;
}

export interface BudgetRequest {
  /** The prompt's estimate (shapes' `estimateTokens`). */
  promptTokens: number;
  /** What the answer may use: the request's `max_tokens`, else the route's `max_tokens_per_request` or a default. */
  maxOutputTokens: number;
  provider: ProviderBudget;
}

interface HeldReservation {
  kind: "tokens" | "quota";
  name: string;
  id: string;
}

/** What `reserveBudget` took, for `settleBudget`. */
export interface BudgetHold {
  /** The UTC day the quotas were charged to, and the usage row's day. */
  day: string;
  /** Charged when the provider reports no usage (a stream cut short). */
  reserved: TokenUsage;
  reservations: HeldReservation[];
  spec: BudgetSpec;
}

/** Millionths of the cost unit for `tokens` at the provider's `cost_per_1k` (0 without a price). */
export const costMicros = (provider: ProviderBudget, tokens: number): number =>
  provider.costPer1k === undefined ? 0 : Math.round(tokens * provider.costPer1k * 1_000);

type Namespace = DurableObjectNamespace<RateLimiter>;

const namespaceOf = (c: Context<AppEnv>, spec: Pick<BudgetSpec, "namespace">): Namespace =>
  (spec.namespace ?? ((env: Env) => env.RATE_LIMITER))(c.env);

type Verdict = { reservation?: HeldReservation } | { refused: HttpError } | { failed: unknown };

/** What one reservation asks, and of which object. */
interface Ask {
  namespace: Namespace;
  name: string;
  tokens: number;
  spec: BudgetSpec;
  /** Sent only with a simulated clock. */
  now: number | undefined;
}

function askMinuteBudget({ namespace, name, tokens, spec, now }: Ask, limit: number): Promise<Verdict> {
  return verdict(async () => {
    const answer = await namespace
      .getByName(name)
      .reserveTokens({ limit, windowMs: MINUTE_MS, tokens, settleWithinMs: spec.settleWithinMs, now });
    if (answer.allowed) return held("tokens", name, answer.reservationId);
    const seconds = retryAfterSeconds(answer.retryAfterMs);
    const message = `the token budget of ${limit} tokens per minute is spent; retry in ${seconds} s`;
    return { refused: retryLater("ai_token_budget_exceeded", message, seconds) };
  });
}

function askQuota(
  { namespace, name, tokens, spec, now }: Ask,
  scope: "consumer" | "tenant",
  limits: DailyLimits,
  cost: number,
  periodEndsAt: number,
): Promise<Verdict> {
  return verdict(async () => {
    const answer = await namespace.getByName(name).reserveQuota({
      maxTokens: limits.tokens,
      maxCostMicros: limits.cost === undefined ? undefined : Math.round(limits.cost * 1_000_000),
      tokens,
      costMicros: cost,
      periodEndsAt,
      settleWithinMs: spec.settleWithinMs,
      now,
    });
    if (answer.allowed) return held("quota", name, answer.reservationId);
    const seconds = retryAfterSeconds(answer.retryAfterMs);
    const message = `the daily AI quota of your ${scope} is spent; it starts again at 00:00 UTC, in ${seconds} s`;
    return { refused: retryLater("ai_quota_exceeded", message, seconds) };
  });
}

/** Reserves the request's tokens on every budget and quota it falls under; throws the refusal. */
export async function reserveBudget(c: Context<AppEnv>, spec: BudgetSpec, request: BudgetRequest): Promise<BudgetHold> {
  const now = spec.clock?.() ?? Date.now();
  const tokens = request.promptTokens + request.maxOutputTokens;
  const ask = (name: string): Ask => ({ namespace: namespaceOf(c, spec), name, tokens, spec, now: spec.clock ? now : undefined });
  const consumer = c.get("consumer");
  const day = utcDay(now);
  const asks: Promise<Verdict>[] = [];
  if (spec.tokensPerMinute !== undefined)
    asks.push(askMinuteBudget(ask(tokenBudgetName(consumer, () => spec.anonymousKey(c))), spec.tokensPerMinute));
  const quotas: ["consumer" | "tenant", string | undefined, DailyLimits | undefined][] = [
    ["consumer", consumer, spec.quotas?.consumer],
    ["tenant", c.get("tenant"), spec.quotas?.tenant],
  ];
  for (const [scope, subject, limits] of quotas) {
    if (subject === undefined || limits === undefined) continue;
    asks.push(askQuota(ask(quotaName(scope, subject, day)), scope, limits, costMicros(request.provider, tokens), nextUtcMidnight(now)));
  }

  const verdicts = await Promise.all(asks);
  const hold: BudgetHold = {
    day,
    reserved: { inputTokens: request.promptTokens, outputTokens: request.maxOutputTokens },
    reservations: verdicts.flatMap((answer) => ("reservation" in answer && answer.reservation ? [answer.reservation] : [])),
    spec,
  };
  const failed = verdicts.find((answer): answer is { failed: unknown } => "failed" in answer);
  const refusals = verdicts.flatMap((answer) => ("refused" in answer ? [answer.refused] : []));
  const unavailable = failed && storeUnavailable(c, spec.failOpen, failed.failed);
  if (refusals.length > 0 || unavailable) {
    releaseBudget(c, hold);
    // The longest wait is the true one (a spent quota outlasts a spent minute budget).
    throw refusals.sort((a, b) => refusalSeconds(b) - refusalSeconds(a))[0] ?? unavailable;
  }
  return hold;
}

/** Logs a failed object call; the 503 to throw when `failOpen` is false. */
function storeUnavailable(c: Context<AppEnv>, failOpen: boolean, error: unknown): HttpError | undefined {
  log.warn("ai_budget_store_unavailable", { request_id: c.get("requestId"), fail_open: failOpen, name: errorName(error) });
  return failOpen ? undefined : httpError("rate_limit_unavailable", undefined, { headers: { "Retry-After": "1" } });
}

/**
 * A provider's `rate_limit` (requests per minute), asked for each attempt: 0 when this attempt
 * may go, else the wait in ms (the next provider may be tried, or `providerRateLimited` thrown).
 * A failed call follows `failOpen`: 0, or the error thrown.
 */
export async function providerRequestWait(
  c: Context<AppEnv>,
  provider: ProviderBudget,
  options: Pick<BudgetSpec, "failOpen" | "clock" | "namespace">,
): Promise<number> {
  if (provider.requestsPerMinute === undefined) return 0;
  const now = options.clock ? options.clock() : undefined;
  try {
    const answer = await namespaceOf(c, options)
      .getByName(providerBudgetName(provider.name))
      .reserveTokens({ limit: provider.requestsPerMinute, windowMs: MINUTE_MS, tokens: 1, now });
    return answer.allowed ? 0 : Math.max(1, answer.retryAfterMs);
  } catch (error) {
    const unavailable = storeUnavailable(c, options.failOpen, error);
    if (unavailable) throw unavailable;
    return 0;
  }
}

/** 429 for a provider whose `rate_limit` is spent (and no other provider could take the request). */
export function providerRateLimited(provider: string, retryAfterMs: number): HttpError {
  const seconds = retryAfterSeconds(retryAfterMs);
  return retryLater(
    "ai_provider_rate_limited",
    `the provider ${provider} takes no more requests this minute; retry in ${seconds} s`,
    seconds,
  );
}

/** An admission; with no reservation id (nothing to settle), nothing is held. */
const held = (kind: HeldReservation["kind"], name: string, id: string | undefined): Verdict =>
  id === undefined ? {} : { reservation: { kind, name, id } };

async function verdict(ask: () => Promise<Verdict>): Promise<Verdict> {
  try {
    return await ask();
  } catch (error) {
    return { failed: error };
  }
}

const refusalSeconds = (refusal: HttpError): number => Number(refusal.headers.get("Retry-After"));

/**
 * Gives back everything `hold` reserved, after the response, and counts nothing: for a request
 * no provider did any work for (every attempt failed to connect, or answered 429 or 5xx before
 * any byte reached the client), and for a request refused by another budget.
 */
export function releaseBudget(c: Context<AppEnv>, hold: BudgetHold): void {
  if (hold.reservations.length === 0) return;
  c.executionCtx.waitUntil(settleReservations(c, hold, { inputTokens: 0, outputTokens: 0 }, 0));
}

/** Settles every reservation of `hold` at `usage` (and `cost` for quotas); a failure is logged, never thrown. */
export async function settleReservations(c: Context<AppEnv>, hold: BudgetHold, usage: TokenUsage, cost: number): Promise<void> {
  const namespace = namespaceOf(c, hold.spec);
  const now = hold.spec.clock?.();
  const tokens = usage.inputTokens + usage.outputTokens;
  const results = await Promise.allSettled(
    hold.reservations.map(({ kind, name, id }) =>
      kind === "tokens"
        ? namespace.getByName(name).settleTokens({ reservationId: id, actual: tokens, now })
        : namespace.getByName(name).settleQuota({ reservationId: id, tokens, costMicros: cost, now }),
    ),
  );
  const failed = results.find((result) => result.status === "rejected");
  if (failed) log.warn("ai_budget_settle_failed", { request_id: c.get("requestId"), name: errorName(failed.reason) });
}
