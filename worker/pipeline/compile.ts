/**
 * Turns a validated config into the immutable object the request path reads: every policy's
 * middleware is built here once per config version (Envoy's "filter config built at load
 * time"), so a request only runs code, never re-reads or re-validates options.
 */
import { Context, type Handler, type MiddlewareHandler } from "hono";
import type { AppEnv, RequestVars } from "../env";
import { chain, passThrough } from "../http/chain";
import { httpError } from "../http/errors";
import { overrideHeaders } from "../gateway/override-headers";
import { resolveUpstreams } from "../gateway/endpoint-variables";
import { healthCheckSpec } from "../gateway/health-check";
import { proxy } from "../gateway/proxy";
import { compileRouter, routeMatch } from "../gateway/router";
import { accessLog } from "../observability/access-log";
import { tracing } from "../observability/tracing";
import {
  auditWanted,
  rateLimitAuditWindow,
  recordAiCheck,
  recordAuthFailure,
  recordGraphqlRefused,
  recordRateLimited,
  recordRouteMatch,
} from "./audit-hooks";
import { lookupConsumerKey } from "../consumers/lookup";
import { compileKey } from "../limits/key-expression";
import { providerHealthObject, providerHealthSpec } from "../policies/ai-gateway/health";
import { aiGatewayStep } from "../policies/ai-gateway/step";
import { authenticate, gatewayCredentials, identityHeaderNames } from "../policies/auth";
import { bodyLimit } from "../policies/body-limit";
import { bulkhead } from "../policies/bulkhead";
import { responseCache } from "../policies/cache";
import { compilePurges, type PurgeMarker } from "../policies/cache/purge";
import { circuitBreaker, type BreakerUpstream } from "../policies/circuit-breaker";
import { cors, corsRouteIds } from "../policies/cors";
import { graphqlGuard } from "../policies/graphql";
import { ipRules } from "../policies/ip-rules";
import { rateLimit } from "../policies/rate-limit";
import { requestValidation } from "../policies/request-checks";
import { requestValidator } from "../policies/body-schema";
import { securityHeaders } from "../policies/security-headers";
import { securityTxt } from "../policies/security-txt";
import { routeListener, tlsPolicy } from "../policies/tls";
import { credentialInjection } from "../vault";
import { EMPTY_CONFIG } from "../config/normal-form";
import type { LoadedConfig } from "../config/resolved-config";
import type { Config, RouteConfig } from "../config/schema";
import type { UnresolvedField } from "../config/variable-fields";
import { findSecretRefs } from "../http/schema-kit/secrets";
import { pluginObjects, wasmOnlyNames } from "../config/plugin-names";
import { cacheRules } from "./cache-rules";

export interface CompiledConfig {
  /** Version of the stored config; 0 before the first `PUT /admin/config`. */
  readonly version: number;
  readonly config: Config;
  /** Outermost, on every response (admin and errors too). */
  readonly accessLog: MiddlewareHandler<AppEnv>;
  readonly securityHeaders: MiddlewareHandler<AppEnv>;
  readonly securityTxt: Handler<AppEnv>;
  /** Everything between the client and the upstream: the steps of `pipelineSteps`, in that order. */
  readonly pipeline: MiddlewareHandler<AppEnv>;
  /** The variables whose values fields other than endpoints hold: an admin view of the config in force masks their values. */
  readonly variables: readonly string[];
  /** Fields whose `${VAR}` references could not be resolved to valid values in this isolate (their scopes answer 503), by config path. */
  readonly unresolvedVariables: readonly UnresolvedField[];
}

/**
 * A policy factory refused its options (an invalid JSON Schema, a header value with CR/LF):
 * the admin API answers 400 with `path`, so such a config is never saved.
 */
export class ConfigCompileError extends Error {
  constructor(
    readonly path: string,
    message: string,
  ) {
    super(message);
    this.name = "ConfigCompileError";
  }
}

