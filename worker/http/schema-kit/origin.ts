/**
 * An origin as the `Origin` header serialises one (RFC 6454 §6.2: scheme, host, optional port),
 * lower case, or a config's `https://*.example.com` for any subdomain. Read by the CORS policy on
 * the request path and by its schema, so it lives apart from zod.
 */
const LABEL = "[a-z0-9](?:[a-z0-9-]*[a-z0-9])?";
/** `https://app.example.com`, `https://*.example.com`, optionally `:port`; lower-case host labels. */
export const ORIGIN_PATTERN = new RegExp(`^(https?)://(\\*\\.)?(${LABEL}(?:\\.${LABEL})*)(?::(\\d{1,5}))?$`);
