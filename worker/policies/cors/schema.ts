/**
 * The `cors` block, in `middleware` (every route) and on a route (replacing the global one for
 * that route); and Loom's top-level `cors` block (its code's dialect, `allow_*` keys), which
 * states the same global policy in other words and comes out in the same shape. Browsers enforce CORS; the gateway only states the policy, answers preflights
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

/** The lists both dialects' blocks take, with one set of bounds and defaults (each block describes them in its own words). */
const originList = z.array(origin).max(100).default([]);
const methodList = httpMethod.array().min(1).default(["GET", "HEAD", "POST"]);
const requestHeaderList = z.array(headerName).max(100).default(["Content-Type", "Authorization"]);
const exposeHeaderList = z.array(headerName).max(100).default([]);

export const corsSchema = z
  .strictObject({
    enabled: z
      .boolean()
      .default(true)
      .describe("Default true. false: no CORS handling on this route (a route's block replaces the global one)."),
    origins: originList.describe(
      "Origins allowed to read responses: exact origins, `https://*.example.com` wildcards, or `*` (not with credentials). At most 100; required when enabled.",
    ),
    methods: methodList.describe("Methods a preflight may ask for (Access-Control-Allow-Methods). Default GET, HEAD, POST."),
    headers: requestHeaderList.describe(
      "Request headers a preflight may ask for (Access-Control-Allow-Headers). Default Content-Type, Authorization; at most 100.",
    ),
    expose_headers: exposeHeaderList.describe(
      "Response headers scripts may read (Access-Control-Expose-Headers). Default none; at most 100.",
    ),
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
  .superRefine((cors, ctx) => originRules(cors, ctx, "origins"))
  .describe("Cross-Origin Resource Sharing (Fetch standard §3.2).");

/** The origin list's rules, reported at `path` (`origins`, or Loom's `allow_origins`). */
function originRules(cors: { enabled: boolean; origins: string[]; credentials: boolean }, ctx: z.RefinementCtx, path: string): void {
  if (cors.enabled && cors.origins.length === 0) ctx.addIssue({ code: "custom", path: [path], message: "list at least one origin" });
  // Fetch standard §3.2.5: `*` is not a wildcard when credentials are included; echoing any origin with credentials would hand every site the user's session.
  if (cors.credentials && cors.origins.includes("*"))
    ctx.addIssue({ code: "custom", path: [path], message: "`*` cannot be combined with credentials: list the origins" });
}

/**
 * Loom's top-level `cors` (its code's dialect): off unless `enabled: true`, as in Loom;
 * `max_age` in seconds (Loom's default 86400). Comes out as `corsSchema`'s output, so the policy
 * reads one shape.
 */
export const loomCorsSchema = z
  .strictObject({
    enabled: z.boolean().default(false).describe("Default false, as in Loom's code: the block does nothing until enabled."),
    allow_origins: originList.describe("As `middleware.cors.origins`."),
    allow_methods: methodList.describe("As `middleware.cors.methods`. Default GET, HEAD, POST."),
    allow_headers: requestHeaderList.describe("As `middleware.cors.headers`. Default Content-Type, Authorization."),
    expose_headers: exposeHeaderList.describe("As `middleware.cors.expose_headers`."),
    max_age: z
      .number()
      .int()
      .min(0)
      .max(86_400)
      .default(86_400)
      .describe("Seconds browsers may cache a preflight answer. Default 86400 (Loom's)."),
    allow_credentials: z.boolean().default(false).describe("As `middleware.cors.credentials`; never together with origin `*`."),
  })
  .transform((loom): CorsConfig => ({
    enabled: loom.enabled,
    origins: loom.allow_origins,
    methods: loom.allow_methods,
    headers: loom.allow_headers,
    expose_headers: loom.expose_headers,
    credentials: loom.allow_credentials,
    max_age: loom.max_age * 1000,
  }))
  .superRefine((cors, ctx) => originRules(cors, ctx, "allow_origins"))
  .describe("Loom's global CORS block (its code's dialect): the same policy as `middleware.cors`, in Loom's words.");

export type CorsConfig = z.output<typeof corsSchema>;
