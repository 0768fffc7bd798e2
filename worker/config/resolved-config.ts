/**
 * A document with `${VAR}` references outside endpoints and secret fields (variable-fields.ts),
 * resolved with an environment and validated by the one config schema, so that every field's own
 * rule judges the value ("validated once resolved"). Imported on first use: it loads zod, which
 * the request path needs only for a version with such references (README "What a cold isolate loads").
 *
 * The admin API resolves with its own environment when a config is saved: a value that makes a
 * field invalid is refused (400, by path), an unset variable is a warning. An isolate resolves
 * with its environment once per config version and fails closed in the narrowest scope that
 * cannot run without the field: a route's field refuses that route, an upstream's the routes to
 * it, a jwt-auth or rate-limit plugin entry's the routes naming it, any other block every route
 * (503 `variable_unavailable`). What it compiles is the document "degraded": each refused route
 * and upstream reduced to what matching and naming need, each failing global block removed, so no
 * policy ever runs with a missing value or with the reference's text.
 */
import type { z } from "zod";
import { formatPath } from "../http/schema-kit/paths";
import { configSchema, type Config } from "./schema";
import {
  maskValues,
  MATCHING_FIELDS,
  substituteVariables,
  valueAt,
  withValueAt,
  type SubstitutedDocument,
  type UnresolvedField,
  type VariableScope,
} from "./variable-fields";

type Loose = Record<string, unknown>;
type Parsed = ReturnType<typeof configSchema.safeParse>;

/** Blocks the edge accepts without enforcing: a field of theirs that cannot be resolved refuses no request. */
const NOT_ENFORCED: readonly unknown[] = ["metrics"];
/** Read outside the pipeline (the admin API, the audit jobs); they hold no references, and are never removed. */
const NEVER_REMOVED: readonly unknown[] = ["admin", "audit"];

/** What a route keeps when it is refused: what matching and the other blocks' references need (an AI route's `ai` as `true`). */
const SKELETON_ROUTE_KEYS: readonly string[] = ["id", "upstream", "priority", ...(MATCHING_FIELDS as string[])];

function skeletonRoute(route: Loose): Loose {
  const skeleton = Object.fromEntries(Object.entries(route).filter(([name]) => SKELETON_ROUTE_KEYS.includes(name)));
  return route.ai !== undefined && route.ai !== false ? { ...skeleton, ai: true } : skeleton;
}

const isUnder = (path: readonly PropertyKey[], prefix: readonly PropertyKey[]) => prefix.every((key, index) => path[index] === key);

function scalar(text: string): number | boolean | undefined {
  if (text === "true" || text === "false") return text === "true";
  return /^-?\d+(\.\d+)?$/.test(text) ? Number(text) : undefined;
}

/**
 * Parses the substituted document. Where the schema refused the string of a field that is one
 * whole reference, its value is read as YAML reads an unquoted scalar (`8080`, `true`) and the
 * document parsed again: `timeout: "${TIMEOUT}"` may name a number, `issuer: "${ISSUER}"` stays a string.
 */
function parseResolved(substituted: SubstitutedDocument): { document: Loose; parsed: Parsed } {
  let document = substituted.document;
  const parsed = configSchema.safeParse(document);
  if (parsed.success) return { document, parsed };
  // Only where the field wanted a number or a boolean: a duration or a size given as digits stays text.
  const refused = new Set(
    parsed.error.issues
      .filter((issue) => issue.code === "invalid_type" && (issue.expected === "number" || issue.expected === "boolean"))
      .map((issue) => formatPath(issue.path)),
  );
  let coerced = false;
  for (const reference of substituted.resolved) {
    if (!reference.whole || !refused.has(formatPath(reference.path))) continue;
    const value = scalar(valueAt(document, reference.path) as string);
    if (value === undefined) continue;
    document = withValueAt(document, reference.path, value);
    coerced = true;
  }
  return { document, parsed: coerced ? configSchema.safeParse(document) : parsed };
}

/** The routes naming a top-level plugin entry. */
function routesNaming(document: Loose, name: unknown): VariableScope[] {
  const routes = Array.isArray(document.routes) ? (document.routes as Loose[]) : [];
  return routes.filter((route) => Array.isArray(route?.plugins) && route.plugins.includes(name)).map((route) => routeScope(route));
}

