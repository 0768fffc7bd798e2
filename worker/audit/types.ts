import type { AuditEventName } from "./events";

export type { AuditEventName } from "./events";

/** What a caller records; the writer adds the id, timestamp and hash chain. */
export interface AuditEvent {
  event: AuditEventName;
  /** Who: `token`, `basic:<user>`, a consumer id, or `anonymous`. */
  actor: string;
  /** What was done: `config_put`, `route_delete`, `admin_auth`, … */
  action: string;
  /** What it was done to: `config`, `routes/api`, `documents:/etc/loom/schemas/api.json`, a path. */
  target?: string;
  ip?: string;
  userAgent?: string;
  requestId?: string;
  oldVersion?: number;
  newVersion?: number;
  /** Extra facts. Keys named like a credential are dropped before the row is written. */
  details?: Record<string, unknown>;
  /** Idempotency key; a random UUID unless given. Writing the same id twice stores one row. */
  eventId?: string;
}

/** One row of `audit_log` (migrations/0001_audit_log.sql), as stored. */
export interface AuditRow {
  id: number;
  event_id: string;
  ts: string;
  event: string;
  actor: string;
  action: string;
  target: string;
  ip: string;
  user_agent: string;
  request_id: string;
  old_version: number | null;
  new_version: number | null;
  /** Canonical JSON text. */
  details: string;
  prev_hash: string;
  hash: string;
}

/** The fields the hash covers: every column except `id`, `prev_hash` and `hash`. */
export type HashedFields = Omit<AuditRow, "id" | "prev_hash" | "hash">;
