/**
 * The names of audit events, for the config's `audit.events` and the rows of the audit log; apart
 * from the config schema because the request path (request-events.ts) reads them without zod.
 *
 * `consumer_change`: a consumer or one of its keys created, disabled, revoked or rotated;
 * `credential_change`: a vault credential stored, replaced or deleted, or re-encrypted by a root
 * rotation; `state_reset`: an operator reset a rate-limit counter (`rate_limit_reset`), an AI
 * token budget or quota (`ai_budget_reset`) or an upstream's circuit (`circuit_reset`), or purged the response cache (`cache_purge`); `audit_export`: a day of the audit log exported to R2
 * (worker/audit/archive.ts); `audit_prune`: the retention job pruned old rows
 * (worker/audit/retention.ts). All six are always written, like `config_change`.
 */
export const AUDIT_EVENTS = [
  "config_change",
  "consumer_change",
  "credential_change",
  "state_reset",
  "audit_export",
  "audit_prune",
  "route_match",
  "auth_failure",
  "rate_limit",
  "admin_auth_failure",
  "graphql_refused",
  "ai_check",
] as const;

/** Recorded when the config has no `audit.events`: every event but route_match, which writes a row per route and window even when nothing is wrong. */
export const DEFAULT_AUDIT_EVENTS: readonly AuditEventName[] = AUDIT_EVENTS.filter((event) => event !== "route_match");

export type AuditEventName = (typeof AUDIT_EVENTS)[number];