/** Runs a policy factory, naming the config path it was built from when it throws. */
function build<T>(path: string, factory: () => T): T {
  try {
    return factory();
  } catch (error) {
    throw new ConfigCompileError(path, error instanceof Error ? error.message : String(error));
  }
}

/** Paths of the documents (uploaded with `PUT /admin/documents/*`) a config references. */
export function documentPaths(config: Config): string[] {
  const paths = new Set<string>();
  for (const route of config.routes) {
    for (const plugin of pluginObjects(route.plugins)) {
      if (typeof plugin.config.schema === "string") paths.add(plugin.config.schema);
    }
  }
  return [...paths];
}

/** A document the config needs but the store does not hold: the route fails closed. */
function missingDocument(path: string): MiddlewareHandler<AppEnv> {
  return async function missingDocument() {
    throw httpError("document_unavailable", `the JSON Schema ${path} this route validates with has not been uploaded`);
  };
}

/** A plugin the route names that the edge cannot run: the route is never served without it. */
function unavailablePlugin(name: string): MiddlewareHandler<AppEnv> {
  return async function unavailablePlugin() {
    throw httpError("plugin_unavailable", `this route runs the WASM plugin ${name}, which Loom Edge cannot run yet`);
  };
}

/**
 * The route's own plugins: request-validators, each at its index in `plugins` for error paths.
 * Built-in names took effect when the config was parsed (config/plugins.ts: jwt-auth as the
 * route's auth, rate-limit as its override); a WASM-only name answers 503 before anything else of the route runs.
 */
function routePluginChain(route: RouteConfig, index: number, documents: ReadonlyMap<string, unknown>): MiddlewareHandler<AppEnv>[] {
  const [wasm] = wasmOnlyNames(route.plugins);
  if (wasm !== undefined) return [unavailablePlugin(wasm)];
  return route.plugins.flatMap((plugin, p) => {
    if (typeof plugin === "string") return [];
    const { schema, methods, max_body_size: maxBodySize } = plugin.config;
    const document = typeof schema === "string" ? documents.get(schema) : schema;
    if (document === undefined) return [missingDocument(schema as string)];
    const path = `routes[${index}].plugins[${p}].config.schema`;
    return [
      build(typeof schema === "string" ? `${path} (document ${schema})` : path, () =>
        requestValidator({ schema: document, methods, maxBodySize }),
      ),
    ];
  });
}

/** Runs the matched route's own plugins (request-validator, …), if it has any. */
function routePlugins(routes: RouteConfig[], documents: ReadonlyMap<string, unknown>): MiddlewareHandler<AppEnv> {
  const chains = new Map<string, MiddlewareHandler<AppEnv>>();
  for (const [index, route] of routes.entries()) {
    const plugins = routePluginChain(route, index, documents);
    if (plugins.length > 0) chains.set(route.id, chain(plugins));
  }
  if (chains.size === 0) return passThrough;
  return function routePlugins(c, next) {
    const plugins = chains.get(c.get("route")!.id);
    return plugins ? plugins(c, next) : next();
  };
}

/**
 * Routes to an upstream with an endpoint whose `${VAR}` references did not resolve are never
 * served (fail closed): after authentication and rate limits, so the answer tells only a caller
 * who may use the route that it is down, and before the circuit, which has nothing to check.
 */
function unresolvedUpstreams(names: ReadonlySet<string>): MiddlewareHandler<AppEnv> {
  return async function unresolvedUpstreams(c, next) {
    if (names.has(c.get("route")!.config.upstream ?? "")) throw httpError("variable_unavailable");
    return next();
  };
}

/**
 * Routes that need a field whose `${VAR}` references did not resolve to a valid value (one of
 * their own, a plugin entry's they name, or a global block's: `every`) are never served: right
 * after matching, before any of their policies, since one of those lacks its value.
 */
