/**
 * `${VAR}` references to Worker variables in the config document, outside endpoints and secret
 * fields: where they may stand, and the document with their values, read without zod (the
 * request path decides with it whether a version needs the schema at all).
 *
 * A string field takes references anywhere in it (`jwks_uri: https://${AUTH_HOST}/jwks.json`,
 * `service_name: gw-${STAGE}`), resolved once per config version per isolate and checked by the
 * field's own rule once resolved. A string that is one whole reference is also read as a number
 * or a boolean where the field wants one (`timeout: "${TIMEOUT}"`, `enabled: "${TRACING}"`):
 * config/resolved-config.ts decides that with the schema. Refused, by path, where a variable
 * could move traffic or change who may administer the gateway (config/schema.ts):
 * - the fields that decide matching and a route's identity: a route's `id`, `path`, `host`,
 *   `methods`, `headers`, `query_params`, `priority`, `upstream`, `listener`, `ai.provider`, its
 *   plugin names, and the names of upstreams, listeners, plugin entries and AI providers that
 *   routes refer to;
 * - request expressions (`rate_limit.key`, `consistent_hash.hash_key`), which read `${client_ip}`;
 * - `admin` (its password is a secret field) and `audit`: read outside the request pipeline, by
 *   the admin API and the audit jobs, which must never depend on a variable being set.
 * Untouched: upstream endpoints (gateway/endpoint-variables.ts), secret fields (one whole
 * reference, resolved per request: http/schema-kit/secrets.ts), and the `config` of a plugin
 * entry the edge never reads (WASM plugins, request-logger), stored as written.
 */
import { resolveVariables, variablesIn } from "../http/schema-kit/variables";

export type ConfigPath = readonly (string | number)[];

/** What a `${VAR}` at a path of the document is. */
export type ReferenceKind = "value" | "literal" | "matching" | "expression" | "endpoint" | "secret" | "opaque";

/** The fields that decide which route a request reaches (refused with a message of their own). */
export const MATCHING_FIELDS: readonly unknown[] = ["path", "host", "methods", "headers", "query_params"];
/** A route's identity and what it points at: priority decides matching too. */
const ROUTE_LITERALS: readonly unknown[] = ["id", "priority", "upstream", "listener"];
/** Keys of the fields that hold a secret (`secretRef`: one whole `${VAR}`, resolved per request); `keys` is api_key's list. */
const SECRET_FIELDS: readonly unknown[] = ["secret", "public_key", "password", "api_key"];

/** The built-ins whose top-level plugin entry's `config` is read (translated into the built-in's options, config/plugins.ts); the others' is not. */
export const CONFIGURED_BUILT_INS: readonly unknown[] = ["jwt-auth", "rate-limit"];

type Loose = Record<string, unknown>;

function entryName(document: Loose, list: string, index: unknown): unknown {
  const items = document[list];
  const item = Array.isArray(items) && typeof index === "number" ? (items[index] as unknown) : undefined;
  return item !== null && typeof item === "object" ? (item as Loose).name : undefined;
}

/** What a reference at `path` of `document` is (the path of a string, not of an object key). */
export function referenceKind(path: ConfigPath, document: Loose): ReferenceKind {
  const [block, , field] = path;
  if (block === "upstreams" && field === "endpoints") return "endpoint";
  if (SECRET_FIELDS.includes(path.at(-1)) || path.at(-2) === "keys") return "secret";
  if (block === "routes" && MATCHING_FIELDS.includes(field)) return "matching";
  if (block === "routes" && field === "plugins") return path.length === 4 || path[4] === "name" ? "literal" : "value";
  if (block === "routes" && ROUTE_LITERALS.includes(field) && path.length === 3) return "literal";
  if ((block === "upstreams" || block === "listeners" || block === "plugins") && field === "name" && path.length === 3) return "literal";
  // What an AI route names, and the names it can name.
  if (block === "routes" && field === "ai" && path[3] === "provider") return "literal";
  if (block === "ai_gateway" && path[1] === "providers" && path[3] === "name" && path.length === 4) return "literal";
  if (block === "plugins" && field === "config")
    return CONFIGURED_BUILT_INS.includes(entryName(document, "plugins", path[1])) ? "value" : "opaque";
  if (block === "admin" || block === "audit") return "literal";
  if ((block === "rate_limit" && path[1] === "key") || (block === "upstreams" && field === "consistent_hash" && path[3] === "hash_key")) {
    return "expression";
  }
  return "value";
}

