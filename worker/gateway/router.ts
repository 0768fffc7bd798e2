/**
 * Route matching on host, path and method, compiled once per config version.
 *
 * Patterns
 * - host: absent (any host), `api.example.com` (exact, case-insensitive), or `*.example.com`
 *   (any subdomain at any depth, not `example.com` itself). The request's port and a trailing
 *   dot are ignored.
 * - path: literal segments, `:name` (one non-empty segment, decoded into `params.name`) and a
 *   final `*` (the rest of the path, possibly empty: `/api/*` matches `/api`, `/api/` and
 *   `/api/x/y`, but not `/apix`).
 * - methods: absent means every method; a list that has GET also admits HEAD (RFC 9110 §9.3.2).
 * - headers: each named header must be present with exactly this value (names case-insensitive,
 *   RFC 9110 §5.1; the runtime has already removed surrounding whitespace, §5.5). A header sent
 *   twice is one combined value (`1, 1`, RFC 9110 §5.3) and matches no single value.
 * - query_params: each named parameter must be present once with exactly this value, both
 *   compared decoded (application/x-www-form-urlencoded, `+` is a space). A parameter sent more
 *   than once matches nothing: the route would pick one copy and the upstream, which may read the
 *   other (HTTP parameter pollution), would act on a value the route never admitted.
 * A route whose conditions are unmet does not match at all: the request goes on to the next
 * route, so a client that leaves a header out chooses where it goes (config/fall-through.ts warns
 * when that is a route with weaker policies).
 *
 * One route per resource, whatever the spelling. Upstreams commonly read a path more loosely
 * than a byte-exact router: servlet containers drop `;` path parameters (Tomcat, Jetty, Spring),
 * ASP.NET and IIS match case-insensitively, Express ignores a trailing slash. If the gateway
 * matched byte for byte, `/api/ADMIN/users`, `/api/admin;x/users` or `/api/settings/` could reach
 * a protected resource through a less protected route (`/api/*` with `auth: none`). So a request
 * is matched on its loosest reading, which can only pick the route that reading picks:
 * - literal segments are compared case-insensitively (ASCII letters; escapes are upper-case hex
 *   in the normal form of normalize.ts, so they compare equal too);
 * - a trailing slash is not significant: `/x/` is matched as `/x` (a route written `/x/` is `/x`);
 * - `;` path parameters are refused by routeMatch (400, as Spring's StrictHttpFirewall does), or,
 *   with `middleware.request_validation.allow_semicolons`, removed from each segment before
 *   matching.
 * The upstream receives the spelling that was matched: literal segments as the route writes
 * them, `:param` and `*` segments as the client sent them. An exact route forwards its own
 * spelling (so `/api/settings/` reaches the upstream as `/api/settings`); a `*` route keeps a
 * trailing slash the client sent, which matched the same route either way (an upstream that
 * redirects `/docs` to `/docs/` would otherwise loop). With `allow_semicolons` the parameters
 * are forwarded as sent (they are why the switch is on); the route was chosen without them.
 *
 * Precedence: among the routes that match, decided in this order:
 *   0. `priority`: the higher wins (default 0), whatever the host or path;
 *   1. host: exact host > wildcard host (longer suffix first) > any host;
 *   2. path, segment by segment from the left: literal > `:param` > pattern end > `*`
 *      (so `/api/v1/*` beats `/api/*`, `/users/me` beats `/users/:id`, `/api` beats `/api/*`);
 *   3. a route that lists its methods > one that admits every method;
 *   4. more `headers`/`query_params` conditions > fewer (a route without any never shadows one
 *      with conditions, wherever the config lists it);
 *   5. config order.
 * The method is part of the match: a request goes to the most specific route that matches its
 * host and path AND admits its method. Only when routes match the host and path but none admits
 * the method is the answer 405, with `Allow` listing the methods those routes admit
 * (RFC 9110 §15.5.6).
 *
 * CORS preflights (OPTIONS with `Origin` and `Access-Control-Request-Method`) are routed by the
 * method they ask about only where the route that method reaches has a CORS policy, which
 * answers the preflight at the edge (`c.var.preflight`). Everywhere else an OPTIONS request is
 * routed, method-checked and authenticated as OPTIONS: a preflight-shaped request must not slip
 * past `methods` or auth on a route that nothing answers it for.
 *
 * Speed: routes are grouped by host (exact map, wildcard suffix map, any-host list) and sorted
 * by precedence at compile time; a request splits its path once (twice when it has upper-case
 * letters) and compares strings, no regular expressions.
 */
