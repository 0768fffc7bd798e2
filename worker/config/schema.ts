/**
 * The one schema of the gateway config: the Loom gateway YAML (seeds/002) plus the few blocks the
 * edge adds (`security_txt`). The admin API validates with it, the compiler reads its output, and
 * `/admin/openapi.json` documents itself from it. Every object is strict: an unknown key is an
 * error, never silently ignored.
 *
 * Parsed output differs from the stored input only where units are parsed (sizes to bytes,
 * durations to milliseconds); the stored document keeps what the operator wrote, `${VAR}`
 * references included.
 */
import { z } from "zod";
import { AUDIT_EVENTS, DEFAULT_AUDIT_EVENTS } from "../audit/events";
import { endpointUrl } from "../gateway/upstream-url";
import { MAX_RETENTION_DAYS, MIN_RETENTION_DAYS } from "../audit/retention";
import { authSchema, basicAuthSchema, routeAuthSchema } from "../policies/auth/schema";
import { circuitBreakerSchema } from "../policies/circuit-breaker/schema";
import { corsSchema } from "../policies/cors/schema";
import { ipRulesSchema } from "../policies/ip-rules/schema";
import { rateLimitSchema } from "../policies/rate-limit/schema";
import { DEFAULT_MAX_BODY_SIZE } from "../policies/request-validator";
import { authFailureLimitSchema } from "../limits/schema";
import { credentialRefSchema } from "../vault/schema";
import { duration, httpMethod, isLoopbackHost, secretRef, size } from "./fields";

// ---------------------------------------------------------------- building blocks

// secretRef, size, duration and httpMethod live in fields.ts, which the policies' schemas share.
export { duration, httpMethod, secretRef, size } from "./fields";
export { authSchema };

const positiveDuration = duration.refine((ms) => ms > 0, "must be longer than 0");

/** A name: route ids, upstream and listener names, consumer ids and tenants. */
export const identifier = z
  .string()
  .regex(
    /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/,
    "must be 1-64 characters of letters, digits, '.', '_' or '-', starting with a letter or digit",
  );

/** Route path: `/exact`, `/users/:id`, `/api/*` (a final `*` matches the rest of the path). */
export const routePath = z
  .string()
  .max(1024)
  .superRefine((path, ctx) => {
    if (!path.startsWith("/")) ctx.addIssue({ code: "custom", message: "must start with /" });
    const segments = path.split("/").slice(1);
    segments.forEach((segment, index) => {
      if (segment === "*" && index !== segments.length - 1) {
        ctx.addIssue({ code: "custom", message: "`*` is only allowed as the last segment" });
      } else if (segment !== "*" && segment.includes("*")) {
        ctx.addIssue({ code: "custom", message: "`*` must be a whole segment, as in /api/*" });
      } else if (segment.startsWith(":") && !/^:[A-Za-z_][A-Za-z0-9_]*$/.test(segment)) {
        ctx.addIssue({ code: "custom", message: `bad parameter segment ${segment}` });
      } else if (segment === "." || segment === ".." || /%2e|%2f|%5c/i.test(segment)) {
        ctx.addIssue({ code: "custom", message: "must be in normal form (no dot segments or encoded dots/slashes)" });
      }
    });
  })
  .describe("Path pattern: exact segments, `:name` parameters, and a final `*` wildcard.");

const hostPattern = z
  .string()
  .regex(
    /^(\*\.)?[A-Za-z0-9]([A-Za-z0-9-]*[A-Za-z0-9])?(\.[A-Za-z0-9]([A-Za-z0-9-]*[A-Za-z0-9])?)*$/,
    "must be a host name, optionally starting with *. for any subdomain",
  )
  .transform((host) => host.toLowerCase())
  .describe("Host name to match (case-insensitive); `*.example.com` matches any subdomain.");

/** Upstream endpoint: `host:port` (http) or a full http(s) URL, optionally with a base path. */
export const endpoint = z
  .string()
  .superRefine((value, ctx) => {
    const url = endpointUrl(value);
    if (!url) {
      ctx.addIssue({ code: "custom", message: "must be host:port or an http(s) URL" });
    } else if (url.username || url.password || url.search || url.hash) {
      ctx.addIssue({ code: "custom", message: "must not carry credentials, a query or a fragment" });
    }
  })
  .describe("An origin: `host:port` (plain HTTP) or `https://host[:port][/base]`.");

