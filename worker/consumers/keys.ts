/**
 * New consumer API keys: `lk_` and 32 bytes from the platform CSPRNG (crypto.getRandomValues)
 * in base64url (RFC 4648 §5), 46 characters, 256 bits of entropy. With that much entropy an
 * unsalted SHA-256 is the right storage form (no dictionary to attack, unlike a password), and
 * it lets the hot path find a key with one indexed equality lookup.
 */
import { sha256Hex } from "../audit/chain";

export const KEY_PREFIX = "lk_";
const KEY_BYTES = 32;
/** Characters shown to people to recognise a key: `lk_` plus 4 (24 bits of 256), and the last 4. */
const SHOWN_PREFIX = KEY_PREFIX.length + 4;
const SHOWN_SUFFIX = 4;

export interface MintedKey {
  /** The key itself: handed to the admin once, never stored, never logged. */
  key: string;
  /** Lower-case hex SHA-256 of the key's UTF-8 text, as the api_key scheme computes it. */
  sha256: string;
  prefix: string;
  last4: string;
}

function base64url(bytes: Uint8Array): string {
  return btoa(String.fromCharCode(...bytes))
    .replaceAll("+", "-")
    .replaceAll("/", "_")
    .replace(/=+$/, "");
}

export async function mintKey(): Promise<MintedKey> {
  const key = KEY_PREFIX + base64url(crypto.getRandomValues(new Uint8Array(KEY_BYTES)));
  return { key, sha256: await sha256Hex(key), prefix: key.slice(0, SHOWN_PREFIX), last4: key.slice(-SHOWN_SUFFIX) };
}
