/**
 * Root key rotation. To replace the root:
 *
 *   1. set VAULT_ROOT_KEY_PREVIOUS to the old root and VAULT_ROOT_KEY to a new one (reads accept
 *      both, writes use the new one);
 *   2. call `POST /admin/vault/rotate` until it answers `done: true`: each call re-encrypts one
 *      batch of rows still under another root and says how many remain;
 *   3. unset VAULT_ROOT_KEY_PREVIOUS.
 *
 * Resumable by construction: a batch selects only rows whose root is not the current one, so a
 * call that failed half-way, or rows written meanwhile (always under the current root), are
 * never re-encrypted twice. Each row is written only if it is still the one read (same version
 * and root), so a secret replaced during the rotation is never overwritten by its old value.
 * A row no root of the ring can decrypt stops the rotation with 409 naming the row, before
 * anything of that batch is written.
 */
import type { ChangeAuthor } from "../audit/change-author";
import type { Env } from "../env";
import { httpError } from "../http/errors";
import { CredentialUnreadableError, openCredential, sealCredential, type SealedCredential } from "./cipher";
import { loadKeyRing } from "./keys";
import { auditCredentialChange, credentialTarget, sealedOf, type CredentialRow } from "./store";

export const DEFAULT_ROTATION_BATCH = 25;
export const MAX_ROTATION_BATCH = 100;

export interface RotationResult {
  /** Rows re-encrypted by this call. */
  rotated: number;
  /** Rows still under another root. */
  remaining: number;
  done: boolean;
  /** The current root's id, which every row has once `done`. */
  root_key_id: string;
}

function blocked(row: CredentialRow, error: CredentialUnreadableError) {
  const fix =
    error.reason === "unknown_root_key"
      ? "set VAULT_ROOT_KEY_PREVIOUS to the root that encrypted it, or store the secret again (PUT) or delete it"
      : "store the secret again (PUT) or delete it";
  return httpError(
    "rotation_blocked",
    `${credentialTarget(row.tenant, row.provider)} cannot be decrypted: ${error.message}; ${fix}, then call rotate again`,
    {
      extra: { tenant: row.tenant, provider: row.provider, reason: error.reason, root_key_id: row.root_key_id },
    },
  );
}

/** Re-encrypts up to `batchSize` rows under the current root; audited when it changes anything. */
export async function rotateBatch(env: Env, author: ChangeAuthor, batchSize: number): Promise<RotationResult> {
  const ring = await loadKeyRing(env);
  const current = ring.current.id;
  const { results } = await env.DB.prepare("SELECT * FROM credentials WHERE root_key_id <> ? ORDER BY tenant, provider LIMIT ?")
    .bind(current, batchSize)
    .all<CredentialRow>();

  // Every row of the batch is decrypted before anything is written: all or nothing per batch.
  const resealed: { row: CredentialRow; sealed: SealedCredential }[] = [];
  for (const row of results) {
    const address = { tenant: row.tenant, provider: row.provider, keyVersion: row.key_version };
    let secret: string;
    try {
      secret = await openCredential(ring, address, sealedOf(row));
    } catch (error) {
      if (error instanceof CredentialUnreadableError) throw blocked(row, error);
      throw error;
    }
    resealed.push({ row, sealed: await sealCredential(ring.current, address, secret) });
  }

  let rotated = 0;
  if (resealed.length > 0) {
    await auditCredentialChange(env, author, "credential_reencrypt", "vault", {
      to_root: current,
      from_roots: [...new Set(resealed.map(({ row }) => row.root_key_id))].sort(),
      rows: resealed.map(({ row }) => `${row.tenant}/${row.provider}`),
    });
    const update = env.DB.prepare(
      "UPDATE credentials SET ciphertext = ?, iv = ?, root_key_id = ? WHERE tenant = ? AND provider = ? AND key_version = ? AND root_key_id = ?",
    );
    const outcomes = await env.DB.batch(
      resealed.map(({ row, sealed }) =>
        update.bind(sealed.ciphertext, sealed.iv, sealed.rootKeyId, row.tenant, row.provider, row.key_version, row.root_key_id),
      ),
    );
    rotated = outcomes.reduce((sum, outcome) => sum + outcome.meta.changes, 0);
  }
  const remaining =
    (await env.DB.prepare("SELECT count(*) AS n FROM credentials WHERE root_key_id <> ?").bind(current).first<number>("n")) ?? 0;
  return { rotated, remaining, done: remaining === 0, root_key_id: current };
}