// ---------------------------------------------------------------- listeners (TLS / mTLS)

const tlsSchema = z.strictObject({
  cert_file: z.string().optional().describe("Ignored at the edge: Cloudflare terminates TLS with the zone's edge certificate."),
  key_file: z.string().optional().describe("Ignored at the edge: Cloudflare holds the private key."),
  min_version: z
    .enum(["1.0", "1.1", "1.2", "1.3"])
    .optional()
    .describe("Lowest TLS version accepted, enforced with request.cf.tlsVersion (426 below it)."),
  cipher_suites: z.array(z.string()).optional().describe("Ignored at the edge: set cipher suites in the zone's SSL/TLS settings."),
  client_auth: z
    .enum(["none", "request", "require"])
    .default("none")
    .describe("`require`: the client certificate must be presented, verified and not revoked (request.cf.tlsClientAuth)."),
  client_ca_file: z.string().optional().describe("Ignored at the edge: upload the CA to Cloudflare mTLS settings."),
});

const listenerSchema = z.strictObject({
  name: identifier,
  address: z.string().optional().describe("Ignored at the edge: Workers are reached on Cloudflare's anycast addresses."),
  protocol: z.enum(["http", "https"]).default("https"),
  tls: tlsSchema.optional(),
});

// ---------------------------------------------------------------- rate limits

// rateLimitSchema lives with its policy: worker/policies/rate-limit/schema.ts.

// ---------------------------------------------------------------- middleware

