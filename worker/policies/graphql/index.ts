/**
 * The GraphQL guard (README, "GraphQL protections"): on a route with `graphql: true` (or its own
 * `graphql.security`), every operation of the request is parsed and measured (document.ts)
 * before anything reaches the upstream, and refused with a GraphQL-shaped error (refusal.ts)
 * when it breaks a limit. Not compiled in at all without a GraphQL route; with one, graphql-js's
 * parser is loaded in the background when the config is compiled, not at the isolate's start.
 *
 * - A document is parsed once per isolate and config version and then only measured with each
 *   request's variables (parsed-documents.ts): clients send the same documents again and again.
 * - Every operation of the document is checked, not only the one `operationName` picks: the
 *   upstream's choice is its own, and an unchecked operation must never run.
 * - A mutation sent with GET is 405 (a GET must be safe, RFC 9110 §9.2.1, and a browser sends
 *   cross-site GETs without a preflight).
 * - Apollo's automatic persisted queries: a request with only `extensions.persistedQuery`'s hash
 *   is answered as Apollo Server answers a hash it does not know (200, `PERSISTED_QUERY_NOT_FOUND`),
 *   so the client sends the query with its hash; a hash that is not the query's SHA-256 is refused.
 *   The edge keeps no registered queries yet, so a hash alone is never forwarded unchecked.
 * - `persisted_queries.required: true` refuses every query with `PERSISTED_QUERY_NOT_ALLOWED`
 *   until the allow-list can be uploaded (fail closed: the setting is never silently ignored).
 */
import type { Context, MiddlewareHandler } from "hono";
import type { AppEnv } from "../../env";
import { sha256Hex } from "../../audit/chain";
import { targetOf } from "../../http/request-target";
import { DEFAULT_GRAPHQL_SECURITY } from "../../http/schema-kit/defaults";
import type { OperationMeasure } from "./document";
import { RegisteredQueries } from "./registered-queries";
import { GraphqlRefusal, type GraphqlErrorCode } from "./refusal";
import { readGraphqlRequest, type GraphqlHttpRequest, type GraphqlOperationRequest } from "./request";
import type { GraphqlSecurity, RouteGraphql } from "./schema";

export { GraphqlRefusal, type GraphqlErrorCode } from "./refusal";

/** What a refusal leaves for the audit log: the rule, never the document or its variables. */
export interface GraphqlRefusedEvent {
  route: string;
  rule: GraphqlErrorCode;
  /** As the client named it: attacker-chosen text, bounded by whoever records it. */
  operationName: string | undefined;
}

export interface GraphqlGuardOptions {
  /** The top-level `graphql.security`. */
  security: GraphqlSecurity | undefined;
  /** The uploaded allow-list in force: SHA-256 hex of a query → the query. */
  persistedQueries?: ReadonlyMap<string, string>;
  routes: readonly { id: string; graphql?: RouteGraphql }[];
  onRefused?: (event: GraphqlRefusedEvent, c: Context<AppEnv>) => void;
}

/** Each GraphQL route's protections: its own block, else the top-level one, else the defaults. */
export function graphqlRouteSecurity(options: Pick<GraphqlGuardOptions, "security" | "routes">): Map<string, GraphqlSecurity> {
  const secured = new Map<string, GraphqlSecurity>();
  for (const route of options.routes) {
    if (!route.graphql) continue;
    secured.set(route.id, route.graphql === true ? (options.security ?? DEFAULT_GRAPHQL_SECURITY) : route.graphql.security);
  }
  return secured;
}

/** Whose registered queries a request may use: its consumer's tenant, or the public's. */
const tenantOf = (c: Context<AppEnv>) => c.get("tenant") ?? "";

/**
 * Forwards the request with each operation's query filled in: the JSON body re-serialised
 * (members as sent, plus `query`), or for GET the query string with `query` added.
 */
function forwardWithQueries(c: Context<AppEnv>, request: GraphqlHttpRequest): void {
  if (request.safeMethod) {
    const target = targetOf(c);
    const separator = target.query === "" ? "?" : "&";
    c.set("target", { ...target, query: `${target.query}${separator}query=${encodeURIComponent(request.operations[0]!.query!)}` });
    return;
  }
  const sent = request.operations.map((operation) => ({ ...operation.sent, query: operation.query }));
  const body = new TextEncoder().encode(JSON.stringify(request.batched ? sent : sent[0]));
  c.set("body", body);
  c.set("upstreamHeaders", [...(c.get("upstreamHeaders") ?? []), ["content-length", String(body.byteLength)]]);
}

/** Apollo Server's answer to a hash it does not hold: 200, so Apollo Client's link sends the query. */
function persistedQueryNotFound(c: Context<AppEnv>): Response {
  return c.json({ errors: [{ message: "PersistedQueryNotFound", extensions: { code: "PERSISTED_QUERY_NOT_FOUND" } }] }, 200, {
    "Cache-Control": "no-store",
  });
}

