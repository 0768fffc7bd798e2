/**
 * The HTTP methods the gateway knows (RFC 9110 §9, and PATCH from RFC 5789), in the order `Allow`
 * lists them. Apart from the config's schema kit (http/schema-kit/fields.ts), which builds `httpMethod`
 * from them, because the router reads them on the request path and zod is not loaded there.
 */
export const HTTP_METHODS = ["GET", "HEAD", "POST", "PUT", "DELETE", "PATCH", "OPTIONS", "TRACE", "CONNECT"] as const;