const routeScope = (route: Loose | undefined): VariableScope => ({ kind: "route", id: String(route?.id) });
const isAiRoute = (route: Loose | undefined): boolean => route?.ai !== undefined && route.ai !== false;
/** A route guarded by the top-level `graphql.security` (one with its own block is not). */
const usesTopLevelGraphql = (route: Loose | undefined): boolean => route?.graphql === true;

/** Who cannot be served without the field at `path`. */
function scopesOf(path: readonly PropertyKey[], document: Loose): VariableScope[] {
  const [block, index, key] = path;
  const item = (list: string) => (document[list] as Loose[] | undefined)?.[index as number];
  if (block === "routes" && typeof index === "number") return [routeScope(item("routes"))];
  if (block === "upstreams" && typeof index === "number") return [{ kind: "upstream", name: String(item("upstreams")?.name) }];
  if (block === "plugins" && typeof index === "number") return routesNaming(document, item("plugins")?.name);
  if (block === "rate_limit" && index === "routes" && typeof key === "string") return [{ kind: "route", id: key }];
  // The AI gateway's providers and checks serve the routes with `ai` only.
  if (block === "ai_gateway") return ((document.routes as Loose[] | undefined) ?? []).filter(isAiRoute).map(routeScope);
  // The top-level GraphQL protections guard the routes with `graphql: true`: never run without them.
  if (block === "graphql") return ((document.routes as Loose[] | undefined) ?? []).filter(usesTopLevelGraphql).map(routeScope);
  if (NOT_ENFORCED.includes(block)) return [];
  return [{ kind: "global" }];
}

/**
 * The document without what cannot be served: refused routes and upstreams reduced to their
 * skeletons, failing plugin entries, rate-limit overrides and global blocks removed. Throws for
 * a field of a block it must never remove (the config then fails closed as a whole).
 */
function degrade(document: Loose, failing: readonly (readonly PropertyKey[])[]): Loose {
  const scopes = failing.flatMap((path) => scopesOf(path, document));
  const global = scopes.some((scope) => scope.kind === "global");
  const routeIds = new Set(scopes.flatMap((scope) => (scope.kind === "route" ? [scope.id] : [])));
  const upstreams = new Set(scopes.flatMap((scope) => (scope.kind === "upstream" ? [scope.name] : [])));
  const result: Loose = { ...document };
  const middleware = { ...(document.middleware as Loose | undefined) };
  const rateLimit = document.rate_limit as Loose | undefined;
  const overrides = { ...(rateLimit?.routes as Loose | undefined) };
  const plugins = new Set<number>();
  for (const path of failing) {
    const [block, index, key] = path;
    if (block === "routes" || block === "upstreams") continue;
    if (block === "plugins" && typeof index === "number") plugins.add(index);
    else if (block === "rate_limit" && index === "routes" && typeof key === "string") delete overrides[key];
    else if (NEVER_REMOVED.includes(block))
      throw new Error(`${formatPath(path)} is not valid, and admin and audit are never served without it`);
    else if (block === "middleware" && typeof index === "string") delete middleware[index];
    // Its routes are refused (scopesOf) and reduced to `ai: true`, which a disabled gateway accepts without providers.
    else if (block === "ai_gateway") result.ai_gateway = { enabled: false };
    else delete result[block as string];
  }
  if (document.middleware !== undefined) result.middleware = middleware;
  if (result.rate_limit !== undefined && rateLimit?.routes !== undefined) result.rate_limit = { ...rateLimit, routes: overrides };
  if (Array.isArray(document.plugins)) result.plugins = document.plugins.filter((_entry, index) => !plugins.has(index));
  if (Array.isArray(document.routes)) {
    result.routes = (document.routes as Loose[]).map((route) => (global || routeIds.has(String(route?.id)) ? skeletonRoute(route) : route));
  }
  if (Array.isArray(document.upstreams)) {
    result.upstreams = (document.upstreams as Loose[]).map((upstream) =>
      upstreams.has(String(upstream?.name)) ? { name: upstream.name, endpoints: upstream.endpoints } : upstream,
    );
  }
  return result;
}

const plural = (names: string[]) => (names.length > 1 ? `variables ${names.join(", ")} are` : `variable ${names[0]} is`);

