/**
 * Redaction of credentials from anything written to a log. It errs on the side of removing too
 * much: a parameter named `keyword` or `author` loses its value too, which costs a log reader
 * less than one leaked key.
 *
 * What is removed:
 * - the whole value of credential headers: Authorization and Proxy-Authorization (RFC 9110
 *   §11.6.2, §11.7.2), Cookie and Set-Cookie (RFC 6265), and any header whose name says key,
 *   token, secret, password, signature, credential, auth or session (X-API-Key, X-Auth-Token, …),
 *   plus the names the caller adds (the configured API key header);
 * - in text: `Bearer`/`Basic`/… credentials, JWT-shaped strings, PEM private keys, well-known
 *   provider key formats (OpenAI and Anthropic `sk-…`, Stripe, GitHub `ghp_…`/`github_pat_…`,
 *   GitLab, Slack `xox…`, AWS access key ids, Google, Hugging Face, npm, Voyage `pa-…`, Loom Edge
 *   consumer keys `lk_…`), the values of query (or `name=value`) parameters whose name says the
 *   same words as above (also as `"name": "value"` in JSON text), and any literal secret passed in: the values of the Worker secrets the
 *   config references and of the gateway's own (`secretValues`).
 *
 * SENSITIVE_NAME is also what the audit log drops from event details (worker/audit/scrub.ts):
 * one definition of "named like a credential".
 */

export const REDACTED = "[REDACTED]";

const CREDENTIAL_HEADERS = ["authorization", "proxy-authorization", "cookie", "set-cookie"];

/** A header, parameter or field name that says it holds a credential. `sig` is Azure's SAS signature. */
export const SENSITIVE_NAME = /key|token|secret|pass|pwd|signature|credential|auth|session|cookie|^sig$/i;