function unresolvedRoutes(every: boolean, ids: ReadonlySet<string>): MiddlewareHandler<AppEnv> {
  return async function unresolvedRoutes(c, next) {
    if (every || ids.has(c.get("route")!.id)) throw httpError("variable_unavailable");
    return next();
  };
}

/**
 * `upstream` with the longest attempt timeout any route gives it: a route's own `timeout`
 * replaces the upstream's, and the circuit's half-open probe must be allowed that long.
 */
export function withLongestRouteTimeout<U extends Pick<Config["upstreams"][number], "name" | "timeout">>(
  upstream: U,
  routes: RouteConfig[],
): U {
  const timeout = Math.max(upstream.timeout, ...routes.map((route) => (route.upstream === upstream.name ? (route.timeout ?? 0) : 0)));
  return { ...upstream, timeout };
}

/** What the `${VAR}` references of a version came to in this isolate. */
interface VariableOutcome {
  /** The upstreams served: every endpoint resolved, no field refused. */
  served: ReturnType<typeof resolveUpstreams<Config["upstreams"][number]>>["served"];
  /** Upstreams whose routes answer 503 variable_unavailable. */
  refused: ReadonlySet<string>;
  unresolved: readonly UnresolvedField[];
  /** Variables whose values logs and spans mask. */
  secretVariables: readonly string[];
}

/**
 * The request pipeline's steps, written once (README, app.ts and the policies' comments point
 * here), in the order of DESIGN.md's data flow: connection and request checks first (cheapest,
 * no route needed), then the route, who may call it (IP rules, CORS before auth because
 * browsers send preflights without credentials, auth), the body, and the proxy.
 */
