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
import { anchorKeys, anchorMacValid, checkpointMacValid, keyById, UNANCHORED_WARNING, type AuditStore } from "./anchor";
import { canonicalJson } from "./canonical";
import type { AuditRow, HashedFields } from "./types";
import { hex } from "../http/hex";

export const GENESIS_HASH = "0".repeat(64);

const encoder = new TextEncoder();

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

export type BrokenReason =
  /** This row was altered. */
  | "hash_mismatch"
  /** A row before this one was removed or inserted. */
  | "prev_hash_mismatch"
  /** A keyed head names this row with another hash: rows up to here were rewritten and the chain recomputed. */
  | "anchor_mismatch"
  /** A head names this row under a key this Worker holds, but its MAC is wrong: not made with the key. */
  | "anchor_forged"
  /** A keyed head names a row that is gone: the log was cut short. */
  | "anchored_row_missing"
  /** No keyed head covers this row and the ones after it. */
  | "unanchored"
  /** The retention checkpoint verify starts from was not made with the key. */
  | "checkpoint_forged";

export interface ChainStart {
  /** Rows up to this id were pruned by retention; the chain continues from `head_hash`. */
  through_id: number;
  head_hash: string;
}

export type ChainVerification =
  | {
      ok: true;
      rows: number;
      head: string;
      /** anchored: every row is covered by a head keyed with AUDIT_HMAC_KEY; unanchored: the key is unset, only the plain chain was checked. */
      anchor: "anchored" | "unanchored";
      checkpoint: ChainStart | null;
      warning?: string;
    }
  | { ok: false; rows: number; broken: { id: number; event_id: string | null; reason: BrokenReason }; anchored_through: number };

interface AnchorRow {
  head_id: number;
  head_hash: string;
  key_id: string;
  mac: string;
}

interface CheckpointRow extends ChainStart {
  key_id: string;
  mac: string;
}

const PAGE_SIZE = 500;

/**
 * Walks the log in id order, from the latest retention checkpoint on, and returns the first
 * broken link: a row whose prev_hash is not the previous row's hash (a row removed or
 * inserted) or whose hash does not match its fields (a row altered). With AUDIT_HMAC_KEY set
 * it also checks every keyed head against the row it names, and requires every row to be
 * covered by one: rows recomputed by a writer without the key fail there. `rows` counts the
 * rows checked before stopping. Rows appended while it walks are left for the next run, and
 * `through` stops it earlier (the retention job checks only what it prunes).
 */
export async function verifyAuditChain(store: AuditStore, options: { through?: number } = {}): Promise<ChainVerification> {
  const db = store.DB;
  const keys = await anchorKeys(store);
  const keyed = keys.current !== undefined || keys.previous !== undefined;
  const [checkpoints, bounds] = await db.batch([
    db.prepare("SELECT through_id, head_hash, key_id, mac FROM audit_checkpoints ORDER BY through_id DESC LIMIT 1"),
    db.prepare("SELECT max(id) AS last FROM audit_log"),
  ]);
  const checkpoint = checkpoints!.results[0] as CheckpointRow | undefined;
  const last = Math.min((bounds!.results[0] as { last: number | null }).last ?? 0, options.through ?? Number.MAX_SAFE_INTEGER);
  let previous = checkpoint?.head_hash ?? GENESIS_HASH;
  let lastId = checkpoint?.through_id ?? 0;
  let anchoredThrough = lastId;
  let rows = 0;
  const broken = (id: number, event_id: string | null, reason: BrokenReason): ChainVerification => ({
    ok: false,
    rows,
    broken: { id, event_id, reason },
    anchored_through: anchoredThrough,
  });
  if (checkpoint) {
    const key = keyById(keys, checkpoint.key_id);
    if (key && !(await checkpointMacValid(key, checkpoint.mac, checkpoint.through_id, checkpoint.head_hash)))
      return broken(checkpoint.through_id, null, "checkpoint_forged");
  }
  let firstUnanchored: AuditRow | undefined;
  for (;;) {
    const { results } = await db
      .prepare("SELECT * FROM audit_log WHERE id > ? AND id <= ? ORDER BY id LIMIT ?")
      .bind(lastId, last, PAGE_SIZE)
      .all<AuditRow>();
    if (results.length === 0) break;
    const pageEnd = results.at(-1)!.id;
    const anchors = keyed
      ? (
          await db
            .prepare("SELECT head_id, head_hash, key_id, mac FROM audit_anchors WHERE head_id > ? AND head_id <= ? ORDER BY head_id")
            .bind(lastId, pageEnd)
            .all<AnchorRow>()
        ).results
      : [];
    let next = 0;
    for (const row of results) {
      if (row.prev_hash !== previous) return broken(row.id, row.event_id, "prev_hash_mismatch");
      if ((await auditRowHash(row.prev_hash, row)) !== row.hash) return broken(row.id, row.event_id, "hash_mismatch");
      firstUnanchored ??= row;
      while (next < anchors.length && anchors[next]!.head_id <= row.id) {
        const anchor = anchors[next++]!;
        const key = anchor.head_id === row.id ? keyById(keys, anchor.key_id) : undefined;
        // Heads under a key this Worker no longer holds prove nothing and are skipped; a later head covers their rows.
        if (!key) continue;
        if (!(await anchorMacValid(key, anchor.mac, anchor.head_hash))) return broken(row.id, row.event_id, "anchor_forged");
        if (anchor.head_hash !== row.hash) return broken(row.id, row.event_id, "anchor_mismatch");
        anchoredThrough = row.id;
        firstUnanchored = undefined;
      }
      previous = row.hash;
      lastId = row.id;
      rows += 1;
    }
    if (results.length < PAGE_SIZE) break;
  }
  if (keyed) {
    // A head is written in the same transaction as its row, so a head without its row means rows were cut off the end.
    const orphan = await db
      .prepare(
        "SELECT head_id FROM audit_anchors a WHERE head_id > ? AND NOT EXISTS (SELECT 1 FROM audit_log WHERE id = a.head_id) ORDER BY head_id LIMIT 1",
      )
      .bind(checkpoint?.through_id ?? 0)
      .first<{ head_id: number }>();
    if (orphan) return broken(orphan.head_id, null, "anchored_row_missing");
    if (firstUnanchored) return broken(firstUnanchored.id, firstUnanchored.event_id, "unanchored");
  }
  const start = checkpoint ? { through_id: checkpoint.through_id, head_hash: checkpoint.head_hash } : null;
  return keyed
    ? { ok: true, rows, head: previous, anchor: "anchored", checkpoint: start }
    : { ok: true, rows, head: previous, anchor: "unanchored", checkpoint: start, warning: UNANCHORED_WARNING };
}
