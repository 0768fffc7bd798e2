/**
 * Loom's plugins at the edge. A route names plugins as a list (Loom's form: `plugins: [jwt-auth]`)
 * or as `{ name, config }` objects (the `request-validator`). A name resolves to a top-level
 * `plugins[]` entry or to a built-in policy:
 *
 * - `jwt-auth`: the route's authentication, a jwt scheme built from the top-level entry's `config`
 *   (`jwks_url` → `jwks_uri`, the other keys as the jwt scheme names them). Refused beside the
 *   route's own `auth`: two statements of who may call the route, neither obviously the winner.
 * - `rate-limit`: the route's override on the rate-limit Durable Objects (`rate_limit.routes`),
 *   from `requests_per_second`, `burst`. Refused beside `rate_limit.routes.<id>`, and without an
 *   enabled `rate_limit` block (the limiter would not run: the route must not lose its limit).
 * - `request-logger`: the access log, which records every request of every route already.
 *
 * Loom's reference config defines these three as WASM files; the edge serves them with the built-in
 * (its `path` is warned as unused). Any other entry is a WASM plugin the edge cannot run: every
 * route naming it answers 503 `plugin_unavailable`, never served without it (fail closed).
 */
import { z } from "zod";
import { duration, identifier, size } from "../http/schema-kit/fields";
import { rateSchema } from "../http/schema-kit/rate";
import { jwtAuthSchema } from "../policies/auth/schema";
import { CONFIGURED_BUILT_INS } from "./variable-fields";

const MIB = 1024 * 1024;

export const wasmPluginSchema = z.strictObject({
  name: identifier.describe(
    'The name routes give in `plugins`. jwt-auth, rate-limit, request-logger and request-validator are served by the built-ins (README "Plugins").',
  ),
  path: z.string().optional().describe("A `.wasm` file. Never loaded at the edge (no file system); warned."),
  phase: z
    .enum(["on_request_headers", "on_request_body", "on_response_headers", "on_response_body", "on_log"])
    .default("on_request_headers")
    .describe("When Loom runs the plugin. Default on_request_headers. Accepted; a WASM plugin does not run at the edge."),
  priority: z.number().int().min(-1_000_000).max(1_000_000).default(0).describe("Higher runs first on requests. Default 0."),
  config: z
    .record(z.string(), z.unknown())
    .optional()
    .describe("The plugin's settings. For jwt-auth and rate-limit, translated into the built-in's (README \"Plugins\")."),
  memory_limit: size
    .refine((bytes) => bytes >= 1 && bytes <= 4096 * MIB, "must be between 1B and 4GB")
    .default(16 * MIB)
    .describe("Memory of the WASM instance. Default 16MB, 1B-4GB. Accepted; a WASM plugin does not run at the edge."),
  timeout: duration
    .refine((ms) => ms >= 1 && ms <= 60_000, "must be between 1ms and 60s")
    .default(100)
    .describe("Time limit of one call. Default 100ms, 1ms-60s. Accepted; a WASM plugin does not run at the edge."),
  capabilities: z
    .strictObject({
      allow_http: z.boolean().default(false).describe("Loom: may the plugin make HTTP calls. Default false."),
      allow_filesystem: z.boolean().default(false).describe("Loom: may the plugin read files. Default false."),
    })
    .optional()
    .describe("What Loom lets the WASM instance do. Accepted; a WASM plugin does not run at the edge."),
});

/** A route's plugin given by name only (Loom's list form). */
export const pluginName = identifier.describe(
  "A top-level plugins[] entry or a built-in: jwt-auth, rate-limit, request-logger. A WASM-only entry answers 503 plugin_unavailable.",
);

type Loose = Record<string, unknown>;
type Issue = { path: (string | number)[]; message: string };

/** Loom's jwt-auth plugin config as the jwt scheme reads it. */
function jwtSchemeInput(config: Loose): Loose {
  const { jwks_url: jwksUrl, ...rest } = config;
  return { type: "jwt", ...rest, ...(jwksUrl !== undefined ? { jwks_uri: jwksUrl } : {}) };
}

/** The entry's config translated and validated; issues carry the config's own key names. */
function translated(entry: Loose): { ok: true; value: unknown } | { ok: false; issues: Issue[] } {
  const config = (entry.config ?? {}) as Loose;
  const parsed = entry.name === "jwt-auth" ? jwtAuthSchema.safeParse(jwtSchemeInput(config)) : rateSchema.safeParse(config);
  if (parsed.success) return { ok: true, value: parsed.data };
  return {
    ok: false,
    issues: parsed.error.issues.map((issue) => ({
      path: issue.path.map((key) => (key === "jwks_uri" ? "jwks_url" : (key as string | number))),
      message: issue.message,
    })),
  };
}