/** The limit an operation breaks, first in the order a client would fix them, or undefined. */
function brokenLimit(security: GraphqlSecurity, operation: OperationMeasure): GraphqlRefusal | undefined {
  const name = operation.name;
  const over = (code: GraphqlErrorCode, what: string, value: number, limit: number) =>
    new GraphqlRefusal(code, `${name ? `operation ${name}: ` : ""}${what} ${value} is over the limit of ${limit}`, name);
  if (!security.introspection && operation.introspection) {
    return new GraphqlRefusal("INTROSPECTION_DISABLED", "introspection (__schema, __type) is disabled on this endpoint", name);
  }
  if (security.max_depth !== undefined && operation.depth > security.max_depth)
    return over("DEPTH_LIMIT_EXCEEDED", "depth", operation.depth, security.max_depth);
  if (operation.aliases > security.max_aliases) return over("ALIAS_LIMIT_EXCEEDED", "aliases", operation.aliases, security.max_aliases);
  if (operation.directives > security.max_directives)
    return over("DIRECTIVE_LIMIT_EXCEEDED", "directives", operation.directives, security.max_directives);
  if (security.max_complexity !== undefined && operation.cost > security.max_complexity) {
    return over("COMPLEXITY_LIMIT_EXCEEDED", "cost", operation.cost, security.max_complexity);
  }
  return undefined;
}

export function graphqlGuard(options: GraphqlGuardOptions): MiddlewareHandler<AppEnv> | undefined {
  const secured = graphqlRouteSecurity(options);
  if (secured.size === 0) return undefined;
  // Loaded now, awaited by the first GraphQL request: the parser is not part of a cold start.
  const documents = import("./parsed-documents").then(({ ParsedDocuments }) => new ParsedDocuments());
  documents.catch(() => {});
  const { onRefused } = options;
  const allowed = options.persistedQueries ?? new Map<string, string>();
  const registered = new RegisteredQueries();

  /**
   * The document to check: the one sent, or the one its hash names in the allow-list or (when
   * registration is allowed) among the queries this tenant registered. Undefined: answered
   * `PERSISTED_QUERY_NOT_FOUND`, so the client sends the query.
   */
  async function documentOf(c: Context<AppEnv>, required: boolean, operation: GraphqlOperationRequest): Promise<string | undefined> {
    const { query, persistedHash: hash, operationName } = operation;
    const notAllowed = () =>
      new GraphqlRefusal("PERSISTED_QUERY_NOT_ALLOWED", "this query is not in the persisted-query allow-list", operationName);
    if (query === undefined) {
      const known = allowed.get(hash!) ?? (required ? undefined : registered.get(tenantOf(c), hash!));
      if (known === undefined && required) throw notAllowed();
      return known;
    }
    // Hashed only when a hash is sent or the allow-list is required: most requests need no digest.
    if (hash === undefined && !required) return query;
    const digest = await sha256Hex(query);
    if (hash !== undefined && digest !== hash)
      throw new GraphqlRefusal("PERSISTED_QUERY_HASH_MISMATCH", "provided sha does not match query", operationName);
    if (required && !allowed.has(digest)) throw notAllowed();
    return query;
  }

  async function check(
    c: Context<AppEnv>,
    security: GraphqlSecurity,
    operation: GraphqlOperationRequest,
    request: GraphqlHttpRequest,
  ): Promise<Response | undefined> {
    const required = security.persisted_queries?.required === true;
    const query = await documentOf(c, required, operation);
    if (query === undefined) {
      if (request.batched) throw new GraphqlRefusal("BAD_REQUEST", "a batched operation must carry its query", operation.operationName);
      return persistedQueryNotFound(c);
    }
    const parsedDocuments = await documents;
    const measured = parsedDocuments.measure(
      query,
      { maxTokens: security.max_tokens, maxSourceLength: security.max_document_size },
      operation.variables,
    );
    if (!measured.ok) throw new GraphqlRefusal(measured.code, measured.message, operation.operationName);
    const measures = measured.operations;
    for (const measure of measures) {
      const refusal = brokenLimit(security, measure);
      if (refusal) throw refusal;
    }
    const selected = operation.operationName === undefined ? measures : measures.filter((op) => op.name === operation.operationName);
    if (request.safeMethod && selected.some((op) => op.type === "mutation")) {
      throw new GraphqlRefusal("MUTATION_NOT_ALLOWED_WITH_GET", "a mutation must be sent with POST", operation.operationName);
    }
    // Apollo's registration: a query sent with its hash, checked, is kept for the hash alone.
    if (operation.query !== undefined && operation.persistedHash !== undefined && !required) {
      registered.set(tenantOf(c), operation.persistedHash, query);
    }
    operation.query = query;
    return undefined;
  }

  return async function graphqlGuard(c, next) {
    const route = c.get("route")!;
    const security = secured.get(route.id);
    if (!security) return next();
    try {
      const request = await readGraphqlRequest(c, { maxDocumentSize: security.max_document_size, maxBatchSize: security.max_batch_size });
      const hashOnly = request.operations.some((operation) => operation.query === undefined);
      for (const operation of request.operations) {
        // A hash the edge cannot check is answered at once: nothing unchecked goes upstream.
        const answer = await check(c, security, operation, request);
        if (answer) return answer;
      }
      // The upstream gets the query the hash named, so it need not know the allow-list.
      if (hashOnly) forwardWithQueries(c, request);
    } catch (error) {
      if (error instanceof GraphqlRefusal) onRefused?.({ route: route.id, rule: error.graphqlCode, operationName: error.operationName }, c);
      throw error;
    }
    return next();
  };
}
