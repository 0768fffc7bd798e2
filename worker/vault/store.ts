/**
 * The `credentials` table (migrations/0004_credentials.sql, storage-schema.md) and the changes
 * made to it. Every change is audited first (`credential_change`, synchronous: no change
 * without its row, and a change is refused when the row cannot be written); the audit row
 * names the tenant, provider and version, never the secret.
 */
import { writeAuditEvent } from "../audit";
import { auditUnavailable, type ChangeAuthor } from "../audit/change-author";
import type { Env } from "../env";
import { httpError } from "../http/errors";
import { openCredential, sealCredential, type SealedCredential } from "./cipher";
import { loadKeyRing } from "./keys";

/** What the admin API shows of a credential: everything but the secret. */
export interface CredentialInfo {
  tenant: string;
  provider: string;
  key_version: number;
  root_key_id: string;
  created_at: string;
  rotated_at: string | null;
  last4: string | null;
}

/** One row as D1 returns it (BLOBs as ArrayBuffer or as an array of byte values). */
export interface CredentialRow extends CredentialInfo {
  ciphertext: ArrayBuffer | ArrayBufferView | number[];
  iv: ArrayBuffer | ArrayBufferView | number[];
}

export const MAX_SECRET_LENGTH = 4096;
/** last4 is kept only for secrets at least this long, so it never gives away much of a short one. */
const LAST4_MIN_LENGTH = 16;

const INFO_COLUMNS = "tenant, provider, key_version, root_key_id, created_at, rotated_at, last4";

function toBytes(value: CredentialRow["ciphertext"]): Uint8Array {
  if (value instanceof ArrayBuffer) return new Uint8Array(value);
  if (ArrayBuffer.isView(value)) return new Uint8Array(value.buffer, value.byteOffset, value.byteLength);
  return Uint8Array.from(value);
}

export function sealedOf(row: CredentialRow): SealedCredential {
  return { ciphertext: toBytes(row.ciphertext), iv: toBytes(row.iv), rootKeyId: row.root_key_id };
}

/**
 * Why `secret` cannot be stored, or undefined when it can. The vault injects secrets into
 * request headers, so a secret is visible ASCII (RFC 9110 §5.5 field-vchar, no spaces): what
 * every provider key is, and what no header injection can be smuggled through.
 */
export function secretProblem(secret: string): string | undefined {
  if (secret.length === 0) return "the secret is empty";
  if (secret.length > MAX_SECRET_LENGTH) return `the secret is longer than ${MAX_SECRET_LENGTH} characters`;
  if (!/^[\x21-\x7E]+$/.test(secret))
    return "the secret may only contain visible ASCII characters (no spaces, line breaks or control characters)";
  return undefined;
}

export async function listCredentials(db: D1Database, tenant: string): Promise<CredentialInfo[]> {
  const { results } = await db
    .prepare(`SELECT ${INFO_COLUMNS} FROM credentials WHERE tenant = ? ORDER BY provider`)
    .bind(tenant)
    .all<CredentialInfo>();
  return results;
}

export async function credentialInfo(db: D1Database, tenant: string, provider: string): Promise<CredentialInfo | undefined> {
  return (
    (await db
      .prepare(`SELECT ${INFO_COLUMNS} FROM credentials WHERE tenant = ? AND provider = ?`)
      .bind(tenant, provider)
      .first<CredentialInfo>()) ?? undefined
  );
}

/** The `credential_change` audit row of a change; 503 `audit_unavailable` when it cannot be written. */
export async function auditCredentialChange(
  env: Env,
  author: ChangeAuthor,
  action: string,
  target: string,
  details: Record<string, unknown>,
): Promise<void> {
  try {
    await writeAuditEvent(env, { event: "credential_change", action, target, ...author, details });
  } catch (error) {
    throw auditUnavailable(error);
  }
}

export const credentialTarget = (tenant: string, provider: string) => `tenants/${tenant}/credentials/${provider}`;

/**
 * Stores (or replaces) the tenant's secret for `provider`, encrypted under the current root.
 * A replacement gets the next key version. A concurrent change of the same credential between
 * the read and the write is 409, and nothing of this request is stored.
 */
export async function putCredential(
  env: Env,
  author: ChangeAuthor,
  tenant: string,
  provider: string,
  secret: string,
): Promise<{ info: CredentialInfo; created: boolean }> {
  const ring = await loadKeyRing(env);
  const existing = await credentialInfo(env.DB, tenant, provider);
  const keyVersion = (existing?.key_version ?? 0) + 1;
  const now = new Date().toISOString();
  const sealed = await sealCredential(ring.current, { tenant, provider, keyVersion }, secret);
  const info: CredentialInfo = {
    tenant,
    provider,
    key_version: keyVersion,
    root_key_id: sealed.rootKeyId,
    created_at: existing?.created_at ?? now,
    rotated_at: existing ? now : null,
    last4: secret.length >= LAST4_MIN_LENGTH ? secret.slice(-4) : null,
  };
  await auditCredentialChange(env, author, existing ? "credential_replace" : "credential_create", credentialTarget(tenant, provider), {
    tenant,
    provider,
    version: keyVersion,
    root_id: sealed.rootKeyId,
  });
  const values = [sealed.ciphertext, sealed.iv, keyVersion, sealed.rootKeyId, info.created_at, info.rotated_at, info.last4];
  const written = existing
    ? await env.DB.prepare(
        "UPDATE credentials SET ciphertext = ?, iv = ?, key_version = ?, root_key_id = ?, created_at = ?, rotated_at = ?, last4 = ? WHERE tenant = ? AND provider = ? AND key_version = ?",
      )
        .bind(...values, tenant, provider, existing.key_version)
        .run()
    : await env.DB.prepare(
        "INSERT INTO credentials (ciphertext, iv, key_version, root_key_id, created_at, rotated_at, last4, tenant, provider) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT DO NOTHING",
      )
        .bind(...values, tenant, provider)
        .run();
  if (written.meta.changes !== 1) {
    throw httpError("conflict", "the credential was changed by another request at the same moment; nothing was stored, retry");
  }
  return { info, created: !existing };
}

/** Deletes the credential; undefined when there was none. */
export async function deleteCredential(
  env: Env,
  author: ChangeAuthor,
  tenant: string,
  provider: string,
): Promise<CredentialInfo | undefined> {
  const existing = await credentialInfo(env.DB, tenant, provider);
  if (!existing) return undefined;
  await auditCredentialChange(env, author, "credential_delete", credentialTarget(tenant, provider), {
    tenant,
    provider,
    version: existing.key_version,
  });
  const deleted = await env.DB.prepare("DELETE FROM credentials WHERE tenant = ? AND provider = ?").bind(tenant, provider).run();
  return deleted.meta.changes === 1 ? existing : undefined;
}

/**
 * The plaintext of the tenant's credential for `provider`, for one upstream call; undefined
 * when the tenant stored none. Throws `VaultUnavailableError` (root key unset or unusable)
 * and `CredentialUnreadableError` (unknown root, failed integrity check), never a wrong value.
 * Nothing is cached: every call reads and decrypts the row again.
 */
export async function readCredentialSecret(env: Env, tenant: string, provider: string): Promise<string | undefined> {
  const ring = await loadKeyRing(env);
  const row = await env.DB.prepare("SELECT * FROM credentials WHERE tenant = ? AND provider = ?")
    .bind(tenant, provider)
    .first<CredentialRow>();
  if (!row) return undefined;
  return openCredential(ring, { tenant, provider, keyVersion: row.key_version }, sealedOf(row));
}
