/**
 * AES-256-GCM (NIST SP 800-38D) of one credential under its tenant's data key.
 *
 * - A fresh random 96-bit IV per encryption: GCM's security rests on never reusing an IV under
 *   one key, and 96 bits is the length GCM uses without hashing it (SP 800-38D §8.2.2).
 * - Additional authenticated data = the row's address (tenant, provider, key version), so a
 *   ciphertext copied to another row, another tenant or over a newer version fails its
 *   authentication tag instead of decrypting into someone else's credential.
 */
import { rootById, tenantDataKey, type KeyRing, type RootKey } from "./keys";

/** Where a ciphertext belongs; bound to it as additional authenticated data. */
export interface CredentialAddress {
  tenant: string;
  provider: string;
  keyVersion: number;
}

export interface SealedCredential {
  /** Ciphertext followed by the 128-bit tag. */
  ciphertext: Uint8Array;
  /** 12 random bytes. */
  iv: Uint8Array;
  /** The root whose derived key encrypted it. */
  rootKeyId: string;
}

/** Why a stored credential could not be decrypted. */
export type UnreadableReason =
  /** Encrypted under a root that is neither VAULT_ROOT_KEY nor VAULT_ROOT_KEY_PREVIOUS. */
  | "unknown_root_key"
  /** The tag did not verify: the row was altered, or its ciphertext belongs to another row. */
  | "integrity_check_failed";

export class CredentialUnreadableError extends Error {
  constructor(
    readonly reason: UnreadableReason,
    readonly rootKeyId: string,
  ) {
    super(
      reason === "unknown_root_key"
        ? `the credential was encrypted under root key ${rootKeyId}, which is neither VAULT_ROOT_KEY nor VAULT_ROOT_KEY_PREVIOUS`
        : "the stored credential failed its integrity check (altered, or moved from another row)",
    );
    this.name = "CredentialUnreadableError";
  }
}

const IV_BYTES = 12;
const encoder = new TextEncoder();

/** An unambiguous encoding of the address (a JSON array: no separator can be forged). */
function additionalData(address: CredentialAddress): Uint8Array {
  return encoder.encode(JSON.stringify(["loom-edge/vault/v1", address.tenant, address.provider, address.keyVersion]));
}

export async function sealCredential(root: RootKey, address: CredentialAddress, secret: string): Promise<SealedCredential> {
  const key = await tenantDataKey(root, address.tenant);
  const iv = crypto.getRandomValues(new Uint8Array(IV_BYTES));
  const plaintext = encoder.encode(secret);
  const ciphertext = await crypto.subtle.encrypt(
    { name: "AES-GCM", iv, additionalData: additionalData(address), tagLength: 128 },
    key,
    plaintext,
  );
  plaintext.fill(0);
  return { ciphertext: new Uint8Array(ciphertext), iv, rootKeyId: root.id };
}

/** The secret, or a `CredentialUnreadableError`; never a wrong value. */
export async function openCredential(ring: KeyRing, address: CredentialAddress, sealed: SealedCredential): Promise<string> {
  const root = rootById(ring, sealed.rootKeyId);
  if (!root) throw new CredentialUnreadableError("unknown_root_key", sealed.rootKeyId);
  const key = await tenantDataKey(root, address.tenant);
  let plaintext: ArrayBuffer;
  try {
    plaintext = await crypto.subtle.decrypt(
      { name: "AES-GCM", iv: sealed.iv, additionalData: additionalData(address), tagLength: 128 },
      key,
      sealed.ciphertext,
    );
  } catch {
    throw new CredentialUnreadableError("integrity_check_failed", sealed.rootKeyId);
  }
  const bytes = new Uint8Array(plaintext);
  try {
    return new TextDecoder("utf-8", { fatal: true, ignoreBOM: true }).decode(bytes);
  } finally {
    bytes.fill(0);
  }
}
