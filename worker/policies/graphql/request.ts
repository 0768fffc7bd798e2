/**
 * The GraphQL operations an HTTP request carries, as GraphQL over HTTP and Apollo send them:
 *
 * - GET with `query`, `operationName`, `variables` and `extensions` (JSON) in the query string;
 * - POST `application/json` with one `{ query, operationName, variables, extensions }` object,
 *   or a JSON array of them (a batch);
 * - POST `application/graphql` with the document itself as the body.
 *
 * A POST body is read whole, at most `max_document_size` bytes (413 beyond, from the declared
 * length before anything is read), and kept as `c.var.body` for the proxy to forward unchanged.
 */
import type { Context } from "hono";
import type { AppEnv } from "../../env";
import { contentLength, mediaType, readAtMost } from "../../http/body";
import { isRecord } from "../../http/json-value";
import { GraphqlRefusal } from "./refusal";

export interface GraphqlOperationRequest {
  /** The document; undefined when an Apollo APQ request sends only its hash. */
  query: string | undefined;
  operationName: string | undefined;
  variables: Record<string, unknown>;
  /** `extensions.persistedQuery.sha256Hash`, lower-case, when the request names one. */
  persistedHash: string | undefined;
  /** The object as sent (JSON and query-string requests), to forward with a query the edge filled in. */
  sent: Record<string, unknown>;
}

export interface GraphqlHttpRequest {
  operations: GraphqlOperationRequest[];
  batched: boolean;
  /** Sent with GET: a mutation is refused (a GET must be safe, RFC 9110 §9.2.1; cross-site requests can send it). */
  safeMethod: boolean;
}

const bad = (message: string) => new GraphqlRefusal("BAD_REQUEST", message);
const tooLarge = (limit: number) => new GraphqlRefusal("DOCUMENT_TOO_LARGE", `the GraphQL request is larger than ${limit} bytes`);

/** An APQ hash as Apollo sends it: `extensions.persistedQuery { version: 1, sha256Hash }`. */
function persistedHashOf(extensions: unknown): string | undefined {
  if (extensions === undefined || extensions === null) return undefined;
  if (!isRecord(extensions)) throw bad("extensions must be a JSON object");
  const persisted = extensions.persistedQuery;
  if (persisted === undefined) return undefined;
  if (
    !isRecord(persisted) ||
    persisted.version !== 1 ||
    typeof persisted.sha256Hash !== "string" ||
    !/^[0-9a-fA-F]{64}$/.test(persisted.sha256Hash)
  ) {
    throw bad("extensions.persistedQuery must be { version: 1, sha256Hash: <64 hex digits> }");
  }
  return persisted.sha256Hash.toLowerCase();
}

/** One `{ query, operationName, variables, extensions }` object, checked member by member. */
function operationOf(value: unknown, at: string): GraphqlOperationRequest {
  if (!isRecord(value)) throw bad(`${at} must be a JSON object with a query`);
  const { query, operationName, variables, extensions } = value;
  if (query !== undefined && query !== null && typeof query !== "string") throw bad(`${at}.query must be a string`);
  if (operationName !== undefined && operationName !== null && typeof operationName !== "string")
    throw bad(`${at}.operationName must be a string`);
  if (variables !== undefined && variables !== null && !isRecord(variables)) throw bad(`${at}.variables must be a JSON object`);
  const persistedHash = persistedHashOf(extensions);
  if (typeof query !== "string" && persistedHash === undefined) throw bad(`${at} has no query`);
  return {
    query: typeof query === "string" ? query : undefined,
    operationName: typeof operationName === "string" ? operationName : undefined,
    variables: isRecord(variables) ? variables : {},
    persistedHash,
    sent: value,
  };
}

function parseJson(text: string, what: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    throw bad(`${what} is not valid JSON`);
  }
}

const utf8 = new TextDecoder("utf-8", { fatal: true, ignoreBOM: false });

function decoded(bytes: Uint8Array): string {
  try {
    return utf8.decode(bytes);
  } catch {
    throw bad("the request body is not valid UTF-8");
  }
}

function fromQueryString(url: string, limit: number): GraphqlHttpRequest {
  const search = new URL(url).searchParams;
  const text = (name: string) => search.get(name) ?? undefined;
  const size = [...search.values()].reduce((total, value) => total + value.length, 0);
  if (size > limit) throw tooLarge(limit);
  const json = (name: string) => {
    const value = text(name);
    return value === undefined || value === "" ? undefined : parseJson(value, name);
  };
  return {
    operations: [
      operationOf(
        { query: text("query"), operationName: text("operationName"), variables: json("variables"), extensions: json("extensions") },
        "the query string",
      ),
    ],
    batched: false,
    safeMethod: true,
  };
}

async function fromBody(c: Context<AppEnv>, limit: number, maxBatch: number): Promise<GraphqlHttpRequest> {
  const type = mediaType(c.req.raw.headers);
  const json = type === "application/json" || type === "application/graphql-response+json";
  if (!json && type !== "application/graphql") {
    throw new GraphqlRefusal("UNSUPPORTED_MEDIA_TYPE", "a GraphQL POST must be application/json (or application/graphql)");
  }
  const declared = contentLength(c.req.raw.headers);
  if (declared !== undefined && declared > limit) throw tooLarge(limit);
  // A declared length within the limit is read natively (the runtime never delivers more than
  // the declared length); a chunked body is counted as it arrives and cut at the limit.
  const body = c.req.raw.body;
  const bytes = !body
    ? new Uint8Array()
    : declared !== undefined
      ? new Uint8Array(await c.req.raw.arrayBuffer())
      : await readAtMost(body, limit, () => tooLarge(limit));
  c.set("body", bytes);
  const text = decoded(bytes);
  if (!json) return { operations: [operationOf({ query: text }, "the body")], batched: false, safeMethod: false };
  const parsed = parseJson(text, "the request body");
  if (!Array.isArray(parsed)) return { operations: [operationOf(parsed, "the body")], batched: false, safeMethod: false };
  if (parsed.length === 0) throw bad("an empty batch");
  if (parsed.length > maxBatch)
    throw new GraphqlRefusal("BATCH_LIMIT_EXCEEDED", `a batch of ${parsed.length} operations; at most ${maxBatch}`);
  return { operations: parsed.map((item, index) => operationOf(item, `body[${index}]`)), batched: true, safeMethod: false };
}

/** The operations of a GraphQL request; a method other than GET, HEAD and POST is 405. */
export function readGraphqlRequest(
  c: Context<AppEnv>,
  limits: { maxDocumentSize: number; maxBatchSize: number },
): Promise<GraphqlHttpRequest> | GraphqlHttpRequest {
  const method = c.req.method;
  if (method === "GET" || method === "HEAD") return fromQueryString(c.req.url, limits.maxDocumentSize);
  if (method === "POST") return fromBody(c, limits.maxDocumentSize, limits.maxBatchSize);
  throw new GraphqlRefusal("METHOD_NOT_ALLOWED", "a GraphQL endpoint is sent GET or POST");
}
