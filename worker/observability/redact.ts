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
 * - in text: `Bearer`/`Basic`/… credentials, JWT-shaped strings, well-known provider key formats
 *   (`sk-…`, `sk_live_…`, GitHub, Slack, AWS, Google), the values of query (or `name=value`)
 *   parameters whose name says the same words as above, and any literal secret passed in.
 */

export const REDACTED = "[REDACTED]";

const CREDENTIAL_HEADERS = ["authorization", "proxy-authorization", "cookie", "set-cookie"];

/** A header or parameter name that says it holds a credential. `sig` is Azure's SAS signature. */
const SENSITIVE_NAME = /key|token|secret|passw|pwd|signature|credential|auth|session|^sig$/i;

/** An authentication scheme followed by its credentials (RFC 9110 §11.4). */
const AUTH_CREDENTIALS = /\b(Bearer|Basic|Digest|Token|ApiKey)\s+[^\s,;"']+/gi;

/** A JWS or JWE in compact form: base64url segments, the header starting `{"` (`eyJ`). */
const JWT = /\beyJ[A-Za-z0-9_-]+(?:\.[A-Za-z0-9_-]*){2,4}/g;

const PROVIDER_KEY = new RegExp(
  [
    "\\b(?:sk|rk)[-_][A-Za-z0-9_-]{16,}", // OpenAI, Anthropic (sk-ant-…), Stripe (sk_live_…)
    "\\bgh[pousr]_[A-Za-z0-9]{20,}", // GitHub
    "\\bxox[abposr]-[A-Za-z0-9-]{10,}", // Slack
    "\\b(?:AKIA|ASIA)[0-9A-Z]{16}\\b", // AWS access key id
    "\\bAIza[0-9A-Za-z_-]{35}", // Google API key
  ].join("|"),
  "g",
);

/** `name=value` at the start, in a query string or after whitespace. */
const PARAMETER = /(^|[?&;,\s])([^=&;?#\s]+)=([^&;#\s]*)/g;

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
  return result
    .replace(AUTH_CREDENTIALS, `$1 ${REDACTED}`)
    .replace(JWT, REDACTED)
    .replace(PROVIDER_KEY, REDACTED)
    .replace(PARAMETER, (match, separator: string, name: string) => (isSensitiveName(name) ? `${separator}${name}=${REDACTED}` : match));
}

/**
 * The headers as a plain object for a log line: credential headers (and `credentialHeaders`,
 * e.g. the configured API key header) replaced whole, every other value passed through redactText.
 */
export function redactHeaders(headers: Headers, credentialHeaders: Iterable<string> = [], secrets: Iterable<string> = []): Record<string, string> {
  const credentials = new Set([...CREDENTIAL_HEADERS, ...[...credentialHeaders].map((name) => name.toLowerCase())]);
  const secretList = [...secrets];
  const redacted: Record<string, string> = {};
  for (const [name, value] of headers) {
    redacted[name] = credentials.has(name) || SENSITIVE_NAME.test(name) ? REDACTED : redactText(value, secretList);
  }
  return redacted;
}
