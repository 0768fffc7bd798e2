/** `middleware.security_headers`: the headers every response carries. */
import { z } from "zod";

export const securityHeadersSchema = z.strictObject({
  enabled: z
    .boolean()
    .default(true)
    .describe("Set the headers below on every response, gateway errors and admin answers included. Default true."),
  hsts: z
    .strictObject({
      enabled: z.boolean().default(true).describe("Send Strict-Transport-Security. Default true."),
      max_age: z
        .number()
        .int()
        .nonnegative()
        .default(31_536_000)
        .describe("`max-age` in seconds (RFC 6797 §6.1.1). Default 31536000 (a year)."),
      include_subdomains: z.boolean().default(false).describe("Add `includeSubDomains`. Default false."),
      preload: z
        .boolean()
        .default(false)
        .describe("Add `preload` (hstspreload.org asks for a year and includeSubDomains too). Default false."),
    })
    .optional()
    .describe("Strict-Transport-Security (RFC 6797), sent over TLS only: a browser ignores it over plain http."),
  content_security_policy: z.string().optional().describe("Content-Security-Policy, as written. Unset: not sent."),
  x_frame_options: z.enum(["DENY", "SAMEORIGIN"]).optional().describe("X-Frame-Options (RFC 7034). Unset: not sent."),
  x_content_type_options: z.literal("nosniff").optional().describe("X-Content-Type-Options: `nosniff`. Unset: not sent."),
  referrer_policy: z
    .enum([
      "no-referrer",
      "no-referrer-when-downgrade",
      "origin",
      "origin-when-cross-origin",
      "same-origin",
      "strict-origin",
      "strict-origin-when-cross-origin",
      "unsafe-url",
    ])
    .optional()
    .describe("Referrer-Policy. Unset: not sent."),
  permissions_policy: z.string().optional().describe("Permissions-Policy, as written. Unset: not sent."),
  cross_origin_opener_policy: z
    .enum(["same-origin", "same-origin-allow-popups", "unsafe-none"])
    .optional()
    .describe("Cross-Origin-Opener-Policy. Unset: not sent."),
});

export type SecurityHeadersOptions = z.output<typeof securityHeadersSchema>;