import type { MiddlewareHandler } from "hono";
import type { AppEnv, MatchedRoute } from "../env";
import { HTTP_METHODS } from "../http/methods";
import { httpError, methodNotAllowed } from "../http/errors";
import { normalizePath } from "../http/normalize";
import { preflightMethod } from "../http/preflight";
import { targetOf } from "../http/request-target";
import type { RouteTarget } from "./schema";

export type RouteResult = { route: MatchedRoute } | { allow: string[] };

export interface Router {
  /**
   * `host` may carry a port; `path` must be normalised (normalizePath). With `semicolons`, `;`
   * path parameters are removed from each segment before matching (routeMatch refuses them
   * otherwise).
   */
  match(host: string, path: string, method: string, semicolons?: boolean, conditions?: RequestConditions): RouteResult | undefined;
}

/** What `headers` and `query_params` conditions are read from; without it, conditioned routes never match. */
export interface RequestConditions {
  headers: Headers;
  /** The raw query string as sent (a leading `?` is ignored). */
  query: string;
}

type Segment = { param: false; value: string; folded: string } | { param: true; name: string };

interface CompiledRoute {
  config: RouteTarget;
  segments: Segment[];
  wildcard: boolean;
  /** Undefined when every method is admitted. */
  methods: ReadonlySet<string> | undefined;
  order: number;
  priority: number;
  /** `headers` conditions, names in lower case. */
  headers: [string, string][];
  query: [string, string][];
  /** An exact route's own spelling ends in `/` (`/docs/`): what it forwards. */
  trailingSlash: boolean;
}

/** The request path split for matching: as sent (params, forwarding) and folded (literals). */
interface RequestSegments {
  /** Segments as sent, without a trailing empty segment. */
  sent: string[];
  /** The same without `;` parameters (when allowed): what `:param` values are read from. */
  bare: string[];
  /** `bare` in lower case: what literal segments are compared with. */
  folded: string[];
  trailingSlash: boolean;
}

export function compileRouter(routes: RouteTarget[]): Router {
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
    match(rawHost, path, method, semicolons = false, conditions) {
      const request = requestSegments(path, semicolons);
      const query = lazyQuery(conditions?.query);
      let allowed: Set<string> | undefined;
      let best: { route: CompiledRoute; params: Record<string, string> } | undefined;
      for (const list of candidates(hostName(rawHost))) {
        for (const route of list) {
          // Lists are sorted by priority first: nothing further on can beat the best so far, and
          // a tie goes to the list of the more specific host, which came first.
          if (best && route.priority <= best.route.priority) break;
          const params = matchPath(route, request);
          if (!params || !conditionsMet(route, conditions, query)) continue;
          if (!route.methods || route.methods.has(method)) {
            best = { route, params };
            break;
          }
          allowed ??= new Set();
          for (const allowedMethod of route.methods) allowed.add(allowedMethod);
        }
      }
      if (best) return { route: matched(best.route, best.params, path, request) };
      return allowed ? { allow: HTTP_METHODS.filter((m) => allowed.has(m)) } : undefined;
    },
  };
}

export interface RouteMatchOptions {
  /** Route ids with a CORS policy, which answers their preflights at the edge. */
  corsRoutes?: ReadonlySet<string>;
  /**
   * `middleware.request_validation.allowed_methods`: request validation lets a preflight-shaped
   * OPTIONS through on the method it asks about, so an OPTIONS that turns out not to be a
   * preflight is checked against it here.
   */
  allowedMethods?: readonly string[];
  /** `middleware.request_validation.allow_semicolons`: `;` path parameters matched without them. */
  allowSemicolons?: boolean;
}

/** `;` in a segment, literal or encoded (normal form upper-cases escapes). */
const SEMICOLON = /;|%3B/;

