/**
 * Refusals become audit events aggregated per counter, route and window in the isolate
 * (worker/observability/event-windows.ts): one event with the count when the window closes,
 * so a flood of a million refusals on one key is a handful of events, not a million rows.
 */
import type { Context } from "hono";
import type { AppEnv } from "../../env";
import { EventWindows, type Occurrences } from "../../observability/event-windows";

export interface RateLimitedEvent extends Occurrences {
  /** The counter's object name (what GET/DELETE /admin/rate-limits/:key take). */
  key: string;
  /** The matched route's id. */
  route: string | undefined;
}

/** `c` is the request that opened the window (its env and config), already answered. */
export type OnLimited = (event: RateLimitedEvent, c: Context<AppEnv>) => void | Promise<void>;

/** A window length in ms, fixed or read from the request that opens the window. */
export type AuditWindow = number | ((c: Context<AppEnv>) => number);

export function refusalWindows(
  onLimited: OnLimited,
  windowMs: AuditWindow,
  clock: () => number,
): EventWindows<Pick<RateLimitedEvent, "key" | "route">> {
  return new EventWindows<Pick<RateLimitedEvent, "key" | "route">>({
    sink: (refused, occurrences, c) => onLimited({ ...refused, ...occurrences }, c),
    windowMs,
    overflow: { key: "(other keys)", route: undefined },
    failureEvent: "rate_limit_audit_failed",
    clock,
  });
}
