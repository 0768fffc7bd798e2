/**
 * The hash chain of the audit log: each row's hash covers the previous row's hash and the
 * row's own fields, so altering, removing or inserting a row behind the API's back (the
 * triggers already refuse UPDATE and DELETE through SQL) is visible from that row onwards.
 *
 *   hash = hex(SHA-256(prev_hash + "\n" + canonicalJson(fields)))
 *
 * where `fields` is every column except id, prev_hash and hash (details as its stored text),
 * and the first row's prev_hash is 64 zeros.
 */
import { canonicalJson } from "./canonical";
import type { AuditRow, HashedFields } from "./types";

export const GENESIS_HASH = "0".repeat(64);

const encoder = new TextEncoder();

function hex(buffer: ArrayBuffer): string {
  return [...new Uint8Array(buffer)].map((byte) => byte.toString(16).padStart(2, "0")).join("");
}

export async function sha256Hex(text: string): Promise<string> {
  return hex(await crypto.subtle.digest("SHA-256", encoder.encode(text)));
}

function hashedFields(row: HashedFields): HashedFields {
  const { event_id, ts, event, actor, action, target, ip, user_agent, request_id, old_version, new_version, details } = row;
  return { event_id, ts, event, actor, action, target, ip, user_agent, request_id, old_version, new_version, details };
}

export function auditRowHash(prevHash: string, fields: HashedFields): Promise<string> {
  return sha256Hex(`${prevHash}\n${canonicalJson(hashedFields(fields))}`);
}

export type ChainVerification =
  | { ok: true; rows: number; head: string }
  | { ok: false; rows: number; broken: { id: number; event_id: string; reason: "prev_hash_mismatch" | "hash_mismatch" } };

const PAGE_SIZE = 500;

/**
 * Walks the log in id order and returns the first broken link: a row whose prev_hash is not
 * the previous row's hash (a row removed or inserted) or whose hash does not match its
 * fields (a row altered). `rows` counts the rows checked before stopping.
 */
export async function verifyAuditChain(db: D1Database): Promise<ChainVerification> {
  let previous = GENESIS_HASH;
  let lastId = 0;
  let rows = 0;
  for (;;) {
    const { results } = await db.prepare("SELECT * FROM audit_log WHERE id > ? ORDER BY id LIMIT ?").bind(lastId, PAGE_SIZE).all<AuditRow>();
    for (const row of results) {
      if (row.prev_hash !== previous) return { ok: false, rows, broken: { id: row.id, event_id: row.event_id, reason: "prev_hash_mismatch" } };
      if ((await auditRowHash(row.prev_hash, row)) !== row.hash) return { ok: false, rows, broken: { id: row.id, event_id: row.event_id, reason: "hash_mismatch" } };
      previous = row.hash;
      lastId = row.id;
      rows += 1;
    }
    if (results.length < PAGE_SIZE) return { ok: true, rows, head: previous };
  }
}
