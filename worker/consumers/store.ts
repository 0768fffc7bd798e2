/**
 * The consumer tables in D1 (migrations/0003_consumers.sql, storage-schema.md). Every write
 * carries its own precondition in the statement (the consumer enabled, the key still active),
 * so two admins racing cannot, say, issue a key to a consumer that was just disabled: the
 * losing write changes nothing and the caller answers 409. Times are ISO 8601 UTC text, which
 * compares correctly as strings.
 */
import type { StoredConsumer } from "./stored-consumer";
import type { MintedKey } from "./keys";
import type { ApiKeyInfo, Consumer, ConsumerCreate } from "./schema";

interface ConsumerRow {
  id: string;
  tenant: string;
  rate_limit: string | null;
  allowed_routes: string | null;
  /** Migration 0010. */
  allowed_models: string | null;
  created_at: string;
  disabled_at: string | null;
}

interface KeyRow {
  key_id: string;
  consumer_id: string;
  prefix: string;
  last4: string;
  created_at: string;
  revoked_at: string | null;
  rotated_from: string | null;
}

/** The key columns the admin API may show: never `sha256`. */
const KEY_COLUMNS = "key_id, consumer_id, prefix, last4, created_at, revoked_at, rotated_from";

const fromJson = <T>(text: string | null): T | null => (text === null ? null : (JSON.parse(text) as T));

function consumerOf(row: ConsumerRow): Consumer {
  return {
    id: row.id,
    tenant: row.tenant,
    rate_limit: fromJson(row.rate_limit),
    allowed_routes: fromJson(row.allowed_routes),
    allowed_models: fromJson(row.allowed_models),
    created_at: row.created_at,
    disabled: row.disabled_at !== null,
    disabled_at: row.disabled_at,
  };
}

export function keyOf(row: KeyRow, now: string): ApiKeyInfo {
  const status = row.revoked_at === null ? "active" : row.revoked_at > now ? "expiring" : "revoked";
  return { ...row, status };
}

export async function readConsumer(db: D1Database, id: string): Promise<Consumer | undefined> {
  const row = await db.prepare("SELECT * FROM consumers WHERE id = ?").bind(id).first<ConsumerRow>();
  return row ? consumerOf(row) : undefined;
}

export async function listConsumers(db: D1Database): Promise<Consumer[]> {
  const { results } = await db.prepare("SELECT * FROM consumers ORDER BY id").all<ConsumerRow>();
  return results.map(consumerOf);
}

/** The new consumer, or undefined when the id is taken (also by a disabled consumer). */
export async function insertConsumer(db: D1Database, input: ConsumerCreate, now: string): Promise<Consumer | undefined> {
  const row = await db
    .prepare(
      // A taken id is checked here, not left to ON CONFLICT: migration 0006's trigger refuses
      // any insert of an existing id, so that REPLACE cannot bring a disabled consumer back.
      `INSERT INTO consumers (id, tenant, rate_limit, allowed_routes, allowed_models, created_at) SELECT ?1, ?2, ?3, ?4, ?5, ?6
       WHERE NOT EXISTS (SELECT 1 FROM consumers WHERE id = ?1) RETURNING *`,
    )
    .bind(
      input.id,
      input.tenant,
      input.rate_limit ? JSON.stringify(input.rate_limit) : null,
      input.allowed_routes ? JSON.stringify(input.allowed_routes) : null,
      input.allowed_models ? JSON.stringify(input.allowed_models) : null,
      now,
    )
    .first<ConsumerRow>();
  return row ? consumerOf(row) : undefined;
}

/** The disabled consumer, or undefined when it does not exist or was disabled already. */
export async function disableConsumer(db: D1Database, id: string, now: string): Promise<Consumer | undefined> {
  const row = await db
    .prepare("UPDATE consumers SET disabled_at = ?2 WHERE id = ?1 AND disabled_at IS NULL RETURNING *")
    .bind(id, now)
    .first<ConsumerRow>();
  return row ? consumerOf(row) : undefined;
}

export async function listKeys(db: D1Database, consumerId: string, now: string): Promise<ApiKeyInfo[]> {
  const { results } = await db
    .prepare(`SELECT ${KEY_COLUMNS} FROM consumer_keys WHERE consumer_id = ? ORDER BY created_at, key_id`)
    .bind(consumerId)
    .all<KeyRow>();
  return results.map((row) => keyOf(row, now));
}

export async function readKey(db: D1Database, consumerId: string, keyId: string, now: string): Promise<ApiKeyInfo | undefined> {
  const row = await db
    .prepare(`SELECT ${KEY_COLUMNS} FROM consumer_keys WHERE key_id = ? AND consumer_id = ?`)
    .bind(keyId, consumerId)
    .first<KeyRow>();
  return row ? keyOf(row, now) : undefined;
}

const ENABLED_CONSUMER = "EXISTS (SELECT 1 FROM consumers WHERE id = ?2 AND disabled_at IS NULL)";

