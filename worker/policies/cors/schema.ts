/**
 * The `cors` block, in `middleware` (every route) and on a route (replacing the global one for
 * that route). Browsers enforce CORS; the gateway only states the policy, answers preflights
 * at the edge, and keeps the upstream's own Access-Control-* headers out of the way.
 */
import { z } from "zod";
import { boundedDuration, headerName, httpMethod } from "../../http/schema-kit/fields";
import { ORIGIN_PATTERN } from "../../http/schema-kit/origin";

const origin = z
  .string()
  .transform((value) => value.toLowerCase())
  .refine(
    (value) => value === "*" || ORIGIN_PATTERN.test(value),
    "must be `*`, an origin such as https://app.example.com, or https://*.example.com for its subdomains (no path, no trailing slash)",
  )
  .describe("An origin (scheme://host[:port]), `https://*.example.com` for any subdomain of example.com (not example.com itself), or `*`.");

export const corsSchema = z
  .strictObject({
    enabled: z
      .boolean()
      .default(true)
      .describe("Default true. false: no CORS handling on this route (a route's block replaces the global one)."),
    origins: z
      .array(origin)
      .max(100)
      .default([])
      .describe(
        "Origins allowed to read responses: exact origins, `https://*.example.com` wildcards, or `*` (not with credentials). At most 100; required when enabled.",
      ),
    methods: httpMethod
      .array()
      .min(1)
      .default(["GET", "HEAD", "POST"])
      .describe("Methods a preflight may ask for (Access-Control-Allow-Methods). Default GET, HEAD, POST."),
    headers: z
      .array(headerName)
      .max(100)
      .default(["Content-Type", "Authorization"])
      .describe(
        "Request headers a preflight may ask for (Access-Control-Allow-Headers). Default Content-Type, Authorization; at most 100.",
      ),
    expose_headers: z
      .array(headerName)
      .max(100)
      .default([])
      .describe("Response headers scripts may read (Access-Control-Expose-Headers). Default none; at most 100."),
    credentials: z
      .boolean()
      .default(false)
      .describe("Allow cookies and HTTP authentication (Access-Control-Allow-Credentials). Default false; never together with origin `*`."),
    max_age: boundedDuration(0, 86_400_000, "0s and 24h")
      .prefault("10m")
      .describe(
        "How long browsers may cache a preflight answer (Access-Control-Max-Age, whole seconds). Default 10m, 0s-24h; browsers cap it lower (Chromium: 2h).",
      ),
  })
  .superRefine((cors, ctx) => {
    if (cors.enabled && cors.origins.length === 0) ctx.addIssue({ code: "custom", path: ["origins"], message: "list at least one origin" });
    // Fetch standard §3.2.5: `*` is not a wildcard when credentials are included; echoing any origin with credentials would hand every site the user's session.
    if (cors.credentials && cors.origins.includes("*"))
      ctx.addIssue({ code: "custom", path: ["origins"], message: "`*` cannot be combined with credentials: list the origins" });
  })
  .describe("Cross-Origin Resource Sharing (Fetch standard §3.2).");

export type CorsConfig = z.output<typeof corsSchema>;
