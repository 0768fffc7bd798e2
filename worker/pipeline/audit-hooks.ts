/**
 * Audit events raised on the request path: auth failures, rate-limit refusals, route matches
 * and refused admin logins. Which of the first three are recorded follows the config's `audit`
 * block (without one, the default event list, so a gateway with no `audit:` still records
 * failed authentication); refused admin logins are always recorded.
 *
 * None of them costs the response anything, and a flood of them is not a flood of rows:
 * repeated events are counted per isolate in windows (worker/observability/event-windows.ts)
 * of AUDIT_WINDOW_MS (default 10 s), and each closed window becomes one event that goes
 * through the audit queue (./queue.ts) after the response. Such a row says how often and when
 * in `details`: `count`, `first_at`, `last_at` (ISO 8601); its request id and user agent are
 * those of the first occurrence. Aggregated per isolate and window:
 *
 *   auth_failure        per route, acceptable schemes, reason and client block
 *   admin_auth_failure  per admin endpoint pattern, scheme, reason and client block
 *   route_match         per route (actor `gateway`, no IP: the row counts every caller)
 *   rate_limit          per counter and route (by the rate-limit policy, in the same windows)
 *   graphql_refused     per route, rule, operation name (bounded) and client block
 *   ai_check            per route, rule (an id of the code), action and client block
 *
 * No aggregation key holds text the client chose, so a client cannot open a window (a row) per
 * request by varying what it sends: the route is the matched route's id (`unmatched` without
 * one), the admin path the endpoint's pattern (`admin` for an unknown path), the scheme and
 * reason come from the code (a reason outside REASON is recorded as `other`), and the client
 * address is its block (../observability/client-block.ts: the address for IPv4, the /64 for
 * IPv6), which is also the row's `ip`. Besides, at most MAX_KEYS_PER_WINDOW keys per event have
 * a window of their own in an isolate; the rest share one overflow row whose details add
 * `distinct_folded`, the number of distinct keys it counted (README, "The audit log", measures it).
 */
import type { Context, MiddlewareHandler } from "hono";
import type { Config } from "../config/schema";
import type { AppEnv, Env } from "../env";
import { clientBlock } from "../observability/client-block";
import { EventWindows, type Occurrences, type WindowContext } from "../observability/event-windows";
import type { AiCheckedEvent } from "../policies/ai-gateway";
import type { AuthFailureEvent } from "../policies/auth";
import type { GraphqlRefusedEvent } from "../policies/graphql";
import type { RateLimitedEvent } from "../policies/rate-limit";
import { enqueueAuditEvents } from "../audit/queue";
import type { AuditEvent, AuditEventName } from "../audit/types";
import { DEFAULT_AUDIT_EVENTS } from "../audit/events";

const DEFAULT_AUDIT_WINDOW_MS = 10_000;
/** A window closes inside a waitUntil, which ends 30 s after the response; longer ones are cut to this. */
const MAX_AUDIT_WINDOW_MS = 20_000;

/** Whether the config asks for `event` to be recorded. */
export function auditWanted(config: Config, event: AuditEventName): boolean {
  const audit = config.audit;
  return audit ? audit.enabled && audit.events.includes(event) : DEFAULT_AUDIT_EVENTS.includes(event);
}

/** AUDIT_WINDOW_MS as a window length: the default when unset or not a number, at most MAX_AUDIT_WINDOW_MS. */
function auditWindowMs(env: Pick<Env, "AUDIT_WINDOW_MS">): number {
  const raw = env.AUDIT_WINDOW_MS?.trim();
  const ms = raw ? Number(raw) : Number.NaN;
  return Number.isFinite(ms) && ms >= 0 ? Math.min(ms, MAX_AUDIT_WINDOW_MS) : DEFAULT_AUDIT_WINDOW_MS;
}

/** What recording needs from a request: the gateway's context or the admin API's. */
type RequestContext = WindowContext & { readonly env: Env; readonly var: { readonly requestId: string } };

const windowOf = (c: RequestContext) => auditWindowMs(c.env);

/** Only what a sink needs: an open window then holds on to that, not to the whole request. */
const slim = (c: RequestContext): RequestContext => ({ executionCtx: c.executionCtx, env: c.env, var: { requestId: c.var.requestId } });

