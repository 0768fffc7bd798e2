/**
 * `${VAR}` references to Worker secrets (a whole field is one reference; see variables.ts for
 * references inside a string). The config store (KV) only ever holds the reference;
 * the value is read from the Worker's environment at the moment a request needs it, so a
 * leaked KV namespace leaks no secret, and rotating a secret needs no config change.
 */

import { variableValue } from "./variables";

/** A whole-string reference such as `${API_KEY_1}`. Upper-case, like environment variables. */
export const SECRET_REF_PATTERN = /^\$\{([A-Z_][A-Z0-9_]*)\}$/;

/**
 * `vault:<provider>` (an AI provider's `api_key`): the calling consumer's tenant's credential,
 * named as the vault stores provider names (vault/schema.ts). Here, beside `${VAR}`, because the
 * request path reads it without loading the config schema (zod).
 */
export const VAULT_REF_PATTERN = /^vault:([a-z0-9_-]{1,64})$/;

export class SecretUnavailableError extends Error {
  constructor(readonly variable: string) {
    super(`secret ${variable} is not set in the Worker environment`);
    this.name = "SecretUnavailableError";
  }
}

/** The variable a reference names, e.g. `API_KEY_1` for `${API_KEY_1}`. */
export function secretName(ref: string): string {
  const match = SECRET_REF_PATTERN.exec(ref);
  if (!match) throw new TypeError(`not a secret reference: ${ref}`);
  return match[1]!;
}

/**
 * The value of a reference, or a `SecretUnavailableError` when the variable is unset or empty:
 * an unset secret must fail closed, never turn into an empty string something could match.
 */
export function resolveSecret(ref: string, env: Record<string, unknown>): string {
  const name = secretName(ref);
  const value = variableValue(env, name);
  if (value === undefined) throw new SecretUnavailableError(name);
  return value;
}

/** Every secret reference in a config document, with the path where it stands. */
export function findSecretRefs(node: unknown, path: (string | number)[] = []): { path: (string | number)[]; variable: string }[] {
  if (typeof node === "string") {
    const match = SECRET_REF_PATTERN.exec(node);
    return match ? [{ path, variable: match[1]! }] : [];
  }
  if (Array.isArray(node)) return node.flatMap((item, index) => findSecretRefs(item, [...path, index]));
  if (node !== null && typeof node === "object") {
    return Object.entries(node).flatMap(([key, value]) => findSecretRefs(value, [...path, key]));
  }
  return [];
}