/** A string field with references that the isolate resolves ("value" references). */
export interface ValueReference {
  path: ConfigPath;
  /** The variables it names, in order, each once. */
  variables: string[];
  /** The field is exactly one reference: its value may be read as a number or a boolean. */
  whole: boolean;
}

/** Every "value" reference of the document; empty for a document the normal form can hold. */
export function valueReferences(document: Loose): ValueReference[] {
  const found: ValueReference[] = [];
  const walk = (node: unknown, path: (string | number)[], ancestors: ReadonlySet<unknown>) => {
    if (ancestors.has(node)) return; // a document that failed elsewhere may refer back to itself
    if (typeof node === "string") {
      const variables = variablesIn(node);
      if (variables.length > 0 && referenceKind(path, document) === "value") {
        found.push({ path, variables, whole: node === `\${${variables[0]}}` });
      }
      return;
    }
    const within = new Set(ancestors).add(node);
    if (Array.isArray(node)) node.forEach((item, index) => walk(item, [...path, index], within));
    else if (node !== null && typeof node === "object") {
      for (const [key, value] of Object.entries(node)) walk(value, [...path, key], within);
    }
  };
  walk(document, [], new Set());
  return found;
}

/** The variables a field could not be resolved with (unset or empty). */
export interface UnsetReference extends ValueReference {
  unset: string[];
}

export interface SubstitutedDocument {
  /** The document with every resolvable reference replaced; an unresolvable field stays as written. */
  document: Loose;
  resolved: ValueReference[];
  unset: UnsetReference[];
  /** The values substituted, longest first: masked wherever a message could repeat one. */
  values: string[];
}

/** A copy of `document` with `value` at `path`. */
export function withValueAt(document: Loose, path: ConfigPath, value: unknown): Loose {
  const copy = (node: unknown, depth: number): unknown => {
    if (depth === path.length) return value;
    const key = path[depth]!;
    if (Array.isArray(node)) return node.map((item, index) => (index === key ? copy(item, depth + 1) : item));
    const object = node as Loose;
    return { ...object, [key]: copy(object[key as string], depth + 1) };
  };
  return copy(document, 0) as Loose;
}

export function valueAt(document: unknown, path: ConfigPath): unknown {
  return path.reduce<unknown>((node, key) => (node !== null && typeof node === "object" ? (node as Loose)[key] : undefined), document);
}

/** Substitutes the values of the environment into every "value" reference (one pass: a value's own `${…}` is text). */
export function substituteVariables(document: Loose, env: Record<string, unknown>): SubstitutedDocument {
  let result = document;
  const resolved: ValueReference[] = [];
  const unset: UnsetReference[] = [];
  const values = new Set<string>();
  for (const reference of valueReferences(document)) {
    const resolution = resolveVariables(valueAt(document, reference.path) as string, env);
    if (!resolution.ok) {
      unset.push({ ...reference, unset: resolution.unset });
      continue;
    }
    for (const name of reference.variables) values.add(env[name] as string);
    result = withValueAt(result, reference.path, resolution.value);
    resolved.push(reference);
  }
  return { document: result, resolved, unset, values: [...values].sort((a, b) => b.length - a.length) };
}

/**
 * `message` with every substituted value replaced by `[value]`: an error or a warning about a
 * resolved field must not repeat it (a variable may be a secret). Values under 4 characters are
 * left alone: they would garble messages (a port "80", a flag "true") and secrets are longer.
 */
export function maskValues(message: string, values: readonly string[]): string {
  return values.reduce((text, value) => (value.length >= 4 ? text.split(value).join("[value]") : text), message);
}

/** Who is refused when the field at a path has no valid value: the narrowest scope that does not run without it. */
export type VariableScope = { kind: "route"; id: string } | { kind: "upstream"; name: string } | { kind: "global" };

/** A field whose references could not be resolved or whose resolved value is not valid here. */
export interface UnresolvedField {
  /** Its config path, as written (`routes[2].auth.issuer`). */
  path: string;
  /** What is wrong, naming variables, never their values. */
  message: string;
  /** Who answers 503 variable_unavailable because of it. */
  scopes: VariableScope[];
}

/** Who a field's 503 reaches, in words for warnings and log lines. */
export function scopeText(scopes: readonly VariableScope[]): string {
  if (scopes.length === 0) return "no route (the block is accepted, not enforced)";
  return scopes
    .map((scope) =>
      scope.kind === "global" ? "every route" : scope.kind === "route" ? `route "${scope.id}"` : `the routes to upstream "${scope.name}"`,
    )
    .join(", ");
}