function insertKeyStatement(
  db: D1Database,
  keyId: string,
  consumerId: string,
  minted: MintedKey,
  now: string,
  rotatedFrom: string | null,
  condition: string,
): D1PreparedStatement {
  return db
    .prepare(
      `INSERT INTO consumer_keys (key_id, consumer_id, sha256, prefix, last4, created_at, rotated_from)
       SELECT ?1, ?2, ?3, ?4, ?5, ?6, ?7 WHERE ${condition} RETURNING ${KEY_COLUMNS}`,
    )
    .bind(keyId, consumerId, minted.sha256, minted.prefix, minted.last4, now, rotatedFrom);
}

/** Stores a new key's hash; undefined when the consumer is missing or disabled. */
export async function insertKey(
  db: D1Database,
  consumerId: string,
  keyId: string,
  minted: MintedKey,
  now: string,
): Promise<ApiKeyInfo | undefined> {
  const row = await insertKeyStatement(db, keyId, consumerId, minted, now, null, ENABLED_CONSUMER).first<KeyRow>();
  return row ? keyOf(row, now) : undefined;
}

/**
 * Revokes a key now; a key in its rotation grace period is cut short. Undefined when the key
 * does not exist or has stopped working already.
 */
export async function revokeKey(db: D1Database, consumerId: string, keyId: string, now: string): Promise<ApiKeyInfo | undefined> {
  const row = await db
    .prepare(
      `UPDATE consumer_keys SET revoked_at = ?3 WHERE key_id = ?1 AND consumer_id = ?2 AND (revoked_at IS NULL OR revoked_at > ?3) RETURNING ${KEY_COLUMNS}`,
    )
    .bind(keyId, consumerId, now)
    .first<KeyRow>();
  return row ? keyOf(row, now) : undefined;
}

/**
 * Replaces an active key in one transaction (a D1 batch): the new key's hash is inserted and
 * the old key set to stop at `revokeAt`, both only if the consumer is enabled and the old key
 * still active, so a rotation that lost a race changes nothing. Undefined in that case.
 */
export async function rotateKey(
  db: D1Database,
  consumerId: string,
  oldKeyId: string,
  newKeyId: string,
  minted: MintedKey,
  now: string,
  revokeAt: string,
): Promise<{ key: ApiKeyInfo; previous: ApiKeyInfo } | undefined> {
  // ?7 is the new key's rotated_from: the old key.
  const oldActive = `${ENABLED_CONSUMER} AND EXISTS (SELECT 1 FROM consumer_keys WHERE key_id = ?7 AND consumer_id = ?2 AND revoked_at IS NULL)`;
  const [inserted, updated] = await db.batch<KeyRow>([
    insertKeyStatement(db, newKeyId, consumerId, minted, now, oldKeyId, oldActive),
    db
      .prepare(
        `UPDATE consumer_keys SET revoked_at = ?3 WHERE key_id = ?1 AND consumer_id = ?2 AND revoked_at IS NULL AND ${ENABLED_CONSUMER} RETURNING ${KEY_COLUMNS}`,
      )
      .bind(oldKeyId, consumerId, revokeAt),
  ]);
  const key = inserted?.results[0];
  const previous = updated?.results[0];
  return key && previous ? { key: keyOf(key, now), previous: keyOf(previous, now) } : undefined;
}

/**
 * The hot path's query: the enabled consumer owning a key that works at `now` (active, or
 * rotated and still in its grace period), found through the UNIQUE index on sha256.
 */
export async function findKeyOwner(
  db: D1Database,
  sha256: string,
  now: string,
): Promise<{ owner: StoredConsumer; revokedAt: string | null } | undefined> {
  const row = await db
    .prepare(
      `SELECT c.id, c.tenant, c.rate_limit, c.allowed_routes, c.allowed_models, k.revoked_at
       FROM consumer_keys AS k JOIN consumers AS c ON c.id = k.consumer_id
       WHERE k.sha256 = ?1 AND c.disabled_at IS NULL AND (k.revoked_at IS NULL OR k.revoked_at > ?2)`,
    )
    .bind(sha256, now)
    .first<Pick<ConsumerRow, "id" | "tenant" | "rate_limit" | "allowed_routes" | "allowed_models"> & { revoked_at: string | null }>();
  if (!row) return undefined;
  const owner: StoredConsumer = { consumer: row.id, tenant: row.tenant };
  const allowedRoutes = fromJson<string[]>(row.allowed_routes);
  const allowedModels = fromJson<string[]>(row.allowed_models);
  const rateLimit = fromJson<NonNullable<StoredConsumer["rateLimit"]>>(row.rate_limit);
  if (allowedRoutes) owner.allowedRoutes = allowedRoutes;
  // A set, built once per lookup and kept in the lookup cache: each request's check is one probe.
  if (allowedModels) owner.allowedModels = new Set(allowedModels);
  if (rateLimit) owner.rateLimit = rateLimit;
  return { owner, revokedAt: row.revoked_at };
}
