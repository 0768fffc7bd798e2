/**
 * Refusals become audit events aggregated per counter, route and window in the isolate: the
 * first refusal opens a window, later ones only count, and one event with the count is emitted
 * when the window closes (in the waitUntil of the request that opened it, whose context the
 * hook receives). A flood of a million refusals on one key is a handful of events (one per
 * isolate per window), not a million rows.
 */
import type { Context } from "hono";
import type { AppEnv } from "../../env";

export interface RateLimitedEvent {
  /** The counter's object name (what GET/DELETE /admin/rate-limits/:key take). */
  key: string;
  /** The matched route's id. */
  route: string | undefined;
  /** Requests refused in the window. */
  count: number;
  /** Epoch ms of the first and the last refusal counted. */
  firstAt: number;
  lastAt: number;
}

/** `c` is the request that opened the window (its env and config), already answered. */
export type OnLimited = (event: RateLimitedEvent, c: Context<AppEnv>) => void | Promise<void>;

/** Windows open at once; further keys share one "(other keys)" event until some close. */
const MAX_OPEN_WINDOWS = 10_000;

export class RefusalAggregator {
  readonly #open = new Map<string, RateLimitedEvent>();
  readonly #onLimited: OnLimited;
  readonly #windowMs: number;
  readonly #clock: () => number;

  constructor(onLimited: OnLimited, windowMs: number, clock: () => number) {
    this.#onLimited = onLimited;
    this.#windowMs = windowMs;
    this.#clock = clock;
  }

  note(key: string, route: string | undefined, c: Context<AppEnv>): void {
    const now = this.#clock();
    const overflow = this.#open.size >= MAX_OPEN_WINDOWS;
    const id = overflow ? "" : `${route ?? ""}\n${key}`;
    const event = this.#open.get(id);
    if (event) {
      event.count += 1;
      event.lastAt = now;
      return;
    }
    this.#open.set(id, { key: overflow ? "(other keys)" : key, route: overflow ? undefined : route, count: 1, firstAt: now, lastAt: now });
    c.executionCtx.waitUntil(scheduler.wait(this.#windowMs).then(() => this.#emit(id, c)));
  }

  async #emit(id: string, c: Context<AppEnv>): Promise<void> {
    const event = this.#open.get(id);
    if (!event) return;
    this.#open.delete(id);
    try {
      await this.#onLimited(event, c);
    } catch (error) {
      console.error(JSON.stringify({ level: "error", event: "rate_limit_audit_failed", name: error instanceof Error ? error.name : typeof error }));
    }
  }
}
