/**
 * Loom's code dialect of admin logins: `admin.auth.users` maps user names to the SHA-256 of the
 * password, hex, as Loom's code stores them. Unsalted, so anyone who reads the config can try
 * passwords offline at GPU speed: the edge compares only presented passwords of 128 bits or more
 * (./secret-strength.ts), whose hashes no offline search can invert, and hides the hashes
 * wherever it shows the config.
 */
import type { AdminAuthConfig } from "../config/schema";
import { secretWeakness } from "./secret-strength";

type UsersLogin = Extract<AdminAuthConfig, { type: "users" }>;

type UserPasswordCheck = "valid" | "invalid" | "weak";

const encoder = new TextEncoder();

/** Compared against when the user name is unknown, so timing does not tell names apart. */
const NO_USER = new Uint8Array(32);

function hexBytes(hex: string): Uint8Array {
  return Uint8Array.from(hex.match(/../g) ?? [], (pair) => Number.parseInt(pair, 16));
}

/**
 * Whether `password` is `username`'s. The digest is always computed and compared in constant
 * time (crypto.subtle.timingSafeEqual), known name or not; a weak password is never accepted.
 */
export async function checkUserPassword(login: UsersLogin, username: string, password: string): Promise<UserPasswordCheck> {
  const known = Object.hasOwn(login.users, username);
  const expected = known ? hexBytes(login.users[username]!) : NO_USER;
  const digest = await crypto.subtle.digest("SHA-256", encoder.encode(password));
  const same = crypto.subtle.timingSafeEqual(digest, expected);
  if (secretWeakness(password)) return "weak";
  return known && same ? "valid" : "invalid";
}

const REDACTED_HASH = "[redacted]";

/**
 * The document with every `admin.auth.users` hash replaced by REDACTED_HASH, for showing it. PUT
 * refuses the placeholder (it is not 64 hex digits): hashes are sent again whole, never read back.
 */
export function redactPasswordHashes(document: Record<string, unknown>): Record<string, unknown> {
  const admin = document.admin as { auth?: { users?: unknown } } | undefined;
  const users = admin?.auth?.users;
  if (users === null || typeof users !== "object" || Array.isArray(users)) return document;
  const hidden = Object.fromEntries(Object.keys(users).map((name) => [name, REDACTED_HASH]));
  return { ...document, admin: { ...admin, auth: { ...admin!.auth, users: hidden } } };
}
