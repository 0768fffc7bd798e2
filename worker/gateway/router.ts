/**
 * Route matching on host, path and method, compiled once per config version.
 *
 * Patterns
 * - host: absent (any host), `api.example.com` (exact, case-insensitive), or `*.example.com`
 *   (any subdomain at any depth, not `example.com` itself). The request's port and a trailing
 *   dot are ignored.
 * - path: literal segments (case-sensitive, compared in the normal form of normalize.ts), `:name`
 *   (one non-empty segment, decoded into `params.name`) and a final `*` (the rest of the path,
 *   possibly empty: `/api/*` matches `/api`, `/api/` and `/api/x/y`, but not `/apix`).
 *   A trailing slash is significant: `/users` does not match `/users/`.
 * - methods: absent means every method; a list that has GET also admits HEAD (RFC 9110 §9.3.2).
 *
 * Precedence: the most specific route wins, decided in this order:
 *   1. host: exact host > wildcard host (longer suffix first) > any host;
 *   2. path, segment by segment from the left: literal > `:param` > pattern end > `*`
 *      (so `/api/v1/*` beats `/api/*`, `/users/me` beats `/users/:id`, `/api` beats `/api/*`);
 *   3. a route that lists its methods > one that admits every method;
 *   4. config order.
 * The method is part of the match: a request goes to the most specific route that matches its
 * host and path AND admits its method. Only when routes match the host and path but none admits
 * the method is the answer 405, with `Allow` listing the methods those routes admit
 * (RFC 9110 §15.5.6).
 *
 * Speed: routes are grouped by host (exact map, wildcard suffix map, any-host list) and sorted
 * by precedence at compile time; a request splits its path once and compares strings, no
 * regular expressions.
 */
import type { MiddlewareHandler } from "hono";
import { HTTP_METHODS, type RouteConfig } from "../config/schema";
import type { AppEnv } from "../env";
import { requestedMethod } from "../policies/cors";
import { gatewayError } from "./errors";
import { normalizePath } from "./normalize";
import { targetOf } from "./request-target";

export interface MatchedRoute {
  id: string;
  config: RouteConfig;
  /** `:name` segments of the pattern, percent-decoded. */
  params: Record<string, string>;
  /** The normalised request path. */
  path: string;
  /** The path to forward: `path`, or with `strip_prefix` the part matched by `*` (always starts with `/`). */
  forwardPath: string;
}

export type RouteResult = { route: MatchedRoute } | { allow: string[] };

export interface Router {
  /** `host` may carry a port; `path` must be normalised (normalizePath). */
  match(host: string, path: string, method: string): RouteResult | undefined;
}

type Segment = { param: false; value: string } | { param: true; name: string };

interface CompiledRoute {
  config: RouteConfig;
  segments: Segment[];
  wildcard: boolean;
  /** Undefined when every method is admitted. */
  methods: ReadonlySet<string> | undefined;
  order: number;
}

export function compileRouter(routes: RouteConfig[]): Router {
  const exactHosts = new Map<string, CompiledRoute[]>();
  const wildcardHosts = new Map<string, CompiledRoute[]>();
  const anyHost: CompiledRoute[] = [];
  routes.forEach((config, order) => {
    const route = compileRoute(config, order);
    const host = config.host?.toLowerCase();
    if (host === undefined) anyHost.push(route);
    else if (host.startsWith("*.")) push(wildcardHosts, host.slice(2), route);
    else push(exactHosts, host, route);
  });
  for (const list of [anyHost, ...exactHosts.values(), ...wildcardHosts.values()]) list.sort(byPrecedence);

  /** The route lists that apply to a host, most specific host first. */
  function candidates(host: string): CompiledRoute[][] {
    const lists: CompiledRoute[][] = [];
    const exact = exactHosts.get(host);
    if (exact) lists.push(exact);
    if (wildcardHosts.size > 0) {
      for (let dot = host.indexOf("."); dot !== -1; dot = host.indexOf(".", dot + 1)) {
        const list = wildcardHosts.get(host.slice(dot + 1));
        if (list) lists.push(list);
      }
    }
    lists.push(anyHost);
    return lists;
  }

  return {
    match(rawHost, path, method) {
      const segments = path.slice(1).split("/");
      let allowed: Set<string> | undefined;
      for (const list of candidates(hostName(rawHost))) {
        for (const route of list) {
          const params = matchPath(route, segments);
          if (!params) continue;
          if (!route.methods || route.methods.has(method)) {
            return { route: matched(route, params, path, segments) };
          }
          allowed ??= new Set();
          for (const allowedMethod of route.methods) allowed.add(allowedMethod);
        }
      }
      return allowed ? { allow: HTTP_METHODS.filter((m) => allowed.has(m)) } : undefined;
    },
  };
}

