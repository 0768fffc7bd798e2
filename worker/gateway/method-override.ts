/**
 * Method overrides on the routes that forward them (`routes[].forward_override_headers`).
 *
 * Rails, Symfony, Laravel and ASP.NET act on the method an `X-HTTP-Method-Override`,
 * `X-HTTP-Method` or `X-Method-Override` header names instead of the request's own. Elsewhere the
 * proxy drops these headers (headers.ts); where a route forwards them, each one present must name
 * a method the route admits (its `methods`, within `middleware.request_validation.allowed_methods`),
 * else 405 with `Allow` (RFC 9110 §15.5.6), so an override never widens what the route admits.
 * Runs right after route matching, like the router's own 405, before any credential is checked.
 */
import type { MiddlewareHandler } from "hono";
import { HTTP_METHODS, type RouteConfig } from "../config/schema";
import type { AppEnv } from "../env";
import { passThrough } from "./chain";
import { gatewayError } from "./errors";
import { METHOD_OVERRIDE_HEADERS } from "./headers";

interface Admitted {
  methods: ReadonlySet<string>;
  /** The `Allow` list, in the order of HTTP_METHODS. */
  allow: string[];
}

/** The methods a route admits, or undefined when it admits every method. */
function admittedMethods(route: RouteConfig, allowedMethods: readonly string[] | undefined): Admitted | undefined {
  if (!route.methods && !allowedMethods) return undefined;
  // As the router reads `methods`: a list with GET also admits HEAD (RFC 9110 §9.3.2).
  const ofRoute = route.methods && new Set<string>(route.methods.includes("GET") ? [...route.methods, "HEAD"] : route.methods);
  const allow = HTTP_METHODS.filter((method) => (!ofRoute || ofRoute.has(method)) && (!allowedMethods || allowedMethods.includes(method)));
  return { methods: new Set(allow), allow };
}

export const methodOverride = (routes: readonly RouteConfig[], allowedMethods?: readonly string[]): MiddlewareHandler<AppEnv> => {
  const byRoute = new Map<string, Admitted>();
  for (const route of routes) {
    const admitted = route.forward_override_headers ? admittedMethods(route, allowedMethods) : undefined;
    if (admitted) byRoute.set(route.id, admitted);
  }
  if (byRoute.size === 0) return passThrough;

  return async function methodOverride(c, next) {
    const admitted = byRoute.get(c.get("route")!.id);
    if (admitted) {
      for (const name of METHOD_OVERRIDE_HEADERS) {
        const value = c.req.raw.headers.get(name);
        // Frameworks upper-case the override (Rack::MethodOverride, Symfony); so is it compared.
        // A repeated header arrives joined with ", " and so names no method: refused.
        if (value !== null && !admitted.methods.has(value.trim().toUpperCase())) {
          throw gatewayError(405, "method_not_allowed", `the ${name} header names a method this route does not allow; the Allow header lists those that are`, {
            headers: { Allow: admitted.allow.join(", ") },
            extra: { allow: admitted.allow },
          });
        }
      }
    }
    await next();
  };
};
