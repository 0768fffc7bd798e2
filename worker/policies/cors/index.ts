/**
 * CORS (Fetch standard §3.2), per route: a route's `cors` block replaces `middleware.cors`.
 * Runs after route matching and before authentication: browsers send preflights without
 * credentials.
 *
 * - Preflight (OPTIONS with Origin and Access-Control-Request-Method, on a route this policy
 *   applies to: routeMatch decides and sets `c.var.preflight`): answered here, 204, and never
 *   forwarded. An origin, method or request header the policy does not allow is 403
 *   `cors_forbidden`. A preflight-shaped request on a route without a CORS policy is an
 *   ordinary OPTIONS request, routed and authenticated as such.
 * - Other requests go on; on the way back (errors included) the upstream's own
 *   Access-Control-* headers are replaced by the policy's, and `Vary: Origin` is added so a
 *   cache never serves one origin's answer to another.
 * - Origins match exactly, or as `https://*.example.com`: one or more labels in front of
 *   `.example.com` with the same scheme and port, so neither `evil-example.com` nor
 *   `example.com.evil.com` matches. `null` and malformed origins never match.
 */
import type { MiddlewareHandler } from "hono";
import type { AppEnv } from "../../env";
import { passThrough } from "../../http/chain";
import { httpError, HttpError } from "../../http/errors";
import { ORIGIN_PATTERN } from "../../http/schema-kit/origin";
import type { CorsConfig } from "./schema";

export interface CorsOptions {
  /** `middleware.cors`: for every route without a `cors` block of its own. */
  cors?: CorsConfig;
  /** The routes of the config; only `id` and `cors` are read. */
  routes?: readonly { id: string; cors?: CorsConfig }[];
}

const RESPONSE_HEADERS = [
  "Access-Control-Allow-Origin",
  "Access-Control-Allow-Credentials",
  "Access-Control-Expose-Headers",
  "Access-Control-Allow-Methods",
  "Access-Control-Allow-Headers",
  "Access-Control-Max-Age",
];

interface OriginParts {
  scheme: string;
  host: string;
  port: string;
}

function originParts(origin: string): OriginParts | undefined {
  const match = ORIGIN_PATTERN.exec(origin);
  // A wildcard is config syntax, never part of a real origin.
  if (!match || match[2]) return undefined;
  const [, scheme, , host, port] = match;
  const defaultPort = scheme === "https" ? "443" : "80";
  return { scheme: scheme!, host: host!, port: port === undefined || port === defaultPort ? "" : port };
}

const originKey = (parts: OriginParts): string => `${parts.scheme}://${parts.host}:${parts.port}`;

/** Adds `names` to Vary unless present (or Vary is `*`). */
function varyOn(headers: Headers, names: string[]): void {
  const current = headers.get("Vary");
  if (current?.trim() === "*") return;
  const listed = new Set((current ?? "").split(",").map((name) => name.trim().toLowerCase()));
  const missing = names.filter((name) => !listed.has(name.toLowerCase()));
  if (missing.length > 0) headers.set("Vary", [current, ...missing].filter(Boolean).join(", "));
}

interface CorsPolicy {
  allowOrigin(origin: string | undefined): string | undefined;
  config: CorsConfig;
  methods: ReadonlySet<string>;
  headers: ReadonlySet<string>;
}

function compilePolicy(config: CorsConfig): CorsPolicy | undefined {
  if (!config.enabled) return undefined;
  const any = config.origins.includes("*");
  const exact = new Set<string>();
  /** `https://*.example.com` is kept as host `.example.com`: a match must end with it, dot included. */
  const wildcards: OriginParts[] = [];
  for (const pattern of config.origins) {
    if (pattern === "*") continue;
    const parts = originParts(pattern.replace("://*.", "://"))!;
    if (pattern.includes("://*.")) wildcards.push({ ...parts, host: `.${parts.host}` });
    else exact.add(originKey(parts));
  }
  return {
    config,
    methods: new Set(config.methods),
    headers: new Set(config.headers.map((name) => name.toLowerCase())),
    allowOrigin(origin) {
      if (origin === undefined) return undefined;
      if (any) return "*"; // schema.ts refuses `*` with credentials
      const parts = originParts(origin.toLowerCase());
      if (!parts) return undefined;
      const allowed =
        exact.has(originKey(parts)) ||
        wildcards.some(
          (wildcard) => wildcard.scheme === parts.scheme && wildcard.port === parts.port && parts.host.endsWith(wildcard.host),
        );
      return allowed ? origin : undefined;
    },
  };
}

