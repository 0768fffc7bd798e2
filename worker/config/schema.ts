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
import { auditSchema } from "../audit/schema";
import { routeTargetSchema, upstreamTargetSchema } from "../gateway/schema";
import { endpointUrl } from "../http/upstream-url";
import { isLoopbackHost } from "../http/schema-kit/fields";
import { authFailureLimitSchema } from "../limits/schema";
import { loggingSchema, metricsSchema, tracingSchema } from "../observability/schema";
import { aiGatewaySchema, routeAiSchema } from "../policies/ai-gateway/schema";
import { authSchema, basicAuthSchema, routeAuthSchema } from "../policies/auth/schema";
import { bodyLimitSchema } from "../policies/body-limit/schema";
import { bulkheadSchema } from "../policies/bulkhead/schema";
import { cacheSchema, routeCacheSchema } from "../policies/cache/schema";
import { requestValidatorPlugin } from "../policies/body-schema/schema";
import { circuitBreakerSchema } from "../policies/circuit-breaker/schema";
import { corsSchema, loomCorsSchema } from "../policies/cors/schema";
import { graphqlSchema, routeGraphqlSchema } from "../policies/graphql/schema";
import { ipRulesSchema } from "../policies/ip-rules/schema";
import { rateLimitSchema } from "../policies/rate-limit/schema";
import { requestValidationSchema } from "../policies/request-checks/schema";
import { securityHeadersSchema } from "../policies/security-headers/schema";
import { securityTxtSchema } from "../policies/security-txt/schema";
import { listenerSchema } from "../policies/tls/schema";
import { credentialRefSchema } from "../vault/schema";
import { variablesIn } from "../http/schema-kit/variables";
import { MATCHING_FIELDS, referenceKind } from "./variable-fields";
import { pluginIssues, pluginName, resolvePlugins, wasmPluginSchema } from "./plugins";

// Each block's schema lives with the code that reads it (policies/<name>/schema.ts,
// gateway/schema.ts, audit/, observability/); this module composes them into the one document.

// ---------------------------------------------------------------- middleware

const middlewareSchema = z.strictObject({
  auth: authSchema.optional(),
  cors: corsSchema.optional().describe("CORS for every route without a `cors` block of its own."),
  ip_rules: ipRulesSchema.optional().describe("Client address rules checked on every request, before the route's own."),
  security_headers: securityHeadersSchema.optional(),
  body_limit: bodyLimitSchema.optional(),
  request_validation: requestValidationSchema.optional(),
});

// ---------------------------------------------------------------- routes and upstreams

export const routePluginSchema = z
  .union([pluginName, z.discriminatedUnion("name", [requestValidatorPlugin])], {
    error: "must be a plugin name (Loom's list form) or a { name: request-validator, config } object",
  })
  .describe("A plugin by name (Loom's list form), or a `{ name, config }` object (request-validator).");

export const routeSchema = routeTargetSchema.extend({
  plugins: z
    .array(routePluginSchema)
    .default([])
    .describe(
      'Names of top-level plugins[] entries or built-ins (jwt-auth, rate-limit, request-logger; README "Plugins"), and request-validator objects. Default none.',
    ),
  auth: routeAuthSchema
    .optional()
    .describe("Replaces middleware.auth on this route: `none`, a scheme block, or a list of acceptable scheme blocks."),
  cors: corsSchema.optional().describe("Replaces middleware.cors on this route."),
  ip_rules: ipRulesSchema.optional().describe("Client address rules for this route, checked after middleware.ip_rules."),
  credential: credentialRefSchema.optional(),
  graphql: routeGraphqlSchema.optional(),
  cache: routeCacheSchema.optional(),
  ai: routeAiSchema.optional(),
});

export const upstreamSchema = upstreamTargetSchema.extend({
  circuit_breaker: circuitBreakerSchema.optional(),
  bulkhead: bulkheadSchema.optional(),
});

// ---------------------------------------------------------------- other blocks

/** Keys of the security policy's `admin.auth` (one basic login) and of Loom's code's (a user table). */
const POLICY_ADMIN_AUTH_KEYS = ["type", "username", "password"] as const;
const CODE_ADMIN_AUTH_KEYS = ["enabled", "users"] as const;