/** An authentication scheme followed by its credentials (RFC 9110 §11.4). */
const AUTH_CREDENTIALS = /\b(Bearer|Basic|Digest|Token|ApiKey)\s+[^\s,;"']+/gi;

/** A JWS or JWE in compact form: base64url segments, the header starting `{"` (`eyJ`). */
const JWT = /\beyJ[A-Za-z0-9_-]+(?:\.[A-Za-z0-9_-]*){2,4}/g;

const PROVIDER_KEY = new RegExp(
  [
    "\\b(?:sk|rk)[-_][A-Za-z0-9_-]{16,}", // OpenAI, Anthropic (sk-ant-…), Stripe (sk_live_…, rk_live_…)
    "\\bwhsec_[A-Za-z0-9]{16,}", // Stripe webhook secret
    "\\bgh[pousr]_[A-Za-z0-9]{20,}", // GitHub tokens
    "\\bgithub_pat_[A-Za-z0-9_]{22,}", // GitHub fine-grained personal access token
    "\\bglpat-[A-Za-z0-9_-]{20,}", // GitLab personal access token
    "\\bxox[abposre]-[A-Za-z0-9-]{10,}", // Slack tokens
    "\\bxapp-[A-Za-z0-9-]{10,}", // Slack app-level token
    "\\b(?:AKIA|ASIA|ABIA|ACCA)[0-9A-Z]{16}\\b", // AWS access key id
    "\\bAIza[0-9A-Za-z_-]{35}", // Google API key
    "\\bya29\\.[0-9A-Za-z_-]{20,}", // Google OAuth access token
    "\\bhf_[A-Za-z0-9]{30,}", // Hugging Face
    "\\bnpm_[A-Za-z0-9]{36}", // npm
    "\\bpa-[A-Za-z0-9_-]{30,}", // Voyage AI
    "\\blk_[A-Za-z0-9_-]{40,}", // Loom Edge consumer keys (worker/consumers/keys.ts)
  ].join("|"),
  "g",
);

/** A PEM private key block (RFC 7468 §10, §11), whole. */
const PEM_PRIVATE_KEY = /-----BEGIN ([A-Z0-9 ]*)PRIVATE KEY-----[\s\S]*?(?:-----END \1PRIVATE KEY-----|$)/g;

/** `name=value` at the start, in a query string or after whitespace. */
const PARAMETER = /(^|[?&;,\s])([^=&;?#\s]+)=([^&;#\s]*)/g;

/** `"name": "value"` in JSON text, such as an error body quoted in a message. */
const JSON_FIELD = /("((?:[^"\\]|\\.)*)"\s*:\s*)"(?:[^"\\]|\\.)*"/g;

/**
 * Matches wherever any pattern above could (a superset: one pattern, case-insensitive, without
 * the PEM block's end), so text it does not match has nothing to redact and is returned without
 * running each replacement: the common case for the paths and user agents of every access-log line.
 */
const ANY_PATTERN = new RegExp(
  [/-----BEGIN [A-Z0-9 ]*PRIVATE KEY-----/, AUTH_CREDENTIALS, JWT, PROVIDER_KEY, PARAMETER, JSON_FIELD]
    .map((pattern) => `(?:${pattern.source})`)
    .join("|"),
  "i",
);

/** SENSITIVE_NAME for a percent-encoded parameter name. */
function isSensitiveName(encodedName: string): boolean {
  try {
    return SENSITIVE_NAME.test(decodeURIComponent(encodedName.replace(/\+/g, " ")));
  } catch {
    return true; // an undecodable name could spell anything
  }
}

/** `text` with credentials replaced by REDACTED. `secrets` are literal values to remove too. */
export function redactText(text: string, secrets: Iterable<string> = []): string {
  let result = text;
  for (const secret of secrets) {
    if (secret === "") continue;
    result = result.replaceAll(secret, REDACTED);
    const encoded = encodeURIComponent(secret);
    if (encoded !== secret) result = result.replaceAll(encoded, REDACTED);
  }
  if (!ANY_PATTERN.test(result)) return result;
  return result
    .replace(PEM_PRIVATE_KEY, REDACTED)
    .replace(AUTH_CREDENTIALS, `$1 ${REDACTED}`)
    .replace(JWT, REDACTED)
    .replace(PROVIDER_KEY, REDACTED)
    .replace(PARAMETER, (match, separator: string, name: string) => (isSensitiveName(name) ? `${separator}${name}=${REDACTED}` : match))
    .replace(JSON_FIELD, (match, key: string, name: string) => (SENSITIVE_NAME.test(name) ? `${key}"${REDACTED}"` : match));
}

/**
 * The headers as a plain object for a log line: credential headers (and `credentialHeaders`,
 * e.g. the configured API key header) replaced whole, every other value passed through redactText.
 */
export function redactHeaders(
  headers: Headers,
  credentialHeaders: Iterable<string> = [],
  secrets: Iterable<string> = [],
): Record<string, string> {
  const credentials = new Set([...CREDENTIAL_HEADERS, ...[...credentialHeaders].map((name) => name.toLowerCase())]);
  const secretList = [...secrets];
  const redacted: Record<string, string> = {};
  for (const [name, value] of headers) {
    redacted[name] = credentials.has(name) || SENSITIVE_NAME.test(name) ? REDACTED : redactText(value, secretList);
  }
  return redacted;
}

/** Secrets of the gateway itself, redacted whatever the config references. */
export const GATEWAY_SECRETS = ["ADMIN_TOKEN", "VAULT_ROOT_KEY", "VAULT_ROOT_KEY_PREVIOUS"] as const;

/**
 * The values, in `env`, of the gateway's own secrets and of `variables` (the `${VAR}` names a
 * config references): the literal secrets a log line must not contain. Unset ones are skipped.
 */
export function secretValues(env: Record<string, unknown>, variables: Iterable<string> = []): string[] {
  const values = new Set<string>();
  for (const name of [...GATEWAY_SECRETS, ...variables]) {
    const value = env[name];
    if (typeof value === "string" && value !== "") values.add(value);
  }
  return [...values];
}

/**
 * secretValues, computed once per `env` (the same object for every request of an isolate): for
 * the access log and the spans, which redact on every request.
 */
export function secretsOfEnv(variables: readonly string[]): (env: object) => string[] {
  const byEnv = new WeakMap<object, string[]>();
  return (env) => {
    let secrets = byEnv.get(env);
    if (!secrets) {
      secrets = secretValues(env as Record<string, unknown>, variables);
      byEnv.set(env, secrets);
    }
    return secrets;
  };
}