const iso = (ms: number) => new Date(ms).toISOString();
const counted = ({ count, firstAt, lastAt, foldedKeys }: Occurrences) => ({
  count,
  first_at: iso(firstAt),
  last_at: iso(lastAt),
  ...(foldedKeys === undefined ? {} : { distinct_folded: foldedKeys }),
});

/** The sample's user agent is client text: kept, but bounded. */
const MAX_USER_AGENT = 256;

/** What a refusal reason may look like: a code from the schemes (`invalid_key`, `claim_mismatch:aud`), never free text. */
const REASON = /^[a-z_]{1,40}(?::[A-Za-z0-9_.-]{1,64})?$/;

/** One aggregated event to the queue, after the response. */
function send(c: RequestContext, event: AuditEvent): Promise<void> {
  return enqueueAuditEvents(c.env, [{ ...event, requestId: c.var.requestId }]);
}

/** What a refused credential leaves in the audit log: how it was presented and why it failed, never the credential. */
interface RefusedCredential {
  scheme: string;
  reason: string;
  ip: string;
  userAgent: string;
}

/**
 * Counts refused credentials per `target`, scheme, reason and client block; each closed window
 * is one `event` row (actor `anonymous`). Returns what notes one refusal.
 */
function refusalWindows<T extends RefusedCredential>(
  event: "auth_failure" | "admin_auth_failure",
  action: string,
  target: (failure: T) => string,
  overflow: T,
) {
  const windows = new EventWindows<T, RequestContext>({
    sink: (failure, occurrences, c) =>
      send(c, {
        event,
        actor: "anonymous",
        action,
        target: failure === overflow ? "(overflow)" : target(failure),
        ip: failure.ip,
        userAgent: failure.userAgent,
        details: { scheme: failure.scheme, reason: failure.reason, ...counted(occurrences) },
      }),
    windowMs: windowOf,
    overflow,
    failureEvent: `${event}_audit_failed`,
  });
  return (failure: T, c: RequestContext): void => {
    const keyed = {
      ...failure,
      reason: REASON.test(failure.reason) ? failure.reason : "other",
      ip: clientBlock(failure.ip),
      userAgent: failure.userAgent.slice(0, MAX_USER_AGENT),
    };
    windows.note([target(keyed), keyed.scheme, keyed.reason, keyed.ip].join("\n"), keyed, slim(c));
  };
}

/**
 * `authenticate`'s failure hook, set when the config records `auth_failure`: an event, never the
 * credential itself. The windows also hold the overflow sample and "other", which are no
 * refusal reason of a scheme.
 */
export const recordAuthFailure = refusalWindows<Omit<AuthFailureEvent, "reason"> & RefusedCredential>(
  "auth_failure",
  "authenticate",
  (failure) => (failure.route ? `routes/${failure.route}` : "unmatched"),
  {
    route: "",
    scheme: "",
    reason: "(overflow)",
    ip: "",
    userAgent: "",
  },
);

/** A refused admin login: what was presented (scheme, reason), never the credential. */
export interface AdminAuthFailure extends RefusedCredential {
  /** The admin endpoint's pattern (`/admin/routes/:id`), or `admin` for a path no endpoint has: never the path as sent. */
  path: string;
}

export const recordAdminAuthFailure = refusalWindows<AdminAuthFailure>("admin_auth_failure", "admin_auth", (failure) => failure.path, {
  path: "",
  scheme: "",
  reason: "(overflow)",
  ip: "",
  userAgent: "",
});

const routeMatches = new EventWindows<string, RequestContext>({
  sink: (route, occurrences, c) =>
    send(c, { event: "route_match", actor: "gateway", action: "route_match", target: `routes/${route}`, details: counted(occurrences) }),
  windowMs: windowOf,
  overflow: "(other routes)",
  // Route ids come from the config, not the client: one window each, however many routes.
  maxKeys: Number.POSITIVE_INFINITY,
  failureEvent: "route_match_audit_failed",
});

/** A gateway step after route matching, present only when the config records `route_match`. */
export const recordRouteMatch: MiddlewareHandler<AppEnv> = async function recordRouteMatch(c, next) {
  const route = c.var.route?.id;
  if (route !== undefined) routeMatches.note(route, route, slim(c));
  await next();
};

/** The rate-limit policy's window length: the same AUDIT_WINDOW_MS. */
export const rateLimitAuditWindow = (c: Context<AppEnv>): number => auditWindowMs(c.env);

