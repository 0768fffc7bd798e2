/**
 * Appends immutable, hash-chained rows to `audit_log`: one at a time (`writeAuditEvent`, the
 * admin API's synchronous rows) or a run of them in one transaction (`appendAuditEvents`, the
 * audit queue's batches).
 *
 * Several isolates may write at once. Each attempt reads the chain's head, hashes the row
 * onto it, and inserts with a guard in the same statement: the insert happens only if the head
 * is still the one hashed onto (D1 runs each statement atomically on one primary), so two
 * writers can never chain to the same prev_hash; the UNIQUE hash column backs this up. A
 * writer that lost the race reads the new head and tries again, a bounded number of times.
 *
 * Every append also records its new head under HMAC with AUDIT_HMAC_KEY (anchor.ts), in the
 * same D1 batch (one transaction), so no row is ever stored without a keyed head after it.
 *
 * A `config_change` that names a `newVersion` also claims that version: the insert is refused
 * when another row already claimed it (and migration 0002 makes the database refuse it too).
 * The config store allocates versions this way because KV has no compare-and-set.
 */
import { anchorKeys, anchorStatement, type AuditStore } from "./anchor";
import { auditRowHash, GENESIS_HASH } from "./chain";
import { canonicalJson } from "./canonical";
import { scrubDetails } from "./scrub";
import type { AuditEvent, AuditRow, HashedFields } from "./types";

/** Another writer recorded this config version first. */
export class AuditVersionConflictError extends Error {
  constructor(readonly version: number) {
    super(`config version ${version} was claimed by another change`);
    this.name = "AuditVersionConflictError";
  }
}

const MAX_ATTEMPTS = 16;

const HEAD = "(SELECT hash FROM audit_log ORDER BY id DESC LIMIT 1)";

const INSERT = `INSERT INTO audit_log
  (event_id, ts, event, actor, action, target, ip, user_agent, request_id, old_version, new_version, details, prev_hash, hash)
SELECT ?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14
WHERE ${HEAD} IS ?15
  AND NOT EXISTS (SELECT 1 FROM audit_log WHERE event_id = ?1)
  AND (?11 IS NULL OR ?3 <> 'config_change'
       OR NOT EXISTS (SELECT 1 FROM audit_log WHERE event = 'config_change' AND new_version = ?11))
RETURNING id`;

/** The guarded insert of one row chained onto `prevHash`, refused unless the head is still `guard`. */
function insertRow(db: D1Database, fields: HashedFields, prevHash: string, hash: string, guard: string | null): D1PreparedStatement {
  const { event_id, ts, event, actor, action, target, ip, user_agent, request_id, old_version, new_version, details } = fields;
  return db
    .prepare(INSERT)
    .bind(event_id, ts, event, actor, action, target, ip, user_agent, request_id, old_version, new_version, details, prevHash, hash, guard);
}

/** Request-supplied text (paths, user agents) is capped so a row stays small. */
const MAX_FIELD = 512;
const cap = (text: string | undefined): string => (text ?? "").slice(0, MAX_FIELD);

function fieldsOf(event: AuditEvent): HashedFields {
  return {
    event_id: event.eventId ?? crypto.randomUUID(),
    ts: new Date().toISOString(),
    event: event.event,
    actor: event.actor,
    action: event.action,
    target: cap(event.target),
    ip: cap(event.ip),
    user_agent: cap(event.userAgent),
    request_id: cap(event.requestId),
    old_version: event.oldVersion ?? null,
    new_version: event.newVersion ?? null,
    details: canonicalJson(scrubDetails(event.details ?? {})),
  };
}

/** Why the guarded insert did not happen, when it was not a moved head. */
async function refusal(db: D1Database, fields: HashedFields): Promise<AuditRow | AuditVersionConflictError | undefined> {
  const existing = await db.prepare("SELECT * FROM audit_log WHERE event_id = ?").bind(fields.event_id).first<AuditRow>();
  if (existing) return existing;
  if (fields.event === "config_change" && fields.new_version !== null) {
    const claimed = await db
      .prepare("SELECT 1 FROM audit_log WHERE event = 'config_change' AND new_version = ?")
      .bind(fields.new_version)
      .first();
    if (claimed) return new AuditVersionConflictError(fields.new_version);
  }
  return undefined;
}

