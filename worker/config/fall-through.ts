/**
 * The fall-through warning. A client chooses which headers and query parameters it sends, so a
 * route's `headers`/`query_params` conditions select a route, never protect one: a request that
 * leaves them unmet goes to whichever other route matches it. When that route has weaker
 * policies, the conditions are a way around the stronger ones, and saving the config says so.
 *
 * Route F is weaker than route R when F lacks one of these that R has:
 * - auth: R's auth (its own, else middleware.auth) requires credentials, F's is `none` or absent;
 * - ip_rules: R has route `ip_rules`, F has none (middleware.ip_rules apply to both alike);
 * - a rate limit override: `rate_limit.routes` has R's id and not F's;
 * - a request-validator: R lists the `request-validator` plugin, F does not.
 * F can catch R's requests when both can match one same request on host, path and method
 * (gateway/route-overlap.ts), unless F's conditions include all of R's (then a request that
 * fails R's fails F's too). Whether F would be outranked there by yet another route is not
 * worked out: the warning errs on the side of speaking.
 */
import { routesOverlap } from "../gateway/route-overlap";
import type { Config, RouteConfig } from "./schema";
import { pluginObjects, wasmOnlyNames } from "./plugin-names";

function hasConditions(route: RouteConfig): boolean {
  return Object.keys(route.headers ?? {}).length > 0 || Object.keys(route.query_params ?? {}).length > 0;
}

/** F's conditions require every one of R's (header names compared case-insensitively). */
function includesConditions(fallback: RouteConfig, route: RouteConfig): boolean {
  const headers = new Map(Object.entries(fallback.headers ?? {}).map(([name, value]) => [name.toLowerCase(), value]));
  return (
    Object.entries(route.headers ?? {}).every(([name, value]) => headers.get(name.toLowerCase()) === value) &&
    Object.entries(route.query_params ?? {}).every(([name, value]) => fallback.query_params?.[name] === value)
  );
}

/** What `fallback` lacks of `route`'s policies (empty when it is not weaker). */
function missingPolicies(config: Config, route: RouteConfig, fallback: RouteConfig): string[] {
  const requiresAuth = (r: RouteConfig) => {
    const auth = r.auth ?? config.middleware.auth;
    return auth !== undefined && auth !== "none";
  };
  const overrides = config.rate_limit?.routes ?? {};
  const validates = (r: RouteConfig) => pluginObjects(r.plugins).some((plugin) => plugin.name === "request-validator");
  return [
    requiresAuth(route) && !requiresAuth(fallback) ? "auth" : undefined,
    route.ip_rules !== undefined && fallback.ip_rules === undefined ? "ip_rules" : undefined,
    Object.hasOwn(overrides, route.id) && !Object.hasOwn(overrides, fallback.id) ? "rate limit override" : undefined,
    validates(route) && !validates(fallback) ? "request-validator" : undefined,
    // A route that answers 503 for a plugin it names must not be side-stepped either.
    ...wasmOnlyNames(route.plugins)
      .filter((name) => !fallback.plugins.includes(name))
      .map((name) => `plugin ${name}`),
  ].filter((name): name is string => name !== undefined);
}

export function fallThroughWarnings(config: Config): string[] {
  const warnings: string[] = [];
  config.routes.forEach((route, r) => {
    if (!hasConditions(route)) return;
    config.routes.forEach((fallback, f) => {
      if (f === r || includesConditions(fallback, route) || !routesOverlap(route, fallback)) return;
      const missing = missingPolicies(config, route, fallback);
      if (missing.length === 0) return;
      warnings.push(
        `routes[${r}] (${route.id}): a request that leaves its headers/query_params condition unmet can reach routes[${f}] (${fallback.id}), which lacks its ${missing.join(", ")}; a client chooses what it sends, so give ${fallback.id} the same policies or make the two not overlap`,
      );
    });
  });
  return warnings;
}
