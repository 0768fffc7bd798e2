/**
 * Audit events raised by the request path: auth failures and rate-limit refusals. Which ones are recorded follows the config's `audit` block; without one, the default
 * event list applies, so a gateway with no `audit:` still records failed authentication.
 */
import type { Context } from "hono";
import type { Config } from "../config/schema";
import { auditSchema } from "../config/schema";
import type { AppEnv } from "../env";
import type { AuthFailureEvent } from "../policies/auth";
import type { RateLimitedEvent } from "../policies/rate-limit";
import type { AuditEventName } from "./types";
import { writeAuditEvent } from "./writer";

const DEFAULT_AUDIT = auditSchema.parse({});

/** Whether the config asks for `event` to be recorded. */
export function auditWanted(config: Config, event: AuditEventName): boolean {
  const audit = config.audit ?? DEFAULT_AUDIT;
  return audit.enabled && audit.events.includes(event);
}

/** `authenticate`'s failure hook: an `auth_failure` row, never the credential itself. */
export async function recordAuthFailure(failure: AuthFailureEvent, c: Context<AppEnv>): Promise<void> {
  if (!auditWanted(c.var.gateway.config, "auth_failure")) return;
  await writeAuditEvent(c.env.DB, {
    event: "auth_failure",
    actor: "anonymous",
    action: "authenticate",
    target: failure.route ? `routes/${failure.route}` : "",
    ip: failure.ip,
    userAgent: failure.userAgent,
    requestId: c.var.requestId,
    details: { scheme: failure.scheme, reason: failure.reason },
  });
}

/** The rate limiter's aggregated refusals: one row per key, route and window, with a count. */
export async function recordRateLimited(limited: RateLimitedEvent, c: Context<AppEnv>): Promise<void> {
  if (!auditWanted(c.var.gateway.config, "rate_limit")) return;
  await writeAuditEvent(c.env.DB, {
    event: "rate_limit",
    actor: c.var.consumer ?? "anonymous",
    action: "rate_limit",
    target: limited.route ? `routes/${limited.route}` : "",
    ip: c.var.clientIp,
    userAgent: c.req.header("User-Agent") ?? "",
    requestId: c.var.requestId,
    details: { limiter: limited.key, count: limited.count, first_at: new Date(limited.firstAt).toISOString(), last_at: new Date(limited.lastAt).toISOString() },
  });
}