const securityHeadersSchema = z.strictObject({
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

const requestValidationSchema = z.strictObject({
  max_header_size: size.optional().describe("Total size of request header names and values (431 above it)."),
  max_uri_length: z.number().int().positive().optional().describe("Longest request target, path and query (414 above it)."),
  allowed_methods: z.array(httpMethod).min(1).optional().describe("Methods accepted at all (405 otherwise)."),
  allow_semicolons: z
    .boolean()
    .default(false)
    .describe(
      "Accept `;` path parameters (`/a;jsessionid=1/b`). Off: such paths are 400 `bad_path`, since servlet containers drop the parameters and could serve another route's resource. On: routes are matched without them and the upstream receives them as sent.",
    ),
  underscores_in_headers: z
    .boolean()
    .default(false)
    .describe(
      "Forward request header names that contain `_`. Default false: they are dropped before the upstream (nginx's default), because CGI, WSGI and Rack read `X_Consumer_Id` as `X-Consumer-Id`. When true, a name that spells a header the gateway sets, strips or checks once `_` is read as `-` (identity, credential, forwarding and override headers) is still dropped.",
    ),
});

const middlewareSchema = z.strictObject({
  auth: authSchema.optional(),
  cors: corsSchema.optional().describe("CORS for every route without a `cors` block of its own."),
  ip_rules: ipRulesSchema.optional().describe("Client address rules checked on every request, before the route's own."),
  security_headers: securityHeadersSchema.optional(),
  body_limit: z.strictObject({ max_size: size }).optional(),
  request_validation: requestValidationSchema.optional(),
});

// ---------------------------------------------------------------- routes and upstreams

const requestValidatorPlugin = z.strictObject({
  name: z.literal("request-validator"),
  config: z.strictObject({
    schema: z
      .union([
        z.string().regex(/^\/[^\s]*$/, "must be a document path such as /etc/loom/schemas/api.json"),
        z.record(z.string(), z.unknown()),
      ])
      .describe("A JSON Schema: a document path uploaded with PUT /admin/documents/<path>, or the schema inline."),
    methods: z.array(httpMethod).default(["POST", "PUT", "PATCH"]).describe("Methods whose body is validated."),
    max_body_size: size
      .refine((bytes) => bytes >= 1 && bytes <= 32 * 1024 * 1024, "must be between 1B and 32MB")
      .default(DEFAULT_MAX_BODY_SIZE)
      .describe(
        "Largest body validated: it is held in memory and parsed whole, so a larger one is refused with 413, whatever middleware.body_limit allows. Default 1MB, 1B-32MB.",
      ),
  }),
});

export const routePluginSchema = z.discriminatedUnion("name", [requestValidatorPlugin]);

export const routeSchema = z.strictObject({
  id: identifier,
  path: routePath,
  host: hostPattern.optional(),
  methods: z.array(httpMethod).min(1).optional(),
  upstream: identifier,
  strip_prefix: z.boolean().default(false).describe("Remove the literal part of the path pattern before forwarding."),
  forward_override_headers: z
    .boolean()
    .default(false)
    .describe(
      "Forward the client's `X-HTTP-Method-Override`, `X-HTTP-Method`, `X-Method-Override`, `X-Original-URL` and `X-Rewrite-URL`. Default false: they are dropped. When true, a method override naming a method this route (`methods`) or `middleware.request_validation.allowed_methods` does not admit is refused with 405; a URL override whose path (normalised, matched as a request path) reaches another route or none is refused with 400.",
    ),
  listener: identifier.optional().describe("Serve this route only to requests that satisfy this listener's TLS rules."),
  plugins: z.array(routePluginSchema).default([]),
  auth: routeAuthSchema
    .optional()
    .describe("Replaces middleware.auth on this route: `none`, a scheme block, or a list of acceptable scheme blocks."),
  cors: corsSchema.optional().describe("Replaces middleware.cors on this route."),
  ip_rules: ipRulesSchema.optional().describe("Client address rules for this route, checked after middleware.ip_rules."),
  credential: credentialRefSchema.optional(),
});

export const upstreamSchema = z.strictObject({
  name: identifier,
  endpoints: z.array(endpoint).min(1),
  timeout: positiveDuration
    .prefault("10s")
    .describe(
      "Per attempt: the longest wait for the response headers (then 504), and then for each body chunk (then the body is cut); never a limit on the whole body.",
    ),
  max_response_size: size.prefault("5MB").describe("Largest response body passed on; a larger one is cut off."),
  retries: z.number().int().min(0).max(5).default(1).describe("Retries on another endpoint, idempotent methods only."),
  circuit_breaker: circuitBreakerSchema.optional(),
});

// ---------------------------------------------------------------- other blocks

const adminSchema = z.strictObject({
  address: z.string().optional().describe("Ignored at the edge: the admin API is served under ADMIN_PREFIX of the Worker."),
  auth: basicAuthSchema.optional().describe("Basic credentials accepted besides the ADMIN_TOKEN bearer token."),
});

const aiGatewaySchema = z.strictObject({
  providers: z
    .array(
      z.strictObject({
        name: identifier,
        api_key: secretRef.optional(),
        credential: credentialRefSchema.optional(),
        base_url: z.url().optional(),
      }),
    )
    .default([]),
  security: z
    .strictObject({
      prompt_injection_detection: z.boolean().default(false),
      content_filtering: z.boolean().default(false),
      pii_detection: z.boolean().default(false),
      pii_action: z.enum(["mask", "block", "log"]).default("mask"),
      max_tokens_per_request: z.number().int().positive().optional(),
      max_tokens_per_minute: z.number().int().positive().optional(),
    })
    .optional(),
});

export const ACCESS_LOG_FIELDS = [
  "timestamp",
  "request_id",
  "client_ip",
  "method",
  "host",
  "path",
  "query",
  "status",
  "route",
  "upstream",
  "duration_ms",
  "upstream_duration_ms",
  "bytes_sent",
  "user_agent",
  "referer",
] as const;

const loggingSchema = z.strictObject({
  level: z.enum(["debug", "info", "warn", "error"]).default("info"),
  format: z.enum(["json"]).default("json"),
  access_log: z
    .strictObject({
      enabled: z.boolean().default(true),
      fields: z
        .array(z.enum(ACCESS_LOG_FIELDS))
        .min(1)
        .default(["timestamp", "request_id", "client_ip", "method", "path", "status", "duration_ms"]),
    })
    .optional(),
});

const wasmPluginSchema = z.strictObject({
  name: identifier,
  path: z.string().optional(),
  config: z.record(z.string(), z.unknown()).optional(),
  capabilities: z.strictObject({ allow_http: z.boolean().default(false), allow_filesystem: z.boolean().default(false) }).optional(),
});

export const auditSchema = z.strictObject({
  enabled: z.boolean().default(true),
  output: z.string().optional().describe("Ignored at the edge: audit rows go to the D1 database bound as DB."),
  events: z.array(z.enum(AUDIT_EVENTS)).default([...DEFAULT_AUDIT_EVENTS]),
  retention: z
    .string()
    .regex(/^[1-9]\d*d$/, "a number of days, such as 400d")
    .transform((text) => Number(text.slice(0, -1)))
    .refine((days) => days >= MIN_RETENTION_DAYS && days <= MAX_RETENTION_DAYS, `between ${MIN_RETENTION_DAYS}d and ${MAX_RETENTION_DAYS}d`)
    .optional()
    .describe(
      `How long audit rows stay in D1, in days (e.g. 400d; ${MIN_RETENTION_DAYS}d to ${MAX_RETENTION_DAYS}d). Unset (the default): kept forever. Set: the daily cron (and POST /admin/audit/prune) prunes rows written before the start of the UTC day that many days ago, once their days are exported to R2 and a head keyed with AUDIT_HMAC_KEY anchors them, leaving a keyed checkpoint the remaining chain verifies from. D1 caps a database at 10 GB.`,
    ),
});

const graphqlSchema = z.strictObject({
  security: z.strictObject({
    max_depth: z.number().int().positive().optional(),
    max_complexity: z.number().int().positive().optional(),
    introspection: z.boolean().default(true),
    persisted_queries: z.strictObject({ required: z.boolean().default(false) }).optional(),
  }),
});

const uri = z.string().regex(/^(https:\/\/|mailto:|tel:|dns:|openpgp4fpr:)\S+$/, "must be an https:, mailto: or tel: URI (RFC 9116 §2.5)");

/** RFC 9116 security.txt, served at /.well-known/security.txt. */
export const securityTxtSchema = z.strictObject({
  contact: z.union([uri, z.array(uri).min(1)]).describe("RFC 9116 §2.5.3, required."),
  expires: z.iso.datetime({ offset: true }).describe("RFC 9116 §2.5.5, required; an ISO 8601 date-time."),
  encryption: z.union([uri, z.array(uri)]).optional(),
  acknowledgments: z.union([uri, z.array(uri)]).optional(),
  preferred_languages: z.array(z.string().regex(/^[A-Za-z]{1,8}(-[A-Za-z0-9]{1,8})*$/)).optional(),
  canonical: z.union([uri, z.array(uri)]).optional(),
  policy: z.union([uri, z.array(uri)]).optional(),
  hiring: z.union([uri, z.array(uri)]).optional(),
});

// ---------------------------------------------------------------- the whole config

const configObject = z.strictObject({
  listeners: z.array(listenerSchema).default([]),
  rate_limit: rateLimitSchema.optional(),
  auth_failure_limit: authFailureLimitSchema.prefault({}),
  middleware: middlewareSchema.default({}),
  admin: adminSchema.optional(),
  ai_gateway: aiGatewaySchema.optional(),
  routes: z.array(routeSchema).default([]),
  upstreams: z.array(upstreamSchema).default([]),
  logging: loggingSchema.optional(),
  plugins: z.array(wasmPluginSchema).default([]),
  audit: auditSchema.optional(),
  graphql: graphqlSchema.optional(),
  security_txt: securityTxtSchema.optional(),
});

type Loose = Record<string, unknown>;

/** A path pattern as the router compares it: letters in one case, no trailing slash. */
function matchedPattern(path: string): string {
  const folded = path.toLowerCase();
  return folded.length > 1 && folded.endsWith("/") ? folded.slice(0, -1) : folded;
}
const list = (value: unknown): Loose[] =>
  Array.isArray(value) ? value.filter((item): item is Loose => item !== null && typeof item === "object") : [];

/** Reports duplicates of `key` within a list; returns the set of names for reference checks. */
function checkUnique(ctx: z.RefinementCtx, items: Loose[], key: string, listPath: string): Set<string> {
  const seen = new Set<string>();
  items.forEach((item, index) => {
    const name = String(item[key]);
    if (seen.has(name)) ctx.addIssue({ code: "custom", path: [listPath, index, key], message: `duplicate ${key} "${name}"` });
    seen.add(name);
  });
  return seen;
}

/** The first endpoint of `upstream` reached over plain http on a host other than loopback. */
function plainHttpEndpoint(upstream: Loose | undefined): string | undefined {
  const endpoints = Array.isArray(upstream?.endpoints)
    ? upstream.endpoints.filter((value): value is string => typeof value === "string")
    : [];
  return endpoints.find((value) => {
    const url = endpointUrl(value);
    return url?.protocol === "http:" && !isLoopbackHost(url.hostname);
  });
}

/**
 * Checks across blocks: unique names, references that resolve, routes that can match. They run
 * even when other fields are invalid (`when`), so one response lists every problem; the data
 * may then be partly unparsed, hence the loose reads.
 */
function crossReferences(config: Loose, ctx: z.RefinementCtx): void {
  const routes = list(config.routes);
  const upstreams = list(config.upstreams);
  const upstreamNames = checkUnique(ctx, upstreams, "name", "upstreams");
  const routeIds = checkUnique(ctx, routes, "id", "routes");
  const listenerNames = checkUnique(ctx, list(config.listeners), "name", "listeners");
  const validation = (config.middleware as Loose | undefined)?.request_validation as Loose | undefined;
  const allowed = Array.isArray(validation?.allowed_methods) ? new Set(validation.allowed_methods) : undefined;
  const matchKeys = new Map<string, string>();
  routes.forEach((route, index) => {
    if (typeof route.upstream === "string" && !upstreamNames.has(route.upstream)) {
      ctx.addIssue({
        code: "custom",
        path: ["routes", index, "upstream"],
        message: `upstream "${route.upstream}" is not defined in upstreams`,
      });
    }
    if (typeof route.listener === "string" && !listenerNames.has(route.listener)) {
      ctx.addIssue({
        code: "custom",
        path: ["routes", index, "listener"],
        message: `listener "${route.listener}" is not defined in listeners`,
      });
    }
    if (route.credential !== undefined) {
      const plain = plainHttpEndpoint(upstreams.find((upstream) => upstream.name === route.upstream));
      if (plain !== undefined) {
        ctx.addIssue({
          code: "custom",
          path: ["routes", index, "credential"],
          message: `upstream "${String(route.upstream)}" has the plain-http endpoint ${plain}: a vault credential would cross the network in clear; use https (plain http is allowed only to a loopback host)`,
        });
      }
    }
    const methods = Array.isArray(route.methods) ? route.methods.map(String) : ["*"];
    methods.forEach((method, m) => {
      if (allowed && method !== "*" && !allowed.has(method)) {
        ctx.addIssue({
          code: "custom",
          path: ["routes", index, "methods", m],
          message: `${method} is not in middleware.request_validation.allowed_methods, so this route could never serve it`,
        });
      }
    });
    // Paths are matched case-insensitively and without a trailing slash (gateway/router.ts).
    const key = `${String(route.host ?? "*").toLowerCase()} ${matchedPattern(String(route.path))} ${[...methods].sort().join(",")}`;
    const twin = matchKeys.get(key);
    if (twin !== undefined) {
      ctx.addIssue({
        code: "custom",
        path: ["routes", index, "path"],
        message: `same host, path and methods as route "${twin}"; one of them could never match`,
      });
    } else matchKeys.set(key, String(route.id));
  });
  const overrides = (config.rate_limit as Loose | undefined)?.routes;
  for (const routeId of Object.keys(overrides && typeof overrides === "object" ? overrides : {})) {
    if (!routeIds.has(routeId)) {
      ctx.addIssue({ code: "custom", path: ["rate_limit", "routes", routeId], message: `route "${routeId}" is not defined in routes` });
    }
  }
}

export const configSchema = configObject
  .superRefine((config, ctx) => crossReferences(config as unknown as Loose, ctx), { when: () => true })
  .describe("Loom Edge gateway configuration (the Loom gateway YAML).");

/** What the operator writes (sizes and durations as strings, `${VAR}` references). */
export type ConfigInput = z.input<typeof configSchema>;
/** What the compiler reads (defaults applied, sizes in bytes, durations in milliseconds). */
export type Config = z.output<typeof configSchema>;
export type RouteConfig = z.output<typeof routeSchema>;
export type UpstreamConfig = z.output<typeof upstreamSchema>;
export type SecurityTxtConfig = z.output<typeof securityTxtSchema>;