const passwordHash = z
  .string()
  .regex(/^[0-9A-Fa-f]{64}$/, "must be the SHA-256 of the password as 64 hex digits, as Loom's code stores it")
  .transform((hex) => hex.toLowerCase());

/**
 * `admin.auth` in either dialect: the policy's `{type: basic, username, password: ${VAR}}` or Loom's
 * code's `{enabled, users: {name: sha256-hex}, realm}`. One object with both shapes' keys, so a
 * block mixing them is refused with both paths named rather than as "matches no shape".
 */
const adminAuthSchema = z
  .strictObject({
    type: basicAuthSchema.shape.type.optional(),
    username: basicAuthSchema.shape.username.optional(),
    password: basicAuthSchema.shape.password.optional(),
    enabled: z
      .boolean()
      .optional()
      .describe(
        "Loom's code dialect: `false` turns the `users` logins off. The ADMIN_TOKEN bearer is still required: the edge never serves the admin API without credentials. Default true.",
      ),
    users: z
      .record(basicAuthSchema.shape.username, passwordHash)
      .refine((users) => Object.keys(users).length <= 100, "at most 100 users")
      .optional()
      .describe(
        "Loom's code dialect: user name → SHA-256 of the password, 64 hex digits. Compared in constant time; a presented password under 128 bits of entropy is never compared (401). Unsalted: saved with a warning, redacted wherever the config is shown. At most 100.",
      ),
    realm: basicAuthSchema.shape.realm
      .unwrap()
      .optional()
      .describe(
        "Realm of the admin API's Basic challenge (RFC 9110 §11.6.1). Loom's code dialect; default `loom-edge-admin`. 1-64 printable ASCII characters, no `\"` or `\\`.",
      ),
  })
  .superRefine((auth, ctx) => {
    const policyKeys = POLICY_ADMIN_AUTH_KEYS.filter((key) => auth[key] !== undefined);
    const codeKeys = CODE_ADMIN_AUTH_KEYS.filter((key) => auth[key] !== undefined);
    if (policyKeys.length > 0 && codeKeys.length > 0) {
      for (const key of codeKeys) {
        ctx.addIssue({
          code: "custom",
          path: [key],
          message: `admin.auth.${key} (Loom's code dialect) and admin.auth.${policyKeys[0]} (the security policy's basic login) are two shapes of admin.auth; keep one`,
        });
      }
      return;
    }
    if (policyKeys.length === 0) return;
    for (const key of POLICY_ADMIN_AUTH_KEYS) {
      if (auth[key] === undefined) ctx.addIssue({ code: "custom", path: [key], message: `a basic admin login needs ${key}` });
    }
  })
  .transform((auth) =>
    auth.type && auth.username && auth.password
      ? { type: auth.type, username: auth.username, password: auth.password, realm: auth.realm ?? "loom-edge" }
      : { type: "users" as const, enabled: auth.enabled ?? true, users: auth.users ?? {}, realm: auth.realm ?? "loom-edge-admin" },
  );

const adminSchema = z.strictObject({
  address: z.string().optional().describe("Ignored at the edge: the admin API is served under ADMIN_PREFIX of the Worker."),
  enabled: z
    .boolean()
    .default(true)
    .describe(
      "`false`: every admin path answers 404, as if there were no admin API. To turn it back on, set the Worker variable ADMIN_API_OVERRIDE=on (wrangler or the dashboard): the API answers again, with credentials as ever, until a config with `enabled: true` is saved and the variable removed. Default true.",
    ),
  auth: adminAuthSchema
    .optional()
    .describe(
      "Logins accepted besides the ADMIN_TOKEN bearer token: the policy's `{type: basic, username, password: ${VAR}}`, or Loom's code's `{enabled, users: {name: sha256-hex}, realm}`; not both.",
    ),
});

export type AdminAuthConfig = z.output<typeof adminAuthSchema>;

// ---------------------------------------------------------------- the whole config

