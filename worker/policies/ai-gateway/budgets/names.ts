/**
 * The RateLimiter objects of the AI gateway's budgets (durable-objects/README.md lists every
 * name). Names start with a prefix no request limit uses (`default|`, `route=`, `consumer=`,
 * `failures|`), so a budget never shares an object's storage with a request counter. Consumer,
 * tenant and provider names are percent-encoded, so that none can spell another's separators;
 * the anonymous key is the rate limit's key expression, whose client-supplied parts
 * worker/limits/key-expression.ts encodes already.
 */

const encode = encodeURIComponent;

/** `max_tokens_per_minute`: one budget per consumer, else per value of the rate limit's key. */
export function tokenBudgetName(consumer: string | undefined, anonymousKey: () => string): string {
  return consumer === undefined ? `ai-tokens|key=${anonymousKey()}` : `ai-tokens|consumer=${encode(consumer)}`;
}

/** A provider's `rate_limit` (requests per minute), shared by every caller. */
export const providerBudgetName = (provider: string): string => `ai-provider|${encode(provider)}`;

/** A daily quota: one object per consumer or tenant and UTC day, so the day's end starts afresh. */
export const quotaName = (scope: "consumer" | "tenant", subject: string, day: string): string =>
  `ai-quota|${scope}=${encode(subject)}|${day}`;

const DAY_MS = 86_400_000;

/** The UTC day of `now`, `YYYY-MM-DD`: quotas and the usage table count per UTC day. */
export const utcDay = (now: number): string => new Date(now).toISOString().slice(0, 10);

/** Epoch ms of the next UTC midnight after `now`: when a spent daily quota is available again. */
export const nextUtcMidnight = (now: number): number => (Math.floor(now / DAY_MS) + 1) * DAY_MS;