/**
 * Route matching middleware: normalises the raw path (400 `bad_path` on an ambiguous
 * encoding) unless the app already did (`c.var.normalPath`), matches it (404 `no_route`, 405
 * `method_not_allowed` with `Allow`) and sets `c.var.route`.
 */
export const routeMatch = (router: Router): MiddlewareHandler<AppEnv> =>
  async function routeMatch(c, next) {
    const target = targetOf(c);
    let path = c.get("normalPath");
    if (path === undefined) {
      const normal = normalizePath(target.path);
      if (!normal.ok) throw gatewayError(400, "bad_path", `The request path is ambiguous: ${normal.reason}.`);
      path = normal.path;
    }
    const method = requestedMethod(c.req.raw);
    const result = router.match(target.authority, path, method);
    if (!result) throw gatewayError(404, "no_route", "No route matches this request.");
    if ("allow" in result) {
      throw gatewayError(405, "method_not_allowed", `${method} is not allowed here.`, {
        headers: { Allow: result.allow.join(", ") },
        extra: { allow: result.allow },
      });
    }
    c.set("route", result.route);
    await next();
  };

function compileRoute(config: RouteConfig, order: number): CompiledRoute {
  // Literal segments are compared in the same normal form as request paths (`%c3%a9` → `%C3%A9`).
  const normal = normalizePath(config.path);
  if (!normal.ok) throw new Error(`route ${config.id}: path ${config.path} is not normalisable: ${normal.reason}`);
  const parts = normal.path.slice(1).split("/");
  const wildcard = parts[parts.length - 1] === "*";
  if (wildcard) parts.pop();
  const segments = parts.map((part): Segment => (part.startsWith(":") ? { param: true, name: part.slice(1) } : { param: false, value: part }));
  let methods: Set<string> | undefined;
  if (config.methods) {
    methods = new Set(config.methods);
    if (methods.has("GET")) methods.add("HEAD");
  }
  return { config, segments, wildcard, methods, order };
}

function push(map: Map<string, CompiledRoute[]>, key: string, route: CompiledRoute): void {
  const list = map.get(key);
  if (list) list.push(route);
  else map.set(key, [route]);
}

/** Lower case, without port or trailing dot; IPv6 literals keep their brackets. */
function hostName(host: string): string {
  const portStart = host.startsWith("[") ? host.indexOf("]") + 1 : host.indexOf(":");
  const name = (portStart > 0 ? host.slice(0, portStart) : host).toLowerCase();
  return name.endsWith(".") ? name.slice(0, -1) : name;
}

/** The path parameters when the path matches, else undefined. */
function matchPath(route: CompiledRoute, path: string[]): Record<string, string> | undefined {
  const { segments } = route;
  if (route.wildcard ? path.length < segments.length : path.length !== segments.length) return undefined;
  let params: Record<string, string> | undefined;
  for (let i = 0; i < segments.length; i++) {
    const segment = segments[i]!;
    const value = path[i]!;
    if (!segment.param) {
      if (segment.value !== value) return undefined;
    } else if (value === "") {
      return undefined;
    } else {
      params ??= {};
      params[segment.name] = decodeURIComponent(value);
    }
  }
  return params ?? {};
}

function matched(route: CompiledRoute, params: Record<string, string>, path: string, segments: string[]): MatchedRoute {
  let forwardPath = path;
  if (route.config.strip_prefix) {
    // Without `*` the whole pattern is the prefix, and the upstream gets `/`.
    forwardPath = `/${segments.slice(route.segments.length).join("/")}`;
  }
  return { id: route.config.id, config: route.config, params, path, forwardPath };
}

/** Sort order of routes that share a host class: more specific first (see the top of the file). */
function byPrecedence(a: CompiledRoute, b: CompiledRoute): number {
  const length = Math.max(a.segments.length, b.segments.length);
  for (let i = 0; i <= length; i++) {
    const difference = segmentRank(b, i) - segmentRank(a, i);
    if (difference !== 0) return difference;
  }
  const listsMethods = Number(b.methods !== undefined) - Number(a.methods !== undefined);
  return listsMethods !== 0 ? listsMethods : a.order - b.order;
}

/** literal 3 > param 2 > end of pattern 1 > wildcard 0; past both ends -1. */
function segmentRank(route: CompiledRoute, index: number): number {
  const segment = route.segments[index];
  if (segment) return segment.param ? 2 : 3;
  if (index === route.segments.length) return route.wildcard ? 0 : 1;
  return -1;
}
