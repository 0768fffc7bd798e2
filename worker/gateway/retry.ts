/**
 * How many attempts a replayable request gets, which answers are retried and how long to wait
 * before each retry: `retry` (Loom's block) when the upstream sets it, else `retries`.
 *
 * - `retries` (the edge's own, default 1): only after a connection failure or a timeout, no
 *   wait, and never more attempts than endpoints, so one endpoint is never tried twice.
 * - `retry { max_retries, backoff_base, backoff_max, retryable_codes }`: also on the
 *   `retryable_codes`; up to `1 + max_retries` attempts (max_retries is at most 5, so a request
 *   reaches an upstream at most 6 times), on the next endpoint each time, coming back round when
 *   there are fewer endpoints than attempts; before retry n a wait drawn uniformly from
 *   [0, min(backoff_max, backoff_base × 2^(n-1))) ("full jitter", which spreads the retries of
 *   many clients that failed at once instead of sending them back together).
 *
 * Which requests are replayable at all is the proxy's rule (idempotent, body buffered or none).
 */
import type { UpstreamTarget } from "./schema";

export interface RetryPlan {
  /** Attempts for a replayable request when `endpoints` endpoints may be tried. */
  attempts(endpoints: number): number;
  /** Whether an upstream answer with `status` is retried (when attempts are left). */
  retryable(status: number): boolean;
  /** Milliseconds to wait before retry `n` (1 for the first retry); `random` in [0, 1). */
  backoff(n: number, random: () => number): number;
}

export function retryPlan({ retry, retries }: Pick<UpstreamTarget, "retry" | "retries">): RetryPlan {
  if (!retry) {
    return { attempts: (endpoints) => 1 + Math.min(retries, endpoints - 1), retryable: () => false, backoff: () => 0 };
  }
  const codes = new Set(retry.retryable_codes);
  return {
    attempts: () => 1 + retry.max_retries,
    retryable: (status) => codes.has(status),
    backoff: (n, random) => Math.floor(random() * Math.min(retry.backoff_max, retry.backoff_base * 2 ** (n - 1))),
  };
}

/** Resolves after `ms`, or at once when `signal` aborts (the client went away). */
export function abortableSleep(ms: number, signal: AbortSignal | undefined): Promise<void> {
  return new Promise((resolve) => {
    if (signal?.aborted) return resolve();
    const done = (): void => {
      clearTimeout(timer);
      signal?.removeEventListener("abort", done);
      resolve();
    };
    const timer = setTimeout(done, ms);
    signal?.addEventListener("abort", done);
  });
}
