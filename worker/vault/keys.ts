/**
 * The vault's keys. One root secret, `VAULT_ROOT_KEY` (a Worker secret of at least 32 random
 * bytes, base64 or hex), never used directly: HKDF-SHA-256 (RFC 5869) derives from it
 *
 *   - one AES-256-GCM data key per tenant (info = label + tenant), so a tenant's ciphertexts
 *     are useless under any other tenant's key, and
 *   - the root's key id, 16 hex digits stored with each row, which names the root that
 *     encrypted it without revealing anything about the root.
 *
 * During a root rotation `VAULT_ROOT_KEY_PREVIOUS` holds the old root: reads accept both, writes
 * always use the current one.
 *
 * The derived keys are cached per isolate as non-extractable CryptoKeys (their bytes cannot be
 * read back, not even by this code); decrypted credentials are never cached.
 */
import { hex } from "../http/hex";

const ROOT_KEY_VARIABLE = "VAULT_ROOT_KEY";
const PREVIOUS_ROOT_KEY_VARIABLE = "VAULT_ROOT_KEY_PREVIOUS";
const MIN_ROOT_KEY_BYTES = 32;

/** The vault cannot work: a root key variable is unset or unusable. Names the variable, never its value. */
export class VaultUnavailableError extends Error {
  constructor(
    readonly variable: string,
    readonly problem: string,
  ) {
    super(`${variable} ${problem}`);
    this.name = "VaultUnavailableError";
  }
}

export interface RootKey {
  /** 16 hex digits derived from the root; stored per row as `root_key_id`. */
  id: string;
  /** The variable it came from. */
  variable: string;
  /** The root as HKDF input keying material (non-extractable). */
  material: CryptoKey;
}

export interface KeyRing {
  /** Encrypts every write. */
  current: RootKey;
  /** Still decrypts rows written before a rotation; unset outside a rotation. */
  previous?: RootKey;
}

const encoder = new TextEncoder();

/** RFC 5869 §3.1: without a random salt, a fixed application-specific one. */
const HKDF_SALT = encoder.encode("loom-edge/vault/v1");
const KEY_ID_INFO = encoder.encode("loom-edge/vault/v1 root key id");
const dataKeyInfo = (tenant: string) => encoder.encode(`loom-edge/vault/v1 tenant data key\u0000${tenant}`);

const HEX = /^(?:[0-9a-fA-F]{2})+$/;
const BASE64 = /^[A-Za-z0-9+/]+={0,2}$/;

/** The root's bytes: hex when the text is only hex digits, else base64 (standard or URL-safe). */
function decodeRoot(variable: string, value: unknown): Uint8Array {
  const howTo =
    variable === ROOT_KEY_VARIABLE
      ? `(wrangler secret put ${variable}, e.g. with the output of \`openssl rand -base64 32\`)`
      : `(it must hold the root key that was VAULT_ROOT_KEY before the rotation)`;
  if (typeof value !== "string" || value.trim() === "") throw new VaultUnavailableError(variable, `is not set ${howTo}`);
  const text = value.trim();
  let bytes: Uint8Array | undefined;
  if (HEX.test(text)) {
    bytes = Uint8Array.from(text.match(/../g)!, (pair) => Number.parseInt(pair, 16));
  } else {
    const standard = text.replace(/-/g, "+").replace(/_/g, "/");
    if (BASE64.test(standard)) {
      try {
        bytes = Uint8Array.from(atob(standard), (char) => char.charCodeAt(0));
      } catch {
        bytes = undefined;
      }
    }
  }
  if (!bytes) throw new VaultUnavailableError(variable, `is neither base64 nor hex ${howTo}`);
  if (bytes.length < MIN_ROOT_KEY_BYTES) {
    throw new VaultUnavailableError(
      variable,
      `holds ${bytes.length} bytes; at least ${MIN_ROOT_KEY_BYTES} random bytes are required ${howTo}`,
    );
  }
  return bytes;
}

async function importRoot(variable: string, value: unknown): Promise<RootKey> {
  const bytes = decodeRoot(variable, value);
  const material = await crypto.subtle.importKey("raw", bytes, "HKDF", false, ["deriveBits", "deriveKey"]);
  bytes.fill(0);
  const idBits = await crypto.subtle.deriveBits({ name: "HKDF", hash: "SHA-256", salt: HKDF_SALT, info: KEY_ID_INFO }, material, 64);
  const id = hex(idBits);
  return { id, variable, material };
}

/**
 * Imported roots by the variable's text. The text is already held by the isolate's env; the
 * map holds no more than that. At most a few entries: a deployment has a current and a
 * previous root, and a new secret means a new isolate anyway.
 */
const roots = new Map<string, Promise<RootKey>>();
const MAX_ROOTS = 4;

function rootKey(variable: string, value: unknown): Promise<RootKey> {
  const cacheKey = `${variable}\u0000${String(value)}`;
  let root = roots.get(cacheKey);
  if (!root) {
    root = importRoot(variable, value);
    // A refused value is not cached: the error is thrown again, cheaply, on the next request.
    const pending = root;
    pending.catch(() => roots.get(cacheKey) === pending && roots.delete(cacheKey));
    if (roots.size >= MAX_ROOTS) roots.delete(roots.keys().next().value!);
    roots.set(cacheKey, root);
  }
  return root;
}

/** The current root, and the previous one when `VAULT_ROOT_KEY_PREVIOUS` is set. */
export async function loadKeyRing(env: Record<string, unknown>): Promise<KeyRing> {
  const current = await rootKey(ROOT_KEY_VARIABLE, env[ROOT_KEY_VARIABLE]);
  const previousValue = env[PREVIOUS_ROOT_KEY_VARIABLE];
  if (previousValue === undefined || previousValue === "") return { current };
  const previous = await rootKey(PREVIOUS_ROOT_KEY_VARIABLE, previousValue);
  return previous.id === current.id ? { current } : { current, previous };
}

/** The root of the ring whose id is `id`, or undefined when neither is. */
export function rootById(ring: KeyRing, id: string): RootKey | undefined {
  if (ring.current.id === id) return ring.current;
  return ring.previous?.id === id ? ring.previous : undefined;
}

/** Derived data keys by root id and tenant; bounded, oldest dropped first. */
const dataKeys = new Map<string, Promise<CryptoKey>>();
const MAX_DATA_KEYS = 1024;

/** The tenant's AES-256-GCM key under `root`: non-extractable, encrypt and decrypt only. */
export function tenantDataKey(root: RootKey, tenant: string): Promise<CryptoKey> {
  const cacheKey = `${root.id}\u0000${tenant}`;
  let key = dataKeys.get(cacheKey);
  if (!key) {
    key = crypto.subtle.deriveKey(
      { name: "HKDF", hash: "SHA-256", salt: HKDF_SALT, info: dataKeyInfo(tenant) },
      root.material,
      { name: "AES-GCM", length: 256 },
      false,
      ["encrypt", "decrypt"],
    );
    if (dataKeys.size >= MAX_DATA_KEYS) dataKeys.delete(dataKeys.keys().next().value!);
    dataKeys.set(cacheKey, key);
  } else {
    // Refresh the entry's position so the least recently used key is the one dropped.
    dataKeys.delete(cacheKey);
    dataKeys.set(cacheKey, key);
  }
  return key;
}