function pipelineSteps(
  config: Config,
  documents: ReadonlyMap<string, unknown>,
  { served, refused, unresolved, secretVariables }: VariableOutcome,
  purges: readonly PurgeMarker[],
  persistedQueries: ReadonlyMap<string, string>,
): MiddlewareHandler<AppEnv> {
  const { middleware, routes } = config;
  const router = compileRouter(routes);
  const allowedMethods = middleware.request_validation?.allowed_methods;
  const allowSemicolons = middleware.request_validation?.allow_semicolons;
  // One of the two dialects states it (the schema refuses both): the policy's, or Loom's top-level block.
  const globalCors = middleware.cors ?? config.cors;
  const tracingConfig = config.tracing;
  const steps: MiddlewareHandler<AppEnv>[] = [
    // First, so the span covers every refusal of the steps below; not compiled in when off.
    ...(tracingConfig?.enabled ? [build("tracing", () => tracing(tracingConfig, { secretVariables }))] : []),
    tlsPolicy(config.listeners),
    requestValidation(middleware.request_validation),
    routeMatch(router, { corsRoutes: corsRouteIds({ cors: globalCors, routes }), allowedMethods, allowSemicolons }),
    overrideHeaders(routes, { router, allowedMethods, allowSemicolons }),
    ...unresolvedRouteSteps(unresolved),
    ...(auditWanted(config, "route_match") ? [recordRouteMatch] : []),
    routeListener(config.listeners),
    ipRules({ rules: middleware.ip_rules, routes }),
    cors({ cors: globalCors, routes }),
    authenticate({
      auth: middleware.auth,
      routes,
      onFailure: auditWanted(config, "auth_failure") ? recordAuthFailure : undefined,
      lookupKeyHash: lookupConsumerKey,
      failureLimit: config.auth_failure_limit,
    }),
  ];
  const routeAuth = [middleware.auth, ...routes.map((route) => route.auth)];
  const identityHeaders = identityHeaderNames(...routeAuth);
  const rateLimitConfig = config.rate_limit;
  if (rateLimitConfig) {
    steps.push(
      build("rate_limit", () =>
        rateLimit({
          config: rateLimitConfig,
          onLimited: auditWanted(config, "rate_limit") ? recordRateLimited : undefined,
          auditWindowMs: rateLimitAuditWindow,
          identityHeaders,
        }),
      ),
    );
  }
  if (middleware.body_limit) {
    const maxSize = middleware.body_limit.max_size;
    steps.push(build("middleware.body_limit.max_size", () => bodyLimit({ maxSize })));
  }
  const graphql = build("graphql", () =>
    graphqlGuard({
      security: config.graphql?.security,
      persistedQueries,
      routes,
      onRefused: auditWanted(config, "graphql_refused") ? recordGraphqlRefused : undefined,
    }),
  );
  if (graphql) steps.push(graphql);
  steps.push(routePlugins(routes, documents));
  if (refused.size > 0) steps.push(unresolvedUpstreams(refused));
  const credentials = gatewayCredentials(...routeAuth);
  const credentialHeaders = [...credentials.credentialHeaders, ...identityHeaders];
  const checkedProviders = aiProviderChecks(config);
  const circuits = circuitBreaker({
    upstreams: [
      ...served.map((upstream) => ({ ...withLongestRouteTimeout(upstream, routes), health: healthCheckSpec(upstream) })),
      ...checkedProviders,
    ],
  });
  // Where the proxy would run, for the routes with `ai` (the others pass on): after every access
  // check, and before the response cache, which does not serve AI routes.
  const ai = build("ai_gateway", () =>
    aiGatewayStep({
      config: config.ai_gateway,
      routes,
      maxBodySize: middleware.body_limit?.max_size,
      credentialHeaders,
      credentialQueryParams: credentials.credentialQueryParams,
      underscoresInHeaders: middleware.request_validation?.underscores_in_headers,
      onChecked: auditWanted(config, "ai_check") ? recordAiCheck : undefined,
      providerDown: checkedProviders.length > 0 ? (c, provider) => circuits.allDown(c, providerHealthObject(provider)) : undefined,
      // A request without a consumer spends the budget of the rate limit's key (default: its address).
      budgets: {
        anonymousKey: compileKey(rateLimitConfig?.key ?? "${client_ip}", identityHeaders),
        failOpen: rateLimitConfig?.fail_open ?? true,
      },
    }),
  );
  if (ai) steps.push(ai);
  // Everything from the circuit to the upstream: what a cache miss and a background revalidation run.
  const upstreamSteps: MiddlewareHandler<AppEnv>[] = [
    circuits.guard,
    // After the circuit (an open one refuses without taking a slot), before the vault's credential
    // (no plaintext is held while a request queues); it holds a slot until the body has been passed
    // on. A cache hit never gets here, so it takes no slot.
    bulkhead({ upstreams: served }),
  ];
  // Last before the upstream call, so the plaintext exists only for requests that passed every check.
  if (routes.some((route) => route.credential)) upstreamSteps.push(credentialInjection({ routes }));
  upstreamSteps.push(
    proxy(served, {
      ...credentials,
      credentialHeaders,
      injectedHeaders: routes.flatMap((route) => (route.credential ? [route.credential.header] : [])),
      underscoresInHeaders: middleware.request_validation?.underscores_in_headers,
      circuits,
    }),
  );
  // After every access check (IP rules, auth, rate limits, plugins): a hit never skips one.
  const rules = cacheRules(config);
  if (rules.size > 0) {
    steps.push(responseCache({ rules, revalidate: inContextOfItsOwn(chain(upstreamSteps)), purged: compilePurges(purges) }));
  }
  return chain([...steps, ...upstreamSteps]);
}

/**
 * The AI providers with `health_path`, as the circuit breakers take them: health checks only
 * (no circuit), on an object of their own, checked only when a route goes through the gateway.
 */
function aiProviderChecks({ ai_gateway: ai, routes }: Config): BreakerUpstream[] {
  if (!ai?.enabled || !routes.some((route) => route.ai !== undefined)) return [];
  return ai.providers.flatMap((provider) => {
    const health = providerHealthSpec(provider);
    return health ? [{ name: providerHealthObject(provider.name), endpoints: [provider.name], timeout: 0, retries: 0, health }] : [];
  });
}

