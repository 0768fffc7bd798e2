/**
 * The config store: versions, the current pointer and documents in KV (layout in kv.ts and
 * storage-schema.md), every change audited in D1 first. The request path reads the store
 * through the isolate's cache of the compiled config (pipeline/config-cache.ts), which this
 * module tells about every change saved here (`onConfigSaved`).
 *
 * KV is eventually consistent and has no compare-and-set, so version numbers are allocated
 * through the audit log in D1 (strongly consistent): the audit row of a change claims its new
 * version, and the database refuses a second claim of the same number. Two racing writers
 * therefore never both write `config:v:N`; the loser gets 412 (or 409) and nothing changed.
 */
import { AuditVersionConflictError, writeAuditEvent } from "../audit";
import { sha256Hex } from "../audit/chain";
import { auditUnavailable, type ChangeAuthor } from "../audit/change-author";
import type { Env } from "../env";
import { httpError } from "../http/errors";
import { KEYS, putMutable, readPointer, readVersion, type PersistedQueriesRef, type StoredDocumentMeta, type VersionRecord } from "./kv";
import { normalForm } from "./normal-form";
import { ifMatchAllows } from "./version-tag";
import { errorName, log } from "../observability/logger";

export interface CurrentConfig {
  /** 0 before the first save. */
  version: number;
  /** Undefined for version 0, or when KV does not (yet) return the version's record here. */
  record: VersionRecord | undefined;
  /** The version the next change will claim. */
  nextVersion: number;
  /** Another change has claimed a newer version that is not readable here yet. */
  inFlight: boolean;
}

/**
 * A claimed version whose KV record is not readable here is, for this long, a change still
 * being written or not yet propagated to this location (KV's bound for other locations is
 * about 60 s); later, a change that failed between its audit row and its KV writes: a hole in
 * the numbering, which its audit row explains. Changes wait (409) rather than risk building on
 * a document that is about to be replaced.
 */
const CLAIM_SETTLE_MS = 60_000;

interface Claim {
  new_version: number;
  ts: string;
}

/** Versions claimed in the audit log above `version`, newest first. */
async function claimsAbove(db: D1Database, version: number): Promise<Claim[]> {
  const { results } = await db
    .prepare("SELECT new_version, ts FROM audit_log WHERE event = 'config_change' AND new_version > ? ORDER BY new_version DESC LIMIT 5")
    .bind(version)
    .all<Claim>();
  return results;
}

/**
 * The config in force as the admin API sees it: the KV pointer, unless the audit log knows a
 * newer version whose record KV already holds (the pointer at this location lags, or its
 * write failed). When D1 cannot be read, the pointer alone answers; a change would then be
 * refused anyway, because its audit row cannot be written.
 */
export async function readCurrent(env: Env): Promise<CurrentConfig> {
  const pointer = await readPointer(env.CONFIG);
  const claims = await claimsAbove(env.DB, pointer).catch((): Claim[] => []);
  const nextVersion = Math.max(pointer, claims[0]?.new_version ?? 0) + 1;
  let inFlight = false;
  for (const claim of claims) {
    const record = await readVersion(env.CONFIG, claim.new_version);
    if (record) return { version: record.version, record, nextVersion, inFlight };
    inFlight ||= Date.now() - Date.parse(claim.ts) < CLAIM_SETTLE_MS;
  }
  const record = pointer > 0 ? await readVersion(env.CONFIG, pointer) : undefined;
  return { version: pointer, record, nextVersion, inFlight };
}

/** The current document; `{}` before the first save. */
export function currentDocument(current: CurrentConfig): Record<string, unknown> {
  if (current.version === 0) return {};
  if (!current.record) {
    throw httpError("config_unavailable", `config version ${current.version} cannot be read from KV here yet; retry shortly`, {
      headers: { "Retry-After": "1" },
    });
  }
  return current.record.document;
}

export interface ConfigChange {
  /** Audit action: `config_put`, `rollback`, `route_put`, `upstream_delete`, … */
  action: string;
  /** Audit target: `config`, `routes/<id>`, `upstreams/<name>`. */
  target: string;
  /** The request's If-Match header, if any. */
  ifMatch: string | undefined;
  details?: Record<string, unknown>;
  /**
   * The persisted-query allow-list of the new version, asked once the document is edited;
   * without it, the current version's carries over (a config change never drops the list).
   */
  persistedQueries?: () => PersistedQueriesRef | undefined;
}

function preconditionFailed(currentVersion: number) {
  return httpError("precondition_failed", "the config changed since the version in If-Match; GET it again and retry", {
    extra: { current_version: currentVersion },
  });
}

