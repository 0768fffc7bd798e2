import { describe, expect, it } from "vitest";
import { abortableSleep, retryPlan } from "./retry";

const loomRetry = { max_retries: 3, backoff_base: 100, backoff_max: 250, retryable_codes: [502, 503] };

describe("retryPlan with retry", () => {
  it("allows 1 + max_retries attempts, however many endpoints", () => {
    const plan = retryPlan({ retries: 1, retry: loomRetry });
    expect([plan.attempts(1), plan.attempts(2), plan.attempts(9)]).toEqual([4, 4, 4]);
  });

  it("retries the retryable_codes only", () => {
    const plan = retryPlan({ retries: 1, retry: loomRetry });
    expect([502, 503, 504, 500, 404].map((status) => plan.retryable(status))).toEqual([true, true, false, false, false]);
  });

  it("waits up to base × 2^(n-1), capped at backoff_max (full jitter)", () => {
    const plan = retryPlan({ retries: 1, retry: loomRetry });
    const almostOne = () => 0.999999;
    expect([1, 2, 3, 4].map((n) => plan.backoff(n, almostOne))).toEqual([99, 199, 249, 249]);
    expect([1, 2, 3].map((n) => plan.backoff(n, () => 0))).toEqual([0, 0, 0]);
    expect(plan.backoff(2, () => 0.5)).toBe(100);
  });
});

describe("retryPlan with retries", () => {
  it("never tries more endpoints than there are, retries no answer, waits not", () => {
    const plan = retryPlan({ retries: 3 });
    expect([plan.attempts(1), plan.attempts(2), plan.attempts(9)]).toEqual([1, 2, 4]);
    expect(plan.retryable(503)).toBe(false);
    expect(plan.backoff(1, () => 0.9)).toBe(0);
  });
});

describe("abortableSleep", () => {
  it("ends at once when the client goes away", async () => {
    const controller = new AbortController();
    const slept = abortableSleep(60_000, controller.signal);
    controller.abort();
    await slept;
    const aborted = new AbortController();
    aborted.abort();
    await abortableSleep(60_000, aborted.signal);
  });
});