/** A short random pause so writers that collided do not collide again in lockstep. */
function backoff(attempt: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, Math.random() * 5 * attempt));
}

/**
 * Writes the event and returns the stored row. Throws `AuditVersionConflictError` when the
 * config version is already taken, and whatever D1 throws when the database is unavailable:
 * callers that must not proceed without an audit row (admin changes) refuse on any error.
 * An `eventId` that is already stored returns the stored row (idempotent retries).
 */
export async function writeAuditEvent(store: AuditStore, event: AuditEvent): Promise<AuditRow> {
  const db = store.DB;
  const fields = fieldsOf(event);
  const { current: key } = await anchorKeys(store);
  for (let attempt = 1; attempt <= MAX_ATTEMPTS; attempt++) {
    const head = await db.prepare("SELECT hash FROM audit_log ORDER BY id DESC LIMIT 1").first<{ hash: string }>();
    const prevHash = head?.hash ?? GENESIS_HASH;
    const hash = await auditRowHash(prevHash, fields);
    const insert = insertRow(db, fields, prevHash, hash, head?.hash ?? null);
    const [result] = await db.batch<{ id: number }>(key ? [insert, await anchorStatement(db, key, hash)] : [insert]);
    const inserted = result?.results[0];
    if (inserted) return { id: inserted.id, ...fields, prev_hash: prevHash, hash };
    const reason = await refusal(db, fields);
    if (reason instanceof AuditVersionConflictError) throw reason;
    if (reason) return reason;
    await backoff(attempt);
  }
  throw new Error(`audit log: could not append after ${MAX_ATTEMPTS} attempts (heavy write contention)`);
}

/**
 * Appends several events as one chained run, in order, in a single D1 batch (one transaction):
 * the audit queue's consumer writes a whole message batch this way, in one round trip.
 *
 * Idempotent, so a batch delivered again (after a failure, or twice by the queue) stores
 * nothing twice: events whose event_id is already stored are left out before chaining, and
 * each insert carries the same guards as `writeAuditEvent` (the head it chains onto, no
 * stored event_id) and ends with the keyed head of its last row. The run is chained link by link, so an insert refused by a guard
 * (another writer moved the head) refuses every later one too; the next attempt starts from
 * what is stored. Version claims are not taken here: a `config_change` naming a new version
 * goes through `writeAuditEvent`.
 */
export async function appendAuditEvents(store: AuditStore, events: readonly (AuditEvent & { eventId: string })[]): Promise<void> {
  const db = store.DB;
  if (events.some((event) => event.event === "config_change" && event.newVersion !== undefined)) {
    throw new TypeError("appendAuditEvents: a config version claim goes through writeAuditEvent");
  }
  // One row per event id, the first occurrence in the batch.
  let pending = [...new Map(events.map((event) => [event.eventId, fieldsOf(event)])).values()];
  const { current: key } = await anchorKeys(store);
  for (let attempt = 1; attempt <= MAX_ATTEMPTS; attempt++) {
    const { results: stored } = await db
      .prepare("SELECT event_id FROM audit_log WHERE event_id IN (SELECT value FROM json_each(?))")
      .bind(JSON.stringify(pending.map((fields) => fields.event_id)))
      .all<{ event_id: string }>();
    const storedIds = new Set(stored.map((row) => row.event_id));
    pending = pending.filter((fields) => !storedIds.has(fields.event_id));
    if (pending.length === 0) return;
    const head = await db.prepare("SELECT hash FROM audit_log ORDER BY id DESC LIMIT 1").first<{ hash: string }>();
    let prevHash = head?.hash ?? GENESIS_HASH;
    let guard: string | null = head?.hash ?? null;
    const inserts: D1PreparedStatement[] = [];
    for (const fields of pending) {
      const hash = await auditRowHash(prevHash, fields);
      inserts.push(insertRow(db, fields, prevHash, hash, guard));
      prevHash = hash;
      guard = hash;
    }
    const anchor = key ? [await anchorStatement(db, key, prevHash)] : [];
    const results = await db.batch<{ id: number }>([...inserts, ...anchor]);
    if (results.slice(0, inserts.length).every((result) => result.results.length === 1)) return;
    await backoff(attempt);
  }
  throw new Error(`audit log: could not append a batch after ${MAX_ATTEMPTS} attempts (heavy write contention)`);
}
