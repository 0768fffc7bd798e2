/**
 * A deterministic load simulation for rate-limit tests: `isolates` LocalLimiters (one per
 * simulated isolate, each with its own leases and deny-cache) share one real RateLimiter object,
 * on a simulated clock sent with every call. Each tick, every isolate receives its share of the
 * load at once (so concurrent requests join one in-flight call, as they would in production).
 */
import { env } from "cloudflare:workers";
import { LocalLimiter, type RequestIo } from "../worker/limits/local-limiter";
import type { RateLimitSpec } from "./token-bucket";

export interface SimulationOptions {
  name: string;
  spec: RateLimitSpec;
  /** Requests per second, in total. */
  load: number;
  seconds: number;
  /** Fraction of the load each isolate receives; default: one isolate. */
  split?: number[];
  tickMs?: number;
  /** Window for the "no window admits more than burst above the rate" check. */
  windowMs?: number;
  /** Round trip to the object: its answer arrives this much later (it decides half-way). */
  latencyMs?: number;
}

export interface SimulationResult {
  requests: number;
  admitted: number;
  admittedPerIsolate: number[];
  calls: number;
  /** Most admissions in any window of `windowMs` (sliding by tick). */
  maxInWindow: number;
}

export async function simulate(options: SimulationOptions): Promise<SimulationResult> {
  const split = options.split ?? [1];
  const tickMs = options.tickMs ?? 10;
  const windowMs = options.windowMs ?? 1000;
  const latencyMs = options.latencyMs ?? 0;
  let now = 1_000_000;
  let seed = 42;
  const random = () => (seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31;
  const isolates = split.map(() => new LocalLimiter({ clock: () => now, sendClock: true, random }));
  const stub = env.RATE_LIMITER.getByName(options.name);
  let calls = 0;
  /** Calls on their way: each is answered once the simulated clock reaches `dueAt`. */
  let inTransit: { dueAt: number; answer: () => Promise<void> }[] = [];
  const io: RequestIo = {
    acquire: (request) => {
      calls += 1;
      if (latencyMs === 0) return stub.acquire(request);
      return new Promise((resolve, reject) => {
        const decidedAt = now + latencyMs / 2;
        inTransit.push({ dueAt: now + latencyMs, answer: () => stub.acquire({ ...request, now: decidedAt }).then(resolve, reject) });
      });
    },
    background: () => {},
  };
  /** Lets every continuation (joiners, background calls) run before the clock moves. */
  const drain = () => new Promise((resolve) => setTimeout(resolve, 0));
  const owed = split.map(() => 0);
  const admittedPerIsolate = split.map(() => 0);
  const perTick: number[] = [];
  let requests = 0;
  const ticks = Math.round((options.seconds * 1000) / tickMs);
  let admittedThisTick = 0;
  const decisions: Promise<unknown>[] = [];
  for (let tick = 0; tick < ticks; tick++) {
    admittedThisTick = 0;
    split.forEach((fraction, index) => {
      owed[index]! += (options.load * fraction * tickMs) / 1000;
      const count = Math.floor(owed[index]!);
      owed[index]! -= count;
      requests += count;
      for (let n = 0; n < count; n++) {
        decisions.push(
          Promise.resolve(isolates[index]!.decide("k", options.spec, io)).then((decision) => {
            if (decision.outcome !== "admitted") return;
            admittedPerIsolate[index]! += 1;
            admittedThisTick += 1;
          }),
        );
      }
    });
    await drain();
    for (;;) {
      const due = inTransit.filter((call) => call.dueAt <= now);
      if (due.length === 0) break;
      inTransit = inTransit.filter((call) => call.dueAt > now);
      for (const call of due) await call.answer();
      await drain();
    }
    perTick.push(admittedThisTick);
    now += tickMs;
  }
  await Promise.all(decisions.splice(0, 0));
  const span = Math.max(1, Math.round(windowMs / tickMs));
  let maxInWindow = 0;
  for (let start = 0; start + span <= perTick.length; start++) {
    maxInWindow = Math.max(
      maxInWindow,
      perTick.slice(start, start + span).reduce((a, b) => a + b, 0),
    );
  }
  const admitted = admittedPerIsolate.reduce((a, b) => a + b, 0);
  return { requests, admitted, admittedPerIsolate, calls, maxInWindow };
}
