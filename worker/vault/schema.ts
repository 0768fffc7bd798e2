/**
 * How the config refers to a credential of the vault: a route's (or an `ai_gateway.providers[]`
 * entry's) `credential`. The config names only the provider; the secret itself is stored per
 * tenant through the admin API and chosen at request time by the calling consumer's tenant.
 *
 *   credential: openai                      → Authorization: Bearer <the tenant's openai secret>
 *   credential: { provider: anthropic, header: x-api-key, format: "{secret}" }
 */
import { z } from "zod";
import { headerName } from "../http/schema-kit/fields";
import { redactText } from "../observability/redact";
import { SECRET_PLACEHOLDER } from "./secret-placeholder";

/** Provider names as the admin API stores them: `openai`, `anthropic`, `github`, `my_search-2`. */
const PROVIDER_PATTERN = /^[a-z0-9_-]{1,64}$/;

export const providerName = z
  .string()
  .regex(PROVIDER_PATTERN, "must be a provider name: 1-64 lower-case letters, digits, '_' or '-'")
  // A key pasted where its provider's name belongs would be stored in the config (and the audit
  // target of the admin path) in clear; what the log redaction takes for a key is refused.
  .refine(
    (name) => redactText(name) === name,
    "looks like an API key, not a provider name: store keys with PUT /admin/tenants/{tenant}/credentials/{provider}",
  )
  .describe("A provider whose credential the tenant stored with PUT /admin/tenants/{tenant}/credentials/{provider}.");

/**
 * Headers the credential must not be written to: those that frame the message or that the
 * gateway itself sets on every upstream request (RFC 9110 §7.6.1 hop-by-hop, §7.6.3 Via, the
 * forwarding headers). Writing a secret there would break the request or be overwritten.
 */
const RESERVED_HEADERS = new Set([
  "host",
  "content-length",
  "content-type",
  "transfer-encoding",
  "connection",
  "keep-alive",
  "proxy-connection",
  "te",
  "trailer",
  "upgrade",
  "cookie",
  "via",
  "forwarded",
  "x-real-ip",
  "x-request-id",
]);

const credentialHeader = headerName.refine((name) => {
  const lower = name.toLowerCase();
  return !RESERVED_HEADERS.has(lower) && !lower.startsWith("x-forwarded-");
}, "must not be a header that frames the request or that the gateway sets itself (Host, Content-*, Transfer-Encoding, Connection, Cookie, Via, Forwarded, X-Forwarded-*, X-Request-Id, …)");

/** Printable ASCII and spaces around exactly one `{secret}`: the value is a valid field value (RFC 9110 §5.5). */
const credentialFormat = z
  .string()
  .max(256)
  .refine((format) => format.split(SECRET_PLACEHOLDER).length === 2, "must contain {secret} exactly once")
  .refine((format) => /^[\x21-\x7E]([\x20-\x7E]*[\x21-\x7E])?$/.test(format), "must be printable ASCII without leading or trailing spaces");

const credentialObject = z.strictObject({
  provider: providerName,
  header: credentialHeader
    .default("Authorization")
    .describe("Request header the upstream receives the credential in. Default `Authorization`. The client's own copy is never forwarded."),
  format: credentialFormat
    .default("Bearer {secret}")
    .describe("The header's value; `{secret}` stands for the secret. Default `Bearer {secret}` (RFC 6750 §2.1)."),
});

/** A credential reference; the string shorthand `openai` means `Authorization: Bearer {secret}`. */
export const credentialRefSchema = z
  .union([providerName.transform((provider) => credentialObject.parse({ provider })), credentialObject])
  .describe(
    "A credential from the vault, decrypted for the calling consumer's tenant and sent only to the upstream: a provider name (`openai`, meaning `Authorization: Bearer <secret>`) or `{provider, header, format}`. A caller without a tenant, or whose tenant stored no credential for the provider, is refused (403).",
  );

export type CredentialRef = z.output<typeof credentialRefSchema>;
