/**
 * What a route's `plugins` list holds, read without zod (the request path compiles configs and
 * must not load it): names (Loom's list form) and `{ name, config }` objects.
 */
import type { RouteConfig } from "./schema";

/** Plugin names the edge serves with a built-in policy (README "Plugins"). */
export const BUILT_IN_PLUGINS: readonly string[] = ["jwt-auth", "rate-limit", "request-logger", "request-validator"];

type RoutePlugin = RouteConfig["plugins"][number];

/** The route's plugins written as objects (request-validator). */
export function pluginObjects(plugins: readonly RoutePlugin[]): Exclude<RoutePlugin, string>[] {
  return plugins.filter((plugin): plugin is Exclude<RoutePlugin, string> => typeof plugin !== "string");
}

/** Named plugins no built-in serves (WASM at Loom): a route naming one answers 503 `plugin_unavailable`. */
export function wasmOnlyNames(plugins: readonly RoutePlugin[]): string[] {
  return plugins.filter((plugin): plugin is string => typeof plugin === "string" && !BUILT_IN_PLUGINS.includes(plugin));
}