/** The policy of each route (undefined: none), and the one of routes the options do not list. */
function policies(options: CorsOptions): { fallback: CorsPolicy | undefined; byRoute: Map<string, CorsPolicy | undefined> } {
  const fallback = options.cors ? compilePolicy(options.cors) : undefined;
  return {
    fallback,
    byRoute: new Map((options.routes ?? []).map((route) => [route.id, route.cors ? compilePolicy(route.cors) : fallback])),
  };
}

/** Ids of the routes a CORS policy applies to: only their preflights are answered at the edge (routeMatch). */
export function corsRouteIds(options: CorsOptions): Set<string> {
  const { byRoute } = policies(options);
  return new Set([...byRoute].filter(([, policy]) => policy !== undefined).map(([id]) => id));
}

export const cors = (options: CorsOptions): MiddlewareHandler<AppEnv> => {
  const { fallback, byRoute } = policies(options);
  if (!fallback && ![...byRoute.values()].some(Boolean)) return passThrough;

  /** The policy's headers for an actual (non-preflight) response, replacing the upstream's. */
  function decorate(headers: Headers, policy: CorsPolicy, allowed: string | undefined): void {
    for (const name of RESPONSE_HEADERS) headers.delete(name);
    varyOn(headers, ["Origin"]);
    if (allowed === undefined) return;
    headers.set("Access-Control-Allow-Origin", allowed);
    if (policy.config.credentials) headers.set("Access-Control-Allow-Credentials", "true");
    if (policy.config.expose_headers.length > 0) headers.set("Access-Control-Expose-Headers", policy.config.expose_headers.join(", "));
  }

  function preflight(request: Request, policy: CorsPolicy): Response {
    const vary = ["Origin", "Access-Control-Request-Method", "Access-Control-Request-Headers"];
    const allowed = policy.allowOrigin(request.headers.get("Origin") ?? undefined);
    const method = request.headers.get("Access-Control-Request-Method") ?? "";
    const requested = (request.headers.get("Access-Control-Request-Headers") ?? "")
      .split(",")
      .map((name) => name.trim().toLowerCase())
      .filter(Boolean);
    if (allowed === undefined || !policy.methods.has(method) || !requested.every((name) => policy.headers.has(name))) {
      throw httpError("cors_forbidden", "this cross-origin request is not allowed", { headers: { Vary: vary.join(", ") } });
    }
    const headers = new Headers({
      "Access-Control-Allow-Origin": allowed,
      "Access-Control-Allow-Methods": policy.config.methods.join(", "),
      "Access-Control-Max-Age": String(Math.floor(policy.config.max_age / 1000)),
      Vary: vary.join(", "),
    });
    if (policy.config.headers.length > 0) headers.set("Access-Control-Allow-Headers", policy.config.headers.join(", "));
    if (policy.config.credentials) headers.set("Access-Control-Allow-Credentials", "true");
    return new Response(null, { status: 204, headers });
  }

  return async function cors(c, next) {
    const routeId = c.get("route")?.id;
    const policy = routeId !== undefined && byRoute.has(routeId) ? byRoute.get(routeId) : fallback;
    if (!policy) return next();
    if (c.get("preflight")) return preflight(c.req.raw, policy);
    const allowed = policy.allowOrigin(c.req.header("Origin"));
    try {
      await next();
    } catch (error) {
      // Errors thrown further in (401, 413, …) carry their response; scripts of an allowed origin may read it.
      if (error instanceof HttpError) decorate(error.headers, policy, allowed);
      throw error;
    }
    decorate(c.res.headers, policy, allowed);
  };
};