/**
 * Saves a new version. `edit` receives the current config and returns the new document; it
 * validates and may throw (400, 404), in which case nothing is written. Then, in this order:
 * the audit row (claims the version; if it cannot be written, 503 `audit_unavailable` and
 * nothing changed), the immutable version record, the pointer. Finally this isolate's cache
 * is invalidated so its next request serves the new version.
 */
export async function saveConfig(
  env: Env,
  author: ChangeAuthor,
  change: ConfigChange,
  edit: (current: CurrentConfig) => Record<string, unknown> | Promise<Record<string, unknown>>,
): Promise<{ version: number; previous: number }> {
  const current = await readCurrent(env);
  if (current.inFlight) {
    throw httpError("change_in_progress", "another admin change is being saved; retry in a moment", {
      headers: { "Retry-After": "1" },
    });
  }
  if (!ifMatchAllows(change.ifMatch, current.version)) throw preconditionFailed(current.version);
  const document = await edit(current);
  // Before the audit row: a document the schema refuses leaves nothing written.
  const normal = await normalForm(document);
  const version = current.nextVersion;
  const createdAt = new Date().toISOString();
  try {
    await writeAuditEvent(env, {
      event: "config_change",
      action: change.action,
      target: change.target,
      ...author,
      oldVersion: current.version,
      newVersion: version,
      details: change.details,
    });
  } catch (error) {
    if (!(error instanceof AuditVersionConflictError)) throw auditUnavailable(error);
    if (change.ifMatch !== undefined) throw preconditionFailed(version);
    throw httpError("conflict");
  }
  const record: VersionRecord = {
    version,
    document,
    created_at: createdAt,
    actor: author.actor,
    action: change.action,
    normal,
  };
  const persistedQueries = change.persistedQueries ? change.persistedQueries() : current.record?.persisted_queries;
  if (persistedQueries) record.persisted_queries = persistedQueries;
  await storeWrite(async () => {
    await env.CONFIG.put(KEYS.version(version), JSON.stringify(record), {
      metadata: { created_at: createdAt, actor: author.actor, action: change.action },
    });
    await putMutable(env.CONFIG, KEYS.pointer, { version });
  });
  announceSaved();
  return { version, previous: current.version };
}

/** KV writes after the audit row: a failure is a 503 that says what the audit log holds. */
async function storeWrite(write: () => Promise<void>): Promise<void> {
  try {
    await write();
  } catch (error) {
    log.error("store_unavailable", { name: errorName(error) });
    throw httpError("store_unavailable");
  }
}

// ---------------------------------------------------------------- documents

/**
 * Stores an uploaded document: audit row first, then the document, then the documents
 * revision, which makes every isolate recompile the config that references it.
 */
export async function putDocument(env: Env, author: ChangeAuthor, path: string, document: unknown): Promise<StoredDocumentMeta> {
  const text = JSON.stringify(document);
  const meta: StoredDocumentMeta = {
    sha256: await sha256Hex(text),
    size: new TextEncoder().encode(text).byteLength,
    updated_at: new Date().toISOString(),
    actor: author.actor,
  };
  await changeDocument(env, author, path, "document_put", { sha256: meta.sha256, size: meta.size }, () =>
    env.CONFIG.put(KEYS.document(path), text, { metadata: meta }),
  );
  return meta;
}

export async function deleteDocument(env: Env, author: ChangeAuthor, path: string): Promise<void> {
  await changeDocument(env, author, path, "document_delete", {}, () => env.CONFIG.delete(KEYS.document(path)));
}

async function changeDocument(
  env: Env,
  author: ChangeAuthor,
  path: string,
  action: string,
  details: Record<string, unknown>,
  write: () => Promise<void>,
): Promise<void> {
  try {
    await writeAuditEvent(env, { event: "config_change", action, target: `documents:${path}`, ...author, details });
  } catch (error) {
    throw auditUnavailable(error);
  }
  await storeWrite(async () => {
    await write();
    await putMutable(env.CONFIG, KEYS.documentsRevision, { revision: crypto.randomUUID(), updated_at: new Date().toISOString() });
  });
  announceSaved();
}

// ---------------------------------------------------------------- change notices

const savedListeners: (() => void)[] = [];

/**
 * Calls `listener` after every change this isolate saves, so that its next request serves the
 * change (the cache in pipeline/config-cache.ts registers here; other isolates notice through
 * the revision keys within CONFIG_CACHE_TTL_MS).
 */
export function onConfigSaved(listener: () => void): void {
  savedListeners.push(listener);
}

function announceSaved(): void {
  for (const listener of savedListeners) listener();
}
