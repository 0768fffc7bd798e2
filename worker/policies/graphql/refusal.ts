/**
 * A refused GraphQL request, answered as GraphQL clients read errors (GraphQL over HTTP;
 * Apollo Server's shape): `{ "errors": [{ "message", "extensions": { "code" } }] }`, with the
 * request id under the response's `extensions` rather than beside `errors`, where a GraphQL
 * response has no other member. The status is the catalogue's (400, 413) or 405 for a mutation
 * sent with GET.
 */
import { HttpError } from "../../http/errors";

/** The codes a refusal carries in `extensions.code` (README, "GraphQL protections"). */
export type GraphqlErrorCode =
  | "GRAPHQL_PARSE_FAILED"
  | "GRAPHQL_VALIDATION_FAILED"
  | "BAD_REQUEST"
  | "UNSUPPORTED_MEDIA_TYPE"
  | "METHOD_NOT_ALLOWED"
  | "DOCUMENT_TOO_LARGE"
  | "BATCH_LIMIT_EXCEEDED"
  | "DEPTH_LIMIT_EXCEEDED"
  | "COMPLEXITY_LIMIT_EXCEEDED"
  | "ALIAS_LIMIT_EXCEEDED"
  | "DIRECTIVE_LIMIT_EXCEEDED"
  | "INTROSPECTION_DISABLED"
  | "MUTATION_NOT_ALLOWED_WITH_GET"
  | "PERSISTED_QUERY_NOT_ALLOWED"
  | "PERSISTED_QUERY_NOT_FOUND"
  | "PERSISTED_QUERY_HASH_MISMATCH";

/** The codes not answered 400 `graphql_refused`: their catalogue code, and `Allow` for a 405 (RFC 9110 §15.5.6). */
const ANSWERED_AS: Partial<
  Record<GraphqlErrorCode, { catalogue: "graphql_too_large" | "unsupported_media_type" | "method_not_allowed"; allow?: string }>
> = {
  DOCUMENT_TOO_LARGE: { catalogue: "graphql_too_large" },
  UNSUPPORTED_MEDIA_TYPE: { catalogue: "unsupported_media_type" },
  METHOD_NOT_ALLOWED: { catalogue: "method_not_allowed", allow: "GET, POST" },
  MUTATION_NOT_ALLOWED_WITH_GET: { catalogue: "method_not_allowed", allow: "POST" },
};

export class GraphqlRefusal extends HttpError {
  constructor(
    readonly graphqlCode: GraphqlErrorCode,
    message: string,
    /** The operation it was refused for, when the document names one (for the audit log, bounded there). */
    readonly operationName?: string,
  ) {
    const { catalogue, allow } = ANSWERED_AS[graphqlCode] ?? { catalogue: "graphql_refused" as const };
    super(catalogue, message, allow ? { headers: { Allow: allow } } : {});
    this.name = "GraphqlRefusal";
  }

  override getResponse(requestId?: string): Response {
    const body = {
      errors: [{ message: this.message, extensions: { code: this.graphqlCode } }],
      ...(requestId === undefined ? {} : { extensions: { request_id: requestId } }),
    };
    return new Response(JSON.stringify(body), { status: this.status, headers: this.headers });
  }
}
