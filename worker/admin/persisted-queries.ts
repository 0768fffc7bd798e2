/**
 * The GraphQL persisted-query allow-list (`graphql.security.persisted_queries.required`):
 * `PUT <prefix>/graphql/persisted-queries` with an Apollo persisted query manifest
 * (`{ format: "apollo-persisted-query-manifest", version: 1, operations: [{ id, body, … }] }`)
 * or a `{ "<sha256>": "<query>" }` map.
 *
 * Every hash must be its query's SHA-256 and every query must parse as GraphQL (within the
 * parser's limits), else 400 by path and nothing changes. The list is stored once, immutable,
 * under its own hash (`pq:<sha256>`), and a new config version names it: the upload is audited
 * as a config change, a rollback brings back the list of the version it restores, and a config
 * saved later keeps the list in force (config/store.ts).
 */
import { sha256Hex } from "../audit/chain";
import { KEYS } from "../config/kv";
import { currentDocument, readCurrent, saveConfig } from "../config/store";
import type { ConfigIssue } from "../config/parse";
import { httpError } from "../http/errors";
import { isRecord } from "../http/json-value";
import { measureDocument } from "../policies/graphql/document";
import { changeAuthor, type AdminContext, type AdminEndpoint } from "./context";
import { invalid, readBodyText, setVersionHeaders } from "./http";

/** Most queries one list holds (the body is at most 1 MiB anyway). */
export const MAX_PERSISTED_QUERIES = 10_000;
/** The parser's limits for an uploaded query: those of the largest route setting. */
const PARSE_LIMITS = { maxTokens: 100_000, maxSourceLength: 1024 * 1024 };
const HASH = /^[0-9a-f]{64}$/;

/** The body's `[hash, query, path]` entries, in either shape. */
function entriesOf(body: unknown): [string, unknown, string][] {
  if (!isRecord(body))
    throw invalid("invalid_persisted_queries", [{ path: "(root)", message: "must be an Apollo manifest or a { sha256: query } object" }]);
  if (body.format === "apollo-persisted-query-manifest") {
    if (body.version !== 1 || !Array.isArray(body.operations)) {
      throw invalid("invalid_persisted_queries", [
        { path: "(root)", message: "an Apollo manifest has version: 1 and an operations array" },
      ]);
    }
    return body.operations.map((operation: unknown, index) => {
      const { id, body: query } = isRecord(operation) ? operation : {};
      return [typeof id === "string" ? id.toLowerCase() : "", query, `operations[${index}]`];
    });
  }
  return Object.entries(body).map(([hash, query]) => [hash.toLowerCase(), query, hash]);
}

/** The checked list, or 400 naming every bad entry. */
async function allowList(body: unknown): Promise<Map<string, string>> {
  const entries = entriesOf(body);
  if (entries.length > MAX_PERSISTED_QUERIES) {
    throw invalid("invalid_persisted_queries", [{ path: "(root)", message: `at most ${MAX_PERSISTED_QUERIES} queries` }]);
  }
  const issues: ConfigIssue[] = [];
  const list = new Map<string, string>();
  for (const [hash, query, path] of entries) {
    if (!HASH.test(hash)) issues.push({ path, message: "the hash must be 64 hex digits (SHA-256)" });
    else if (typeof query !== "string") issues.push({ path, message: "the query must be a string" });
    else if ((await sha256Hex(query)) !== hash) issues.push({ path, message: "the hash is not the query's SHA-256" });
    else {
      const measured = measureDocument(query, PARSE_LIMITS, {});
      if (!measured.ok) issues.push({ path, message: `${measured.code}: ${measured.message}` });
      else list.set(hash, query);
    }
    if (issues.length >= 100) break;
  }
  if (issues.length > 0) throw invalid("invalid_persisted_queries", issues);
  return list;
}

async function put(c: AdminContext) {
  let body: unknown;
  try {
    body = JSON.parse(await readBodyText(c));
  } catch {
    throw invalid("invalid_persisted_queries", [{ path: "(root)", message: "the body must be JSON" }]);
  }
  const list = await allowList(body);
  // Sorted: the same queries are the same stored list, whatever order they came in.
  const text = JSON.stringify(Object.fromEntries([...list].sort(([a], [b]) => (a < b ? -1 : 1))));
  const ref = { sha256: await sha256Hex(text), count: list.size };
  try {
    // Immutable under its hash: written before the version that names it, never changed after.
    await c.env.CONFIG.put(KEYS.persistedQueries(ref.sha256), text);
  } catch {
    throw httpError("store_unavailable");
  }
  const saved = await saveConfig(
    c.env,
    changeAuthor(c),
    {
      action: "persisted_queries_put",
      target: "graphql/persisted-queries",
      ifMatch: c.req.header("If-Match"),
      details: { ...ref },
      persistedQueries: () => ref,
    },
    (current) => currentDocument(current),
  );
  setVersionHeaders(c, saved.version);
  return c.json({ version: saved.version, ...ref });
}

async function get(c: AdminContext) {
  const current = await readCurrent(c.env);
  const ref = current.record?.persisted_queries;
  setVersionHeaders(c, current.version);
  if (!ref) return c.json({ version: current.version, sha256: null, count: 0, queries: {} });
  const queries = await c.env.CONFIG.get<Record<string, string>>(KEYS.persistedQueries(ref.sha256), "json");
  if (!queries)
    throw httpError(
      "config_unavailable",
      "the persisted query list of the version in force cannot be read from KV here yet; retry shortly",
    );
  return c.json({ version: current.version, ...ref, queries });
}

const PATH = "/graphql/persisted-queries";

export const persistedQueryEndpoints: AdminEndpoint[] = [
  {
    method: "GET",
    path: PATH,
    summary: "The GraphQL persisted-query allow-list in force",
    description: "The list the config version in force names, with its hash and size; empty before the first upload.",
    responses: { 200: { description: "The list.", schema: "PersistedQueryList" } },
    handler: get,
  },
  {
    method: "PUT",
    path: PATH,
    summary: "Replace the GraphQL persisted-query allow-list",
    description:
      "An Apollo persisted query manifest or a { sha256: query } map; each hash must be its query's SHA-256 and each query must parse. Saved as a new config version (audited as config_change/persisted_queries_put): GraphQL routes with persisted_queries.required serve only these queries, every isolate within seconds. A rollback restores the list of the version it rolls back to.",
    body: { schema: "PersistedQueryUpload", mediaTypes: ["application/json"] },
    responses: {
      200: { description: "Saved; the new config version.", schema: "PersistedQuerySaved" },
      400: {
        description:
          "Not a manifest or map, a hash that is not its query's, or a query that does not parse: every problem by path; nothing changed.",
        schema: "InvalidConfig",
      },
      412: { description: "If-Match names another version than the one in force.", schema: "PreconditionFailed" },
      413: { description: "Body larger than 1 MiB.", schema: "Error" },
      503: { description: "The audit log (or KV) is unavailable; nothing changed.", schema: "Error" },
    },
    handler: put,
  },
];