/**
 * The rate limiter's aggregated refusals, set when the config records `rate_limit`: one event
 * per counter, route and window, with a count.
 */
export async function recordRateLimited(limited: RateLimitedEvent, c: Context<AppEnv>): Promise<void> {
  await send(c, {
    event: "rate_limit",
    actor: c.var.consumer ?? "anonymous",
    action: "rate_limit",
    target: limited.route ? `routes/${limited.route}` : "",
    ip: c.var.clientIp,
    userAgent: c.req.header("User-Agent") ?? "",
    details: { limiter: limited.key, ...counted(limited) },
  });
}

/** An event with its client's address block (its row's `ip` and part of its key) and user agent, bounded. */
function withClient<T extends object>(event: T, c: Context<AppEnv>): T & { ip: string; userAgent: string } {
  return { ...event, ip: clientBlock(c.var.clientIp ?? ""), userAgent: (c.req.header("User-Agent") ?? "").slice(0, MAX_USER_AGENT) };
}

/** GraphQL's Name syntax (spec §2.1.9). */
const GRAPHQL_NAME = /^[_A-Za-z][_0-9A-Za-z]*$/;
/** The longest operation name kept in a key; longer ones are cut, with `…`. */
const MAX_OPERATION_NAME = 64;

/** An operation name as a key: a GraphQL name, cut to MAX_OPERATION_NAME; anything else `(other)`. */
function operationKey(name: string | undefined): string | undefined {
  if (name === undefined) return undefined;
  if (!GRAPHQL_NAME.test(name)) return "(other)";
  return name.length > MAX_OPERATION_NAME ? `${name.slice(0, MAX_OPERATION_NAME)}…` : name;
}

const graphqlRefusals = new EventWindows<GraphqlRefusedEvent & { ip: string; userAgent: string }, RequestContext>({
  sink: (refused, occurrences, c) =>
    send(c, {
      event: "graphql_refused",
      actor: "anonymous",
      action: "graphql_guard",
      target: refused.route ? `routes/${refused.route}` : "(overflow)",
      ip: refused.ip,
      userAgent: refused.userAgent,
      details: { rule: refused.rule, operation: refused.operationName ?? null, ...counted(occurrences) },
    }),
  windowMs: windowOf,
  overflow: { route: "", rule: "BAD_REQUEST", operationName: "(overflow)", ip: "", userAgent: "" },
  failureEvent: "graphql_refused_audit_failed",
});

/**
 * The GraphQL guard's refusal hook, set when the config records `graphql_refused`: the rule and
 * the operation's name, never the document or its variables. The name is the client's text, so
 * it is cut to 64 characters, and one that is not a GraphQL name is keyed as `(other)`; the
 * windows' key cap bounds how many distinct names make rows.
 */
export function recordGraphqlRefused(refused: GraphqlRefusedEvent, c: Context<AppEnv>): void {
  const operationName = operationKey(refused.operationName);
  const keyed = withClient({ ...refused, operationName }, c);
  graphqlRefusals.note([keyed.route, keyed.rule, operationName ?? "", keyed.ip].join("\n"), keyed, slim(c));
}

const aiChecks = new EventWindows<AiCheckedEvent & { ip: string; userAgent: string }, RequestContext>({
  sink: (checked, occurrences, c) =>
    send(c, {
      event: "ai_check",
      actor: "anonymous",
      action: checked.action,
      target: checked.route ? `routes/${checked.route}` : "(overflow)",
      ip: checked.ip,
      userAgent: checked.userAgent,
      details: { rule: checked.rule, counts: checked.counts ?? null, ...counted(occurrences) },
    }),
  windowMs: windowOf,
  overflow: { route: "", rule: "(overflow)", action: "log", ip: "", userAgent: "" },
  failureEvent: "ai_check_audit_failed",
});

/**
 * The AI gateway's decisions (a block, a mask, a logged finding), set when the config records
 * `ai_check`: the rule id (from the code: `pii`, `prompt_injection.<rule>`,
 * `content_filter.<category>`, ...) and the counts by type, never a value or a text of the
 * prompt. A window's row carries the counts of its first request and how many requests it counted.
 */
export function recordAiCheck(checked: AiCheckedEvent, c: Context<AppEnv>): void {
  const keyed = withClient(checked, c);
  aiChecks.note([keyed.route, keyed.rule, keyed.action, keyed.ip].join("\n"), keyed, slim(c));
}