/** The fields whose variables are unset, naming the variables. */
function unsetFields(substituted: SubstitutedDocument, document: Loose): UnresolvedField[] {
  return substituted.unset.map((reference) => ({
    path: formatPath(reference.path),
    message: `${plural(reference.unset)} not set (wrangler.toml [vars], --var, or wrangler secret put)`,
    scopes: scopesOf(reference.path, document),
  }));
}

/** A schema issue about a document with substituted values, the values masked; named after the variables of its field. */
function issueMessage(issue: z.core.$ZodIssue, substituted: SubstitutedDocument): string {
  // The field's own references, or those inside the block it names (a union of shapes is refused whole).
  const fields = substituted.resolved.filter((reference) => isUnder(issue.path, reference.path) || isUnder(reference.path, issue.path));
  const variables = [...new Set(fields.flatMap((reference) => reference.variables))];
  // The field's own value is masked whatever its length; other values from 4 characters (maskValues).
  const own = fields.map((reference) => String(valueAt(substituted.document, reference.path)));
  const message = own.reduce((text, value) => text.split(value).join("[value]"), maskValues(issue.message, substituted.values));
  return variables.length > 0 ? `with ${variables.join(", ")} resolved, ${message}` : message;
}

export interface SavedResolution {
  ok: true;
  /** The config a request would see with this environment (refused scopes degraded). */
  config: Config;
  /** Fields with unset variables: saved, warned, 503 for their scopes. */
  unset: UnresolvedField[];
  /** The values substituted: masked in the save's warnings. */
  values: string[];
}

/**
 * The admin API's check of a document with value references: the resolved document must be
 * valid except under the fields whose variables are unset (which cannot be checked yet).
 */
export function resolveForSave(
  document: Loose,
  env: Record<string, unknown>,
): SavedResolution | { ok: false; issues: { path: string; message: string }[] } {
  const substituted = substituteVariables(document, env);
  const { document: resolved, parsed } = parseResolved(substituted);
  const unsetPaths = substituted.unset.map((reference) => reference.path);
  const refused = parsed.success ? [] : parsed.error.issues.filter((issue) => !unsetPaths.some((path) => isUnder(issue.path, path)));
  if (refused.length > 0) {
    return { ok: false, issues: refused.map((issue) => ({ path: formatPath(issue.path), message: issueMessage(issue, substituted) })) };
  }
  const degraded = configSchema.safeParse(degrade(resolved, unsetPaths));
  if (!degraded.success) {
    return {
      ok: false,
      issues: degraded.error.issues.map((issue) => ({ path: formatPath(issue.path), message: issueMessage(issue, substituted) })),
    };
  }
  return { ok: true, config: degraded.data, unset: unsetFields(substituted, document), values: substituted.values };
}

/** A version's config as an isolate serves it (normal-form.ts's `storedConfig`). */
export interface LoadedConfig {
  config: Config;
  /** Fields whose `${VAR}` references this isolate could not resolve to valid values, with the scopes that answer 503. */
  unresolved: UnresolvedField[];
  /** Every variable the value references name: their values are masked in logs as secrets' are. */
  variables: string[];
}

/**
 * Resolves and validates a stored document with the isolate's environment (once per config
 * version). Throws when the degraded document is not valid either (a skeleton is valid by
 * construction, so only a schema change could do that) or a field of admin or audit is not: the
 * config cache then keeps its last good config, or fails closed.
 */
export function resolvedConfig(document: Loose, env: Record<string, unknown>): LoadedConfig {
  const substituted = substituteVariables(document, env);
  const variables = [...new Set([...substituted.resolved, ...substituted.unset].flatMap((reference) => reference.variables))];
  const unresolved = unsetFields(substituted, document);
  const failing: (readonly PropertyKey[])[] = substituted.unset.map((reference) => reference.path);
  const { document: resolved, parsed } = parseResolved(substituted);
  if (parsed.success && failing.length === 0) return { config: parsed.data, unresolved, variables };
  for (const issue of parsed.success ? [] : parsed.error.issues) {
    if (failing.some((path) => isUnder(issue.path, path))) continue;
    failing.push(issue.path);
    unresolved.push({ path: formatPath(issue.path), message: issueMessage(issue, substituted), scopes: scopesOf(issue.path, document) });
  }
  const degraded = configSchema.safeParse(degrade(resolved, failing));
  if (!degraded.success) throw new Error("the config cannot be served with this Worker's variables, even with the refused parts removed");
  return { config: degraded.data, unresolved, variables };
}