/** Problems with routes' plugin names, and the translated built-ins' configs, by path. */
export function pluginIssues(config: Loose, routes: Loose[]): Issue[] {
  const entries = Array.isArray(config.plugins) ? (config.plugins as Loose[]) : [];
  const issues: Issue[] = [];
  entries.forEach((entry, index) => {
    if (!CONFIGURED_BUILT_INS.includes(entry?.name)) return;
    const result = translated(entry);
    if (!result.ok) issues.push(...result.issues.map((issue) => ({ ...issue, path: ["plugins", index, "config", ...issue.path] })));
  });
  const defined = new Set(entries.map((entry) => entry?.name));
  // Parsed, the block always carries `enabled` (its dialect's default applied); a block that did
  // not parse is refused with issues of its own.
  const rateLimit = config.rate_limit as Loose | undefined;
  const overrides = (rateLimit?.routes ?? {}) as Loose;
  routes.forEach((route, r) => {
    const names = Array.isArray(route.plugins) ? route.plugins : [];
    names.forEach((name, p) => {
      if (typeof name !== "string") return;
      const at = ["routes", r, "plugins", p];
      if (name === "request-validator") {
        issues.push({
          path: at,
          message: "request-validator needs its config: write it as { name: request-validator, config: { schema } }",
        });
      } else if ((name === "jwt-auth" || name === "rate-limit") && !defined.has(name)) {
        issues.push({ path: at, message: `${name} needs a top-level plugins entry named ${name} whose config gives its settings` });
      } else if (!defined.has(name) && name !== "request-logger") {
        issues.push({
          path: at,
          message: `plugin "${name}" is neither defined in plugins nor a built-in (jwt-auth, rate-limit, request-logger)`,
        });
      } else if (name === "jwt-auth" && route.auth !== undefined) {
        issues.push({
          path: at,
          message: `jwt-auth and routes[${r}].auth both state this route's authentication; keep one of them`,
        });
      } else if (name === "rate-limit" && typeof route.id === "string" && Object.hasOwn(overrides, route.id)) {
        issues.push({ path: at, message: `rate-limit and rate_limit.routes.${route.id} both set this route's limit; keep one of them` });
      } else if (name === "rate-limit" && (rateLimit === undefined || rateLimit.enabled === false)) {
        issues.push({
          path: at,
          message: "rate-limit is a route override on the rate_limit block's counters: it needs a rate_limit block that is enabled",
        });
      }
    });
  });
  return issues;
}

/** What the routes' plugin names resolve to, for `resolvePlugins` (valid configs only). */
interface PluginConfigs {
  jwt?: z.output<typeof jwtAuthSchema>;
  rate?: z.output<typeof rateSchema>;
}

function builtInConfigs(entries: Loose[]): PluginConfigs {
  const configs: PluginConfigs = {};
  for (const entry of entries) {
    if (entry.name !== "jwt-auth" && entry.name !== "rate-limit") continue;
    const result = translated(entry);
    if (!result.ok) continue;
    if (entry.name === "jwt-auth") configs.jwt = result.value as PluginConfigs["jwt"];
    if (entry.name === "rate-limit") configs.rate = result.value as PluginConfigs["rate"];
  }
  return configs;
}

/** What resolvePlugins reads of the parsed config (config/schema.ts's output; it imports this module). */
interface Resolvable {
  routes: { id: string; plugins: readonly unknown[]; auth?: unknown }[];
  plugins: Loose[];
  rate_limit?: { routes: Record<string, z.output<typeof rateSchema>> };
}

/**
 * Gives the built-ins their effect: jwt-auth → the route's `auth`, rate-limit → its
 * `rate_limit.routes` override. request-logger needs nothing (the access log); other names stay
 * in `plugins` for the pipeline to answer 503 (`wasmOnlyNames`). Runs on valid configs only.
 */
export function resolvePlugins<C extends Resolvable>(config: C): C {
  const builtIns = builtInConfigs(config.plugins);
  const rateLimit = config.rate_limit && { ...config.rate_limit, routes: { ...config.rate_limit.routes } };
  const routes = config.routes.map((route) => {
    if (rateLimit && route.plugins.includes("rate-limit") && builtIns.rate) rateLimit.routes[route.id] = builtIns.rate;
    return route.plugins.includes("jwt-auth") && builtIns.jwt ? { ...route, auth: builtIns.jwt } : route;
  });
  // The translated jwt block is one of the shapes a route's `auth` takes, so C's types hold.
  return { ...config, routes, rate_limit: rateLimit } as C;
}