/**
 * Route matching middleware: normalises the raw path (400 `bad_path` on an ambiguous
 * encoding) unless the app already did (`c.var.normalPath`), refuses `;` path parameters unless
 * allowed, matches it (404 `no_route`, 405 `method_not_allowed` with `Allow`) and sets
 * `c.var.route` (and `c.var.preflight` for a preflight a CORS policy answers).
 */
export const routeMatch = (router: Router, options: RouteMatchOptions = {}): MiddlewareHandler<AppEnv> => {
  const corsRoutes = options.corsRoutes ?? new Set<string>();
  const semicolons = options.allowSemicolons ?? false;
  const allowed = options.allowedMethods && new Set(options.allowedMethods);
  return async function routeMatch(c, next) {
    const target = targetOf(c);
    let path = c.get("normalPath");
    if (path === undefined) {
      const normal = normalizePath(target.path);
      if (!normal.ok) throw httpError("bad_path", `The request path is ambiguous: ${normal.reason}.`);
      path = normal.path;
    }
    if (!semicolons && SEMICOLON.test(path)) {
      throw httpError("bad_path", "The request path is ambiguous: a ; path parameter (servlet containers drop them).");
    }
    const host = target.authority;
    const conditions = { headers: c.req.raw.headers, query: target.query };
    let method = c.req.method;
    let result: RouteResult | undefined;
    const asked = corsRoutes.size > 0 ? preflightMethod(c.req.raw) : undefined;
    if (asked !== undefined) {
      const preflight = router.match(host, path, asked, semicolons, conditions);
      if (preflight && "route" in preflight && corsRoutes.has(preflight.route.id)) {
        c.set("preflight", true);
        method = asked;
        result = preflight;
      }
    }
    if (method === "OPTIONS" && allowed && !allowed.has(method)) {
      throw methodNotAllowed(`${method} is not allowed here.`, [...allowed]);
    }
    result ??= router.match(host, path, method, semicolons, conditions);
    if (!result) throw httpError("no_route");
    if ("allow" in result) throw methodNotAllowed(`${method} is not allowed here.`, result.allow);
    c.set("route", result.route);
    await next();
  };
};

function compileRoute(config: RouteTarget, order: number): CompiledRoute {
  // Literal segments are compared in the same normal form as request paths (`%c3%a9` → `%C3%A9`).
  const normal = normalizePath(config.path);
  if (!normal.ok) throw new Error(`route ${config.id}: path ${config.path} is not normalisable: ${normal.reason}`);
  const trailingSlash = normal.path.length > 1 && normal.path.endsWith("/");
  const parts = (trailingSlash ? normal.path.slice(0, -1) : normal.path).slice(1).split("/");
  const wildcard = parts[parts.length - 1] === "*";
  if (wildcard) parts.pop();
  const segments = parts.map((part): Segment =>
    part.startsWith(":") ? { param: true, name: part.slice(1) } : { param: false, value: part, folded: part.toLowerCase() },
  );
  let methods: Set<string> | undefined;
  if (config.methods) {
    methods = new Set(config.methods);
    if (methods.has("GET")) methods.add("HEAD");
  }
  const headers = Object.entries(config.headers ?? {}).map(([name, value]): [string, string] => [name.toLowerCase(), value]);
  const query = Object.entries(config.query_params ?? {});
  return {
    config,
    segments,
    wildcard,
    methods,
    order,
    priority: config.priority,
    headers,
    query,
    trailingSlash: trailingSlash && !wildcard,
  };
}

/** The query's parameters, parsed on first use (most routes have no query condition). */
function lazyQuery(query: string | undefined): () => URLSearchParams {
  let params: URLSearchParams | undefined;
  return () => (params ??= new URLSearchParams(query ?? ""));
}

function conditionsMet(route: CompiledRoute, conditions: RequestConditions | undefined, query: () => URLSearchParams): boolean {
  if (route.headers.length === 0 && route.query.length === 0) return true;
  if (!conditions) return false;
  for (const [name, value] of route.headers) {
    if (conditions.headers.get(name) !== value) return false;
  }
  for (const [name, value] of route.query) {
    const values = query().getAll(name);
    if (values.length !== 1 || values[0] !== value) return false;
  }
  return true;
}

