/**
 * Method and URL overrides on the routes that forward them (`routes[].forward_override_headers`).
 * Elsewhere the proxy drops these headers (headers.ts).
 *
 * - Rails, Symfony, Laravel and ASP.NET act on the method an `X-HTTP-Method-Override`,
 *   `X-HTTP-Method` or `X-Method-Override` header names instead of the request's own: each one
 *   present must name a method the route admits (its `methods`, within
 *   `middleware.request_validation.allowed_methods`), else 405 with `Allow` (RFC 9110 §15.5.6).
 * - IIS (URL Rewrite) and Symfony serve the path an `X-Original-URL` or `X-Rewrite-URL` names
 *   instead of the request's: its path, normalised as the request's, must reach the same route
 *   with the request's method, else 400 `override_outside_route`.
 * So an override never widens what the route admits, nor reaches a resource behind another
 * route's policies. Runs right after route matching, like the router's own 405, before any
 * credential is checked.
 */
import type { Context, MiddlewareHandler } from "hono";
import { HTTP_METHODS } from "../http/methods";
import type { RouteTarget } from "./schema";
import type { AppEnv } from "../env";
import { passThrough } from "../http/chain";
import { httpError, methodNotAllowed } from "../http/errors";
import { METHOD_OVERRIDE_HEADERS, URL_OVERRIDE_HEADERS } from "../http/headers";
import { normalizePath } from "../http/normalize";
import type { Router } from "./router";
import { targetOf } from "../http/request-target";

interface Admitted {
  methods: ReadonlySet<string>;
  /** The `Allow` list, in the order of HTTP_METHODS. */
  allow: string[];
}

/** The methods a route admits, or undefined when it admits every method. */
function admittedMethods(route: RouteTarget, allowedMethods: readonly string[] | undefined): Admitted | undefined {
  if (!route.methods && !allowedMethods) return undefined;
  // As the router reads `methods`: a list with GET also admits HEAD (RFC 9110 §9.3.2).
  const ofRoute = route.methods && new Set<string>(route.methods.includes("GET") ? [...route.methods, "HEAD"] : route.methods);
  const allow = HTTP_METHODS.filter((method) => (!ofRoute || ofRoute.has(method)) && (!allowedMethods || allowedMethods.includes(method)));
  return { methods: new Set(allow), allow };
}

/** The path of an overriding URL: `/path?query` or an absolute URL (its path; `/` when it has none). */
function overridePath(value: string): string {
  let path = value;
  const scheme = /^[a-z][a-z0-9+.-]*:\/\//i.exec(value);
  if (scheme) {
    const slash = value.indexOf("/", scheme[0].length);
    path = slash === -1 ? "/" : value.slice(slash);
  }
  return path.split(/[?#]/, 1)[0]!;
}

export interface OverrideHeadersOptions {
  /** The config's router, to tell which route an overriding URL reaches. */
  router: Router;
  allowedMethods?: readonly string[];
  allowSemicolons?: boolean;
}

export const overrideHeaders = (routes: readonly RouteTarget[], options: OverrideHeadersOptions): MiddlewareHandler<AppEnv> => {
  const { router, allowedMethods, allowSemicolons = false } = options;
  /** Routes that forward overrides, and the methods each admits (undefined: every method). */
  const byRoute = new Map<string, Admitted | undefined>();
  for (const route of routes) {
    if (route.forward_override_headers) byRoute.set(route.id, admittedMethods(route, allowedMethods));
  }
  if (byRoute.size === 0) return passThrough;

  /** The route an overriding URL (`/path?query`, or an absolute URL) reaches, if any. */
  function routeOf(c: Context<AppEnv>, value: string): string | undefined {
    const normal = normalizePath(overridePath(value));
    if (!normal.ok || (!allowSemicolons && /;|%3B/.test(normal.path))) return undefined;
    // The upstream reads the overriding URL's query, so that is what query_params conditions see.
    const query = /\?([^#]*)/.exec(value)?.[1] ?? "";
    const result = router.match(targetOf(c).authority, normal.path, c.req.method, allowSemicolons, { headers: c.req.raw.headers, query });
    return result && "route" in result ? result.route.id : undefined;
  }

  return async function overrideHeaders(c, next) {
    const id = c.get("route")!.id;
    if (byRoute.has(id)) {
      const admitted = byRoute.get(id);
      const headers = c.req.raw.headers;
      for (const name of admitted ? METHOD_OVERRIDE_HEADERS : []) {
        const value = headers.get(name);
        // Frameworks upper-case the override (Rack::MethodOverride, Symfony); so is it compared.
        // A repeated header arrives joined with ", " and so names no method: refused.
        if (value !== null && !admitted!.methods.has(value.trim().toUpperCase())) {
          throw methodNotAllowed(
            `the ${name} header names a method this route does not allow; the Allow header lists those that are`,
            admitted!.allow,
          );
        }
      }
      for (const name of URL_OVERRIDE_HEADERS) {
        const value = headers.get(name);
        if (value !== null && routeOf(c, value.trim()) !== id) {
          throw httpError("override_outside_route", `the ${name} header names a path this route does not serve`);
        }
      }
    }
    await next();
  };
};
