/**
 * Every error code the gateway, the admin API and the vault answer with: its status and its
 * default message, in one table (the way the admin endpoint table drives routes, 405s and
 * OpenAPI). `httpError` takes a code from here, so an unknown code does not compile and a code
 * always has the same status; README's error table is kept in step with it by a test
 * (error-catalogue.test.ts).
 *
 * Every body carries `request_id`: the error handler adds the request's id to each answer, so no
 * entry needs a flag for it. A call site may say more than the default message (a limit, a
 * name), never less, and never an internal detail (an upstream address, a stack, a secret).
 *
 * The kit layer: imports nothing.
 */

export interface ErrorEntry {
  /** The HTTP status (RFC 9110 §15). */
  status: 400 | 401 | 403 | 404 | 405 | 409 | 412 | 413 | 414 | 415 | 429 | 431 | 500 | 501 | 502 | 503 | 504;
  /** What the answer says unless the call site says more. */
  message: string;
}

export const ERROR_CATALOGUE = {
  // ---------------------------------------------------------------- the request itself
  bad_path: { status: 400, message: "The request path is ambiguous." },
  uri_too_long: { status: 414, message: "the request target is longer than this gateway accepts" },
  headers_too_large: { status: 431, message: "the request headers are larger than this gateway accepts" },
  method_not_allowed: { status: 405, message: "this method is not allowed; the Allow header lists those that are" },
  override_outside_route: { status: 400, message: "a method or URL override header names a path this route does not serve" },
  no_route: { status: 404, message: "No route matches this request." },
  not_found: { status: 404, message: "no such resource" },
  payload_too_large: { status: 413, message: "the request body is larger than this route accepts" },
  unsupported_media_type: { status: 415, message: "the request body must be JSON (Content-Type: application/json)" },
  invalid_json: { status: 400, message: "the request body is not valid UTF-8 JSON" },
  graphql_refused: { status: 400, message: "the GraphQL request was refused; errors[0].extensions.code says why" },
  graphql_too_large: { status: 413, message: "the GraphQL document is larger than this route accepts" },
  invalid_persisted_queries: {
    status: 400,
    message: "the body must be an Apollo persisted query manifest or a { sha256: query } map of queries that parse",
  },
  duplicate_key: { status: 400, message: "an object in the request body names the same member twice (RFC 8259 §4)" },
  validation_failed: { status: 400, message: "the request body does not match the route's JSON Schema" },
  ai_request_not_understood: {
    status: 400,
    message: "this route checks what reaches the model, and this request is not a provider request the gateway can read; `reason` says why",
  },
  ai_pii_detected: {
    status: 400,
    message: "the prompt holds personal data or secrets this route does not forward; `pii_types` names the kinds found",
  },
  ai_prompt_injection: { status: 400, message: "the prompt looks like a prompt-injection attempt and was not forwarded" },
  ai_content_blocked: {
    status: 400,
    message: "the prompt asks for content this route does not forward; `rules` names the filters it matched",
  },
  ai_token_limit: {
    status: 400,
    message: "the request asks for more tokens (its output limit or its estimated prompt) than this route allows per request",
  },

  // ---------------------------------------------------------------- who may call
  tls_required: { status: 403, message: "this service is only available over HTTPS" },
  tls_version_too_low: { status: 403, message: "this service requires a newer TLS version" },
  client_certificate_required: { status: 403, message: "this route requires a valid client certificate" },
  grpc_unsupported: {
    status: 501,
    message: "native gRPC cannot pass through this gateway (HTTP trailers do not cross a Cloudflare Worker); use gRPC-Web",
  },
  ip_forbidden: { status: 403, message: "requests from this address are not allowed here" },
  cors_forbidden: { status: 403, message: "this cross-origin request is not allowed" },
  unauthorized: { status: 401, message: "valid credentials are required for this route" },
  route_not_allowed: { status: 403, message: "these credentials are not allowed on this route" },
  ai_model_not_allowed: {
    status: 403,
    message: "the route's or the consumer's model allow-list does not have the model the request names",
  },
  too_many_auth_failures: { status: 429, message: "too many failed authentications from this address; retry later" },
  auth_unavailable: { status: 503, message: "API keys cannot be checked right now; retry shortly" },
  rate_limited: { status: 429, message: "too many requests; retry later" },
  rate_limit_unavailable: { status: 503, message: "the rate limiter is unavailable; retry shortly" },
  ai_token_budget_exceeded: { status: 429, message: "the token budget per minute is spent; retry later" },
  ai_quota_exceeded: { status: 429, message: "the daily AI quota is spent; it starts again at 00:00 UTC" },
  ai_provider_rate_limited: { status: 429, message: "the AI provider takes no more requests this minute; retry later" },

  // ---------------------------------------------------------------- the upstream and the vault
  ai_gateway_disabled: { status: 503, message: "the AI gateway is turned off (ai_gateway.enabled: false)" },
  upstream_circuit_open: { status: 503, message: "the upstream is failing and requests to it are paused; retry later" },
  upstream_unhealthy: { status: 503, message: "every endpoint of the upstream fails its health check; retry later" },
  bulkhead_full: { status: 503, message: "the upstream has as many requests in flight as it accepts, and none can wait; retry later" },
  bulkhead_unavailable: { status: 503, message: "the upstream's concurrency limit cannot be checked right now; retry shortly" },
  upstream_timeout: { status: 504, message: "The upstream did not answer in time." },
  upstream_unavailable: { status: 502, message: "The upstream could not be reached." },
  upstream_response_too_large: { status: 502, message: "The upstream response is larger than the gateway passes on." },
  tenant_required: {
    status: 403,
    message: "this route calls its upstream with your tenant's credential; authenticate with a key of a consumer that belongs to a tenant",
  },
  credential_missing: { status: 403, message: "your tenant has no credential for the provider this route needs" },
  vault_unavailable: {
    status: 503,
    message: "the credential vault of the gateway is not configured; the operator has been told",
  },
  credential_unavailable: {
    status: 503,
    message: "the credential this route uses cannot be read; the operator has been told",
  },
  plugin_unavailable: { status: 503, message: "this route runs a plugin the gateway cannot run" },
  document_unavailable: { status: 503, message: "a JSON Schema this route validates with has not been uploaded" },
  config_unavailable: { status: 503, message: "the gateway could not load its configuration; retry shortly" },
  variable_unavailable: {
    status: 503,
    message: "a Worker variable this route needs is not set or not valid; the operator has been told",
  },
  secret_unavailable: {
    status: 500,
    message: "the gateway is missing a secret this request needs; the operator has been told",
  },
  internal_error: { status: 500, message: "the gateway failed to handle this request" },

  // ---------------------------------------------------------------- the admin API: access
  https_required: {
    status: 403,
    message:
      "the admin API answers only over https (plain http only from this machine, for local development); a credential already sent over http may have been read on the way: replace it",
  },
  cross_site_request: {
    status: 403,
    message: "the admin API does not answer requests that pages of other sites make a browser send",
  },
  login_locked: { status: 429, message: "too many failed logins; retry later or use the admin token" },
  weak_admin_secret: { status: 503, message: "an admin secret is too weak to guard the admin API; replace it" },

  // ---------------------------------------------------------------- the admin API: changes
  invalid_config: { status: 400, message: "the config is not valid; nothing was changed" },
  invalid_request: { status: 400, message: "the request body is not valid; nothing was changed" },
  name_mismatch: { status: 400, message: "the name in the body differs from the name in the path" },
  invalid_document: { status: 400, message: "the body must be a JSON object (such as a JSON Schema)" },
  invalid_document_path: {
    status: 400,
    message: "a document path is made of /-separated segments of letters, digits, '.', '_', '~' and '-', without dot segments",
  },
  document_in_use: { status: 409, message: "the document is referenced by the config in force" },
  precondition_failed: { status: 412, message: "the config changed since the version in If-Match; GET it again and retry" },
  change_in_progress: { status: 409, message: "another admin change is being saved; retry in a moment" },
  conflict: { status: 409, message: "another change was saved at the same moment; GET the config again and retry" },
  audit_unavailable: {
    status: 503,
    message: "the audit log cannot be written, so the change was refused; nothing changed",
  },
  store_unavailable: {
    status: 503,
    message: "the config store (KV) failed after the change was audited; check the current version and retry",
  },

  // ---------------------------------------------------------------- the admin API: response cache
  invalid_cache_purge: { status: 400, message: "the cache purge request is not valid; nothing was purged" },

  // ---------------------------------------------------------------- the admin API: consumers
  invalid_consumer: { status: 400, message: "the consumer is not valid; nothing was changed" },
  invalid_rotation: { status: 400, message: "the key rotation request is not valid; nothing was changed" },
  consumer_exists: { status: 409, message: "the consumer exists (ids are never reused, even once disabled)" },
  consumer_disabled: { status: 409, message: "the consumer is disabled; its keys cannot change and it gets no new ones" },
  key_not_active: { status: 409, message: "the key is not active; rotate an active key, or issue a new one" },
  consumer_store_unavailable: { status: 503, message: "the consumer store (D1) cannot be reached; retry shortly" },

  // ---------------------------------------------------------------- the admin API: vault
  invalid_tenant: {
    status: 400,
    message: "a tenant is 1-64 letters, digits, '.', '_' or '-', starting with a letter or digit",
  },
  invalid_provider: { status: 400, message: "the provider in the path is not valid" },
  invalid_credential: {
    status: 400,
    message: 'the body must be the JSON object {"secret": "<the provider\'s key>"} and nothing else',
  },
  rotation_blocked: { status: 409, message: "a stored credential cannot be decrypted; fix it, then call rotate again" },
  vault_store_unavailable: { status: 503, message: "the credential store (D1) cannot be reached; retry shortly" },

  // ---------------------------------------------------------------- the admin API: limits
  invalid_rate_limit_key: {
    status: 400,
    message:
      "name a counter as `<scope>|<key>`, percent-encoded: scope `default`, `route=<id>` or `consumer=<id>`, as details.limiter of the rate_limit audit rows",
  },
  rate_limit_store_unavailable: {
    status: 503,
    message: "the rate-limit counter (a Durable Object) cannot be reached; retry shortly",
  },
  circuit_store_unavailable: { status: 503, message: "the circuit (a Durable Object) cannot be reached; retry shortly" },

  // ---------------------------------------------------------------- the admin API: audit log
  invalid_query: { status: 400, message: "the query parameters are not valid" },
  invalid_export: { status: 400, message: "the export request is not valid; nothing was exported" },
  audit_chain_broken: { status: 409, message: "the audit log fails verification" },
  archive_mismatch: {
    status: 409,
    message: "the archived object differs from what the database holds for its rows; the object was left as it is",
  },
  retention_off: {
    status: 409,
    message: "audit.retention is not set in the config in force: audit rows are kept forever, nothing to prune",
  },
  audit_prune_refused: { status: 409, message: "nothing was pruned" },
  audit_store_unavailable: { status: 503, message: "the audit log (D1) cannot be reached; retry shortly" },
  archive_unavailable: { status: 503, message: "the audit archive (R2) cannot be reached; retry shortly" },

  // ---------------------------------------------------------------- the admin API: AI usage and budgets
  invalid_ai_budget: {
    status: 400,
    message:
      "name an AI budget as `ai-tokens|consumer=<id>`, `ai-tokens|key=<key>`, `ai-provider|<name>` or `ai-quota|consumer=<id>|<YYYY-MM-DD>` (or tenant=), percent-encoded",
  },
  ai_usage_unavailable: { status: 503, message: "the AI usage table (D1) cannot be reached; retry shortly" },
} as const satisfies Record<string, ErrorEntry>;

/** A code the gateway answers with; anything else does not compile. */
export type ErrorCode = keyof typeof ERROR_CATALOGUE;

/** Every code, in the catalogue's order (README's table, the OpenAPI document's enum). */
export const ERROR_CODES = Object.keys(ERROR_CATALOGUE) as [ErrorCode, ...ErrorCode[]];

/** The status of a code (a literal type: `ErrorStatus<"rate_limited">` is 429). */
export type ErrorStatus<C extends ErrorCode> = (typeof ERROR_CATALOGUE)[C]["status"];