/**
 * Runs `steps` for `request` in a context of its own that carries the variables of `c` (route,
 * tenant, identity): the cache's background revalidation, which must not touch the response
 * `c` is answering with.
 */
function inContextOfItsOwn(steps: MiddlewareHandler<AppEnv>): (c: Context<AppEnv>, request: Request) => Promise<Response> {
  return async (c, request) => {
    const context = new Context<AppEnv>(request, { env: c.env, executionCtx: c.executionCtx });
    for (const [name, value] of Object.entries(c.var) as [keyof RequestVars, never][]) {
      // The header scan is of the client's request, not this one.
      if (name !== "headerScan") context.set(name, value);
    }
    await steps(context, async () => {});
    return context.res;
  };
}

/** The 503 step of the routes (or all of them) that fields with unresolved references refuse; none when there are none. */
function unresolvedRouteSteps(unresolved: readonly UnresolvedField[]): MiddlewareHandler<AppEnv>[] {
  const scopes = unresolved.flatMap((field) => field.scopes);
  const every = scopes.some((scope) => scope.kind === "global");
  const ids = new Set(scopes.flatMap((scope) => (scope.kind === "route" ? [scope.id] : [])));
  return every || ids.size > 0 ? [unresolvedRoutes(every, ids)] : [];
}

/** What the store gives beside the validated config: the variables' outcome, the cache's purge markers, the GraphQL allow-list. */
export interface CompileInputs extends Partial<Pick<LoadedConfig, "unresolved" | "variables">> {
  purges?: readonly PurgeMarker[];
  /** The GraphQL allow-list of the version: SHA-256 hex of a query → the query. */
  persistedQueries?: ReadonlyMap<string, string>;
}

/**
 * `env` is the isolate's environment, which never changes during its life: `${VAR}` references
 * in endpoints are resolved here, once per config version (endpoint-variables.ts); those of other
 * fields were resolved when the version was loaded (`inputs`, config/resolved-config.ts), and the
 * fields that did not resolve refuse their scopes here.
 */
export function compileConfig(
  version: number,
  config: Config,
  documents: ReadonlyMap<string, unknown>,
  env: Record<string, unknown>,
  inputs: CompileInputs = {},
): CompiledConfig {
  const addresses = resolveUpstreams(config.upstreams, env);
  const unresolved: UnresolvedField[] = [
    ...addresses.unresolved.map(({ path, upstream, message }) => ({
      path,
      message,
      scopes: [{ kind: "upstream" as const, name: upstream }],
    })),
    ...(inputs.unresolved ?? []),
  ];
  const refused = new Set(unresolved.flatMap(({ scopes }) => scopes.flatMap((scope) => (scope.kind === "upstream" ? [scope.name] : []))));
  const served = addresses.served.filter((upstream) => !refused.has(upstream.name));
  // Values of variables may be secrets: the logs and spans mask them as they mask secrets.
  const secretVariables = [...findSecretRefs(config).map((ref) => ref.variable), ...(inputs.variables ?? [])];
  return Object.freeze({
    version,
    config,
    accessLog: accessLog(config.logging?.access_log, { secretVariables }),
    securityHeaders: build("middleware.security_headers", () => securityHeaders(config.middleware.security_headers)),
    securityTxt: securityTxt(config.security_txt),
    pipeline: pipelineSteps(
      config,
      documents,
      { served, refused, unresolved, secretVariables },
      inputs.purges ?? [],
      inputs.persistedQueries ?? new Map(),
    ),
    variables: inputs.variables ?? [],
    unresolvedVariables: unresolved,
  });
}

/** The config in force before anything was saved: no routes, so every request is a 404. */
export function emptyCompiledConfig(): CompiledConfig {
  return compileConfig(0, EMPTY_CONFIG, new Map(), {});
}