function requestSegments(path: string, semicolons: boolean): RequestSegments {
  const trailingSlash = path.length > 1 && path.endsWith("/");
  const text = trailingSlash ? path.slice(0, -1) : path;
  const sent = text.slice(1).split("/");
  const bare = semicolons && SEMICOLON.test(text) ? sent.map(withoutParameters) : sent;
  const bareText = bare === sent ? text : `/${bare.join("/")}`;
  const lower = bareText.toLowerCase();
  // Most paths are lower case already: one split serves both.
  const folded = lower === bareText ? bare : lower.slice(1).split("/");
  return { sent, bare, folded, trailingSlash };
}

/** A segment without its `;` path parameters (`admin;jsessionid=1` → `admin`). */
function withoutParameters(segment: string): string {
  const match = SEMICOLON.exec(segment);
  return match ? segment.slice(0, match.index) : segment;
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
function matchPath(route: CompiledRoute, request: RequestSegments): Record<string, string> | undefined {
  const { segments } = route;
  const { folded, bare } = request;
  if (route.wildcard ? folded.length < segments.length : folded.length !== segments.length) return undefined;
  let params: Record<string, string> | undefined;
  for (let i = 0; i < segments.length; i++) {
    const segment = segments[i]!;
    if (!segment.param) {
      if (segment.folded !== folded[i]) return undefined;
    } else if (bare[i] === "") {
      return undefined;
    } else {
      params ??= {};
      params[segment.name] = decodeURIComponent(bare[i]!);
    }
  }
  return params ?? {};
}

function matched(route: CompiledRoute, params: Record<string, string>, path: string, request: RequestSegments): MatchedRoute {
  const { sent } = request;
  const count = route.segments.length;
  // `*` keeps what the client sent after the pattern, and its trailing slash.
  const rest = route.wildcard ? sent.slice(count) : [];
  const slash = route.wildcard ? request.trailingSlash : route.trailingSlash;
  let forwardPath: string;
  if (route.config.strip_prefix) {
    // Without `*` the whole pattern is the prefix, and the upstream gets `/`.
    forwardPath = joinPath(rest, slash);
  } else if (slash === request.trailingSlash && route.segments.every((segment, i) => segment.param || segment.value === sent[i])) {
    // Spelled as the route spells it (most requests): the normalised path is the matched spelling.
    forwardPath = path;
  } else {
    const parts = route.segments.map((segment, i) => (segment.param ? sent[i]! : segment.value + parameters(sent[i]!)));
    forwardPath = joinPath([...parts, ...rest], slash);
  }
  return { id: route.config.id, config: route.config, params, path, forwardPath };
}

/** `/a/b` (with `/` appended when `slash`); `/` for no segments or the root's one empty segment. */
function joinPath(segments: string[], slash: boolean): string {
  const path = `/${segments.join("/")}`;
  return slash && path !== "/" ? `${path}/` : path;
}

/** The `;` parameters of a sent segment (empty unless `allow_semicolons` let them through). */
function parameters(segment: string): string {
  const match = SEMICOLON.exec(segment);
  return match ? segment.slice(match.index) : "";
}

/** Sort order of routes that share a host class: higher priority, then more specific first (see the top of the file). */
function byPrecedence(a: CompiledRoute, b: CompiledRoute): number {
  if (a.priority !== b.priority) return b.priority - a.priority;
  const length = Math.max(a.segments.length, b.segments.length);
  for (let i = 0; i <= length; i++) {
    const difference = segmentRank(b, i) - segmentRank(a, i);
    if (difference !== 0) return difference;
  }
  const listsMethods = Number(b.methods !== undefined) - Number(a.methods !== undefined);
  if (listsMethods !== 0) return listsMethods;
  const conditions = b.headers.length + b.query.length - (a.headers.length + a.query.length);
  return conditions !== 0 ? conditions : a.order - b.order;
}

/** literal 3 > param 2 > end of pattern 1 > wildcard 0; past both ends -1. */
function segmentRank(route: CompiledRoute, index: number): number {
  const segment = route.segments[index];
  if (segment) return segment.param ? 2 : 3;
  if (index === route.segments.length) return route.wildcard ? 0 : 1;
  return -1;
}
