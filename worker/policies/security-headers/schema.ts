/** `middleware.security_headers`: the headers every response carries. */
import { z } from "zod";

export const securityHeadersSchema = z.strictObject({
  enabled: z.boolean().default(true),
  hsts: z
    .strictObject({
      enabled: z.boolean().default(true),
      max_age: z.number().int().nonnegative().default(31_536_000),
      include_subdomains: z.boolean().default(false),
      preload: z.boolean().default(false),
    })
    .optional(),
  content_security_policy: z.string().optional(),
  x_frame_options: z.enum(["DENY", "SAMEORIGIN"]).optional(),
  x_content_type_options: z.literal("nosniff").optional(),
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
    .optional(),
  permissions_policy: z.string().optional(),
  cross_origin_opener_policy: z.enum(["same-origin", "same-origin-allow-popups", "unsafe-none"]).optional(),
});

export type SecurityHeadersOptions = z.output<typeof securityHeadersSchema>;
