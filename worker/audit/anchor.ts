/**
 * Keyed heads ("anchors") of the audit chain, and the keyed checkpoints of its retention.
 *
 * The SHA-256 chain (chain.ts) lets anyone recompute every hash from an export, so it catches
 * an edit by someone who cannot recompute it, but not by someone who can write to D1: they
 * rewrite a row and recompute every later hash. Each append therefore records, in the same
 * transaction as its rows, the new head under HMAC-SHA-256 (RFC 2104) with the Worker secret
 * AUDIT_HMAC_KEY, which the database never holds. The head commits to every row before it, so
 * rows written before the key existed are anchored by the first keyed head.
 *
 * Rotation: set the new secret as AUDIT_HMAC_KEY and the old one as AUDIT_HMAC_KEY_PREVIOUS;
 * heads under either verify. Each head carries its key's id (16 hex digits derived from the
 * key, revealing nothing about it). Once one append has happened under the new key, its head
 * covers every earlier row, and the previous key can go: heads under an unknown key are
 * skipped by verify, never trusted.
 */
import type { Env } from "../env";
import { log } from "../observability/logger";
import { hex } from "../http/hex";

export type AuditStore = Pick<Env, "DB" | "AUDIT_HMAC_KEY" | "AUDIT_HMAC_KEY_PREVIOUS">;

const ANCHOR_CONTEXT = "loom-edge/audit-anchor/v1";
const CHECKPOINT_CONTEXT = "loom-edge/audit-checkpoint/v1";
/** 32 characters of base64url or hex carry at least 128 bits; `npm run dev` makes 43 (256 bits). */
export const MIN_AUDIT_KEY_LENGTH = 32;

export interface AnchorKey {
  id: string;
  key: CryptoKey;
}

export interface AnchorKeys {
  /** Signs new heads; undefined when AUDIT_HMAC_KEY is unset or too short (then nothing is anchored). */
  current?: AnchorKey;
  /** Verifies heads of the key before a rotation. */
  previous?: AnchorKey;
}

const encoder = new TextEncoder();

async function importKey(secret: string): Promise<AnchorKey> {
  const key = await crypto.subtle.importKey("raw", encoder.encode(secret), { name: "HMAC", hash: "SHA-256" }, false, ["sign", "verify"]);
  const id = hex(await crypto.subtle.sign("HMAC", key, encoder.encode(`${ANCHOR_CONTEXT} key id`))).slice(0, 16);
  return { id, key };
}

/** Imported keys by secret, so a Worker imports each once per isolate (a rotation adds one). */
const imported = new Map<string, Promise<AnchorKey>>();
const warned = new Set<string>();

function warnOnce(event: string, message: string): void {
  if (warned.has(event)) return;
  warned.add(event);
  log.warn(event, { message });
}

async function keyOf(secret: string | undefined, name: string): Promise<AnchorKey | undefined> {
  if (!secret) return undefined;
  if (secret.length < MIN_AUDIT_KEY_LENGTH) {
    warnOnce(
      `${name.toLowerCase()}_weak`,
      `${name} is shorter than ${MIN_AUDIT_KEY_LENGTH} characters and is not used; set ${MIN_AUDIT_KEY_LENGTH}+ random characters (e.g. openssl rand -base64 32)`,
    );
    return undefined;
  }
  let key = imported.get(secret);
  if (!key) {
    if (imported.size >= 4) imported.clear();
    key = importKey(secret);
    imported.set(secret, key);
  }
  return key;
}

export const UNANCHORED_WARNING =
  "AUDIT_HMAC_KEY is not set: the chain's heads are not keyed, so a writer with access to D1 could rewrite rows and recompute the chain unnoticed";

export async function anchorKeys(store: AuditStore): Promise<AnchorKeys> {
  const [current, previous] = await Promise.all([
    keyOf(store.AUDIT_HMAC_KEY, "AUDIT_HMAC_KEY"),
    keyOf(store.AUDIT_HMAC_KEY_PREVIOUS, "AUDIT_HMAC_KEY_PREVIOUS"),
  ]);
  if (!current) warnOnce("audit_hmac_key_unset", UNANCHORED_WARNING);
  return { current, previous };
}

/** The key a stored head names, if this Worker holds it. */
export const keyById = (keys: AnchorKeys, id: string): AnchorKey | undefined => [keys.current, keys.previous].find((key) => key?.id === id);

const mac = async (key: AnchorKey, text: string) => hex(await crypto.subtle.sign("HMAC", key.key, encoder.encode(text)));

const anchorText = (headHash: string) => `${ANCHOR_CONTEXT}\n${headHash}`;
const checkpointText = (throughId: number, headHash: string) => `${CHECKPOINT_CONTEXT}\n${throughId}\n${headHash}`;

export const checkpointMac = (key: AnchorKey, throughId: number, headHash: string) => mac(key, checkpointText(throughId, headHash));

/** Whether `macHex` is the key's MAC of `text`: crypto.subtle.verify compares in constant time. */
async function verifyMac(key: AnchorKey, macHex: string, text: string): Promise<boolean> {
  if (!/^[0-9a-f]{64}$/.test(macHex)) return false;
  const bytes = new Uint8Array(32);
  for (let i = 0; i < 32; i++) bytes[i] = Number.parseInt(macHex.slice(i * 2, i * 2 + 2), 16);
  return crypto.subtle.verify("HMAC", key.key, bytes, encoder.encode(text));
}

export const anchorMacValid = (key: AnchorKey, macHex: string, headHash: string) => verifyMac(key, macHex, anchorText(headHash));
export const checkpointMacValid = (key: AnchorKey, macHex: string, throughId: number, headHash: string) =>
  verifyMac(key, macHex, checkpointText(throughId, headHash));

/**
 * The statement that records `headHash` as a keyed head: it inserts only if the row with that
 * hash was inserted (run it in the same batch, after the rows), so a batch refused by a guard
 * anchors nothing.
 */
export async function anchorStatement(db: D1Database, key: AnchorKey, headHash: string): Promise<D1PreparedStatement> {
  return db
    .prepare(
      "INSERT INTO audit_anchors (head_id, head_hash, key_id, mac, created_at) SELECT id, hash, ?2, ?3, ?4 FROM audit_log WHERE hash = ?1",
    )
    .bind(headHash, key.id, await mac(key, anchorText(headHash)), new Date().toISOString());
}