/** The document's blocks before the cross-block checks and the plugin resolution, which keep its output shape: what the normal form's fingerprint reads (normal-form.test.ts). */
export const configObject = z.strictObject({
  listeners: z
    .array(listenerSchema)
    .default([])
    .describe("Loom's listeners: at the edge, which connections (TLS or not, its version, client certificates) a request may come on."),
  rate_limit: rateLimitSchema.optional(),
  auth_failure_limit: authFailureLimitSchema.prefault({}),
  middleware: middlewareSchema.default({}).describe("The security policy's protections of every route (a route's own block replaces one)."),
  admin: adminSchema.optional().describe("The admin API (served under ADMIN_PREFIX, default /admin): on or off, and its logins."),
  ai_gateway: aiGatewaySchema
    .optional()
    .describe('Loom\'s AI gateway: the providers the routes with `ai` forward to, and their checks (README "AI gateway").'),
  routes: z.array(routeSchema).default([]).describe('The routes, matched by priority, then specificity (README "Route matching").'),
  upstreams: z.array(upstreamSchema).default([]).describe("The origins routes forward to."),
  cors: loomCorsSchema
    .optional()
    .describe("Loom's global CORS block: the policy of every route without a `cors` of its own; not together with middleware.cors."),
  logging: loggingSchema.optional(),
  metrics: metricsSchema.optional().describe("Loom's metrics block: accepted, not exported yet (a warning says so)."),
  tracing: tracingSchema
    .optional()
    .describe(
      "Loom's tracing block: W3C Trace Context to the upstream and one OTLP/HTTP JSON span per sampled request; off unless enabled.",
    ),
  cache: cacheSchema
    .optional()
    .describe(
      "Loom's response cache: every route's, unless the route's own `cache` replaces it; off unless enabled (README \"Response cache\").",
    ),
  plugins: z
    .array(wasmPluginSchema)
    .default([])
    .describe(
      'Loom\'s plugin entries, named by routes; built-in names are served by the built-ins, WASM ones fail closed (README "Plugins").',
    ),
  audit: auditSchema.optional().describe('The append-only audit log in D1 (README "The audit log").'),
  graphql: graphqlSchema.optional().describe('GraphQL protections of the routes with `graphql: true` (README "GraphQL protections").'),
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

/**
 * `${VAR}` in a field that decides matching: an unset or changed variable would move traffic to
 * another route (one with weaker policies, say) without any config change, so it is refused.
 */
function refuseVariablesInMatching(ctx: z.RefinementCtx, route: Loose, index: number): void {
  const refuse = (path: (string | number)[], text: string) => {
    if (text.includes("${")) {
      ctx.addIssue({
        code: "custom",
        path: ["routes", index, ...path],
        message:
          "${VAR} is not allowed in fields that decide matching (path, host, methods, headers, query_params): an unset variable would move traffic to another route",
      });
    }
  };
  for (const field of MATCHING_FIELDS as string[]) {
    const value = route[field];
    if (typeof value === "string") refuse([field], value);
    else if (Array.isArray(value)) value.forEach((item, i) => refuse([field, i], String(item)));
    else if (value !== null && typeof value === "object") {
      for (const [name, item] of Object.entries(value)) {
        refuse([field, name], name);
        refuse([field, name], String(item));
      }
    }
  }
}

/**
 * A `${VAR}` in a field that must stay literal (a route's identity, the names routes refer to,
 * request expressions, admin, audit: config/variable-fields.ts) is refused rather than taken as
 * text. Fields of routes that decide matching have their own refusal above.
 */
function refuseVariablesElsewhere(
  ctx: z.RefinementCtx,
  config: Loose,
  node: unknown = config,
  path: (string | number)[] = [],
  ancestors: ReadonlySet<unknown> = new Set(),
): void {
  // The data of a document that failed elsewhere may be partly unparsed, and can refer back to itself.
  if (ancestors.has(node)) return;
  const within = new Set(ancestors).add(node);
  if (typeof node === "string") {
    const variables = variablesIn(node);
    const kind = variables.length > 0 ? referenceKind(path, config) : undefined;
    if (kind === "literal" || kind === "expression") {
      ctx.addIssue({
        code: "custom",
        path,
        message:
          kind === "literal"
            ? `\${${variables[0]}}: Worker variables are not read in names, route ids, priorities, admin or audit, which must not change with the environment (README "Worker variables")`
            : `\${${variables[0]}}: this field reads request expressions (\${client_ip}, \${header.NAME}), not Worker variables (README "Worker variables")`,
      });
    }
  } else if (Array.isArray(node)) node.forEach((item, index) => refuseVariablesElsewhere(ctx, config, item, [...path, index], within));
  else if (node !== null && typeof node === "object") {
    for (const [key, value] of Object.entries(node)) refuseVariablesElsewhere(ctx, config, value, [...path, key], within);
  }
}

/** A route's headers and query_params conditions in one canonical text (names of headers folded). */
function conditionsKey(route: Loose): string {
  const entries = (value: unknown, fold: boolean) =>
    Object.entries(value !== null && typeof value === "object" ? value : {})
      .map(([name, item]) => `${fold ? name.toLowerCase() : name}=${String(item)}`)
      .sort()
      .join("&");
  return `${entries(route.headers, true)} ${entries(route.query_params, false)}`;
}

/** Reports duplicates of `key` within a list; returns the set of names for reference checks. */
function checkUnique(ctx: z.RefinementCtx, items: Loose[], key: string, ...listPath: string[]): Set<string> {
  const seen = new Set<string>();
  items.forEach((item, index) => {
    const name = String(item[key]);
    if (seen.has(name)) ctx.addIssue({ code: "custom", path: [...listPath, index, key], message: `duplicate ${key} "${name}"` });
    seen.add(name);
  });
  return seen;
}

/**
 * The first endpoint of `upstream` reached over plain http on a host other than loopback. With
 * `${VAR}` references, only a literal `https://` before them guarantees TLS whatever the values.
 */
function plainHttpEndpoint(upstream: Loose | undefined): string | undefined {
  // Parsed entries are `{ endpoint, weight }`; an entry that failed to parse may still be a string.
  const endpoints = list(upstream?.endpoints)
    .map((entry) => entry.endpoint)
    .concat(Array.isArray(upstream?.endpoints) ? upstream.endpoints : [])
    .filter((value): value is string => typeof value === "string");
  return endpoints.find((value) => {
    if (variablesIn(value).length > 0) return !value.startsWith("https://");
    const url = endpointUrl(value);
    return url?.protocol === "http:" && !isLoopbackHost(url.hostname);
  });
}

/**
 * A route goes either to an upstream or through the AI gateway, and `ai.provider` names a
 * provider. Both at once is refused rather than one silently winning: an operator who added
 * `ai` to a route with `upstream` must see that its traffic no longer reaches that upstream.
 */
const AI_ROUTE_REFUSED_KEYS: readonly [string, string][] = [
  ["credential", "an AI route sends each provider's own key: write api_key: vault:<provider> on the provider"],
  ["timeout", "an AI route waits for providers as ai_gateway.request_timeout and providers[].timeout say"],
  ["cache", "the response cache does not serve AI routes (ai_gateway.cache is to come)"],
];

function aiRouteIssues(route: Loose, providers: ReadonlySet<string>, aiGateway: Loose | undefined): { path: string[]; message: string }[] {
  const ai = route.ai as Loose | boolean | undefined;
  const on = ai !== undefined && ai !== false;
  if (!on)
    return route.upstream === undefined
      ? [{ path: ["upstream"], message: "a route needs upstream (or ai, to go through the AI gateway)" }]
      : [];
  const issues: { path: string[]; message: string }[] = [];
  if (route.upstream !== undefined) {
    issues.push({ path: ["upstream"], message: "a route with ai forwards to the AI gateway's providers, not to an upstream: keep one" });
  }
  // Keys of upstream routes the AI gateway does not read: refused rather than silently without effect.
  for (const [key, message] of AI_ROUTE_REFUSED_KEYS) {
    if (route[key] !== undefined && route[key] !== false) issues.push({ path: [key], message });
  }
  const pinned = typeof ai === "object" && ai !== null ? ai.provider : undefined;
  if (typeof pinned === "string" && !providers.has(pinned)) {
    issues.push({ path: ["ai", "provider"], message: `provider "${pinned}" is not defined in ai_gateway.providers` });
  } else if (pinned === undefined && providers.size === 0 && aiGateway?.enabled !== false) {
    issues.push({ path: ["ai"], message: "ai_gateway.providers is empty: this route would have nowhere to go" });
  }
  return issues;
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
  checkUnique(ctx, list(config.plugins), "name", "plugins");
  const validation = (config.middleware as Loose | undefined)?.request_validation as Loose | undefined;
  const allowed = Array.isArray(validation?.allowed_methods) ? new Set(validation.allowed_methods) : undefined;
  const matchKeys = new Map<string, string>();
  const aiGateway = config.ai_gateway as Loose | undefined;
  const providerNames = checkUnique(ctx, list(aiGateway?.providers), "name", "ai_gateway", "providers");
  routes.forEach((route, index) => {
    aiRouteIssues(route, providerNames, aiGateway).forEach(({ path, message }) =>
      ctx.addIssue({ code: "custom", path: ["routes", index, ...path], message }),
    );
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
          message: `upstream "${String(route.upstream)}" has the plain-http endpoint ${plain}: a vault credential would cross the network in clear; use https (plain http is allowed only to a loopback host; an endpoint with \${VAR} references must begin with https://)`,
        });
      }
    }
    refuseVariablesInMatching(ctx, route, index);
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
    // Routes that differ only in their conditions are told apart by them; priority does not.
    const key = `${String(route.host ?? "*").toLowerCase()} ${matchedPattern(String(route.path))} ${[...methods].sort().join(",")} ${conditionsKey(route)}`;
    const twin = matchKeys.get(key);
    if (twin !== undefined) {
      ctx.addIssue({
        code: "custom",
        path: ["routes", index, "path"],
        message: `same host, path, methods, headers and query_params as route "${twin}"; one of them could never match`,
      });
    } else matchKeys.set(key, String(route.id));
  });
  // Two dialects, one thing: Loom's top-level `cors` and the policy's `middleware.cors` both state
  // the CORS policy of every route without its own. A route's `cors` replaces either (README).
  if (config.cors !== undefined && (config.middleware as Loose | undefined)?.cors !== undefined) {
    ctx.addIssue({
      code: "custom",
      path: ["cors"],
      message: "cors and middleware.cors both set the CORS policy of every route without its own: keep one of them",
    });
  }
  upstreams.forEach((upstream, index) => {
    const hashed = upstream.load_balancer === "consistent_hash";
    if (hashed !== (upstream.consistent_hash !== undefined)) {
      ctx.addIssue({
        code: "custom",
        path: ["upstreams", index, "consistent_hash"],
        message: hashed
          ? "load_balancer consistent_hash needs consistent_hash { hash_key }"
          : `is used only with load_balancer consistent_hash, not ${String(upstream.load_balancer)}`,
      });
    }
  });
  refuseVariablesElsewhere(ctx, config);
  for (const issue of pluginIssues(config, routes)) ctx.addIssue({ code: "custom", ...issue });
  const overrides = (config.rate_limit as Loose | undefined)?.routes;
  for (const routeId of Object.keys(overrides && typeof overrides === "object" ? overrides : {})) {
    if (!routeIds.has(routeId)) {
      ctx.addIssue({ code: "custom", path: ["rate_limit", "routes", routeId], message: `route "${routeId}" is not defined in routes` });
    }
  }
}

export const configSchema = configObject
  .superRefine((config, ctx) => crossReferences(config as unknown as Loose, ctx), { when: () => true })
  .transform((config) => resolvePlugins(config))
  .describe("Loom Edge gateway configuration (the Loom gateway YAML).");

/** What the operator writes (sizes and durations as strings, `${VAR}` references). */
export type ConfigInput = z.input<typeof configSchema>;
/** What the compiler reads (defaults applied, sizes in bytes, durations in milliseconds). */
export type Config = z.output<typeof configSchema>;
export type RouteConfig = z.output<typeof routeSchema>;
export type UpstreamConfig = z.output<typeof upstreamSchema>;
