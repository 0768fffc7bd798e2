/**
 * Requests answered within one audit aggregation window, as in a flood: AUDIT_WINDOW_MS is
 * set, the windows' timers are faked, every request is answered, then the windows close and
 * the rows they send are in D1 when this returns.
 *
 * One plain execution context serves all the requests: the test pool's own contexts keep a
 * timer per waitUntil, and workerd allows 10 000 timers at once.
 */
import { env } from "cloudflare:workers";
import { vi } from "vitest";
import { createApp } from "../../worker/app";
import type { Env } from "../../worker/env";
import { deliverAuditQueue, harnessEnv } from "./admin-harness";

const app = createApp();

/** Sends `count` requests (the i-th is `request(i)`), `chunk` at a time, in one window of `windowMs`; returns their statuses. */
export async function sendInOneWindow(
  count: number,
  request: (i: number) => Request,
  options: { base?: Env; windowMs?: number; chunk?: number } = {},
): Promise<number[]> {
  const { base = env, windowMs = 10_000, chunk = 1_000 } = options;
  const work: Promise<unknown>[] = [];
  const ctx = {
    waitUntil: (promise: Promise<unknown>) => void work.push(promise),
    passThroughOnException() {},
    props: {},
  } as unknown as ExecutionContext;
  const windowEnv = harnessEnv({ ...base, AUDIT_WINDOW_MS: String(windowMs) });
  const statuses: number[] = [];
  vi.useFakeTimers({ toFake: ["setTimeout", "clearTimeout"] });
  try {
    for (let start = 0; start < count; start += chunk) {
      const size = Math.min(chunk, count - start);
      statuses.push(
        ...(await Promise.all(Array.from({ length: size }, async (_, k) => (await app.fetch(request(start + k), windowEnv, ctx)).status))),
      );
    }
    await vi.advanceTimersByTimeAsync(windowMs);
  } finally {
    vi.useRealTimers();
  }
  await Promise.all(work);
  await deliverAuditQueue();
  return statuses;
}
