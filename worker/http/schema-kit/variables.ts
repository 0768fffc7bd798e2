/**
 * `${NAME}` references to Worker variables (wrangler.toml `[vars]`, `--var`, and secrets) inside
 * config strings, e.g. an upstream endpoint `"${BACKEND_HOST}:${BACKEND_PORT}"`.
 *
 * A reference names a variable only when NAME is upper case (letters, digits, `_`, not starting
 * with a digit), as Loom's own files write environment variables (`${JWT_SECRET}`,
 * `${API_KEY_1}`). Lower-case or dotted names (`${client_ip}`, `${header.X-Id}`) are request
 * expressions of the few fields that read them (rate_limit.key, consistent_hash.hash_key) and are
 * never looked up in the environment. Only `${NAME}`, not Go's bare `$NAME`: a `$` in a path or
 * a header value stays what it is.
 *
 * Resolution is one pass: a value that itself contains `${…}` is text, never expanded again.
 */

const REFERENCE = /\$\{([A-Z_][A-Z0-9_]*)\}/g;

/** The variables a string references, in order, each once. */
export function variablesIn(text: string): string[] {
  return [...new Set(Array.from(text.matchAll(REFERENCE), (match) => match[1]!))];
}

/**
 * A variable's value, or undefined when it is unset or empty: an unset variable must fail
 * closed, never turn into an empty string that something could match or connect to.
 */
export function variableValue(env: Record<string, unknown>, name: string): string | undefined {
  const value = env[name];
  return typeof value === "string" && value.length > 0 ? value : undefined;
}

export type Resolution = { ok: true; value: string } | { ok: false; unset: string[] };

/** `text` with every reference replaced by its variable's value, or the variables that are unset. */
export function resolveVariables(text: string, env: Record<string, unknown>): Resolution {
  const unset = variablesIn(text).filter((name) => variableValue(env, name) === undefined);
  if (unset.length > 0) return { ok: false, unset };
  return { ok: true, value: text.replace(REFERENCE, (_reference, name: string) => variableValue(env, name)!) };
}
