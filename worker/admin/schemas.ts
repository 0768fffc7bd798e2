/**
 * The shapes the admin API accepts and returns, as zod schemas: the config's own schemas
 * (the same ones PUT validates with) plus the small envelopes around them. The OpenAPI
 * document is generated from this table, so it cannot drift from what the handlers do.
 */
import { z } from "zod";
import { ERROR_CODES } from "../http/error-catalogue";
import { configSchema, routeSchema, upstreamSchema } from "../config/schema";
import {
  auditChainBrokenSchema,
  auditChainOkSchema,
  auditExportMismatchSchema,
  auditExportRequestSchema,
  auditExportResultSchema,
  auditPageSchema,
  auditPruneResultSchema,
} from "../audit/api-schema";
import { aiBudgetResetSchema, aiBudgetStateSchema, aiUsageReportSchema } from "./ai-usage-schema";
import { MAX_PURGE_MARKERS } from "../policies/cache/purge";
import { apiKeySchema, consumerCreateSchema, consumerSchema, issuedApiKeySchema, keyRotationSchema } from "../consumers/schema";
import {
  credentialInfoSchema,
  credentialSecretSchema,
  vaultRotateRequestSchema,
  vaultRotateResultSchema,
  vaultStatusSchema,
} from "../vault/api-schema";

const absoluteUrl = z
  .string()
  .max(2048)
  .refine((value) => /^https?:\/\//i.test(value) && URL.canParse(value), "must be an absolute http(s) URL");

/** `POST /admin/cache/purge` (cache-purge.ts). */
export const cachePurgeSchema = z
  .strictObject({
    urls: z
      .array(absoluteUrl)
      .max(MAX_PURGE_MARKERS)
      .default([])
      .describe("Exact URLs (host, path and query; compared case-insensitively, trailing slash ignored). At most 100."),
    prefixes: z
      .array(z.string().max(2048))
      .max(MAX_PURGE_MARKERS)
      .default([])
      .describe("`https://host/path` prefixes, or `/path` prefixes for every host: every path starting with it. At most 100."),
    everything: z.boolean().default(false).describe("Every entry of every route."),
  })
  .refine((body) => body.everything || body.urls.length + body.prefixes.length > 0, "name urls, prefixes or everything: true");

const cachePurgeResultSchema = z.object({
  purged: z.object({ urls: z.array(z.string()), prefixes: z.array(z.string()), everything: z.boolean() }),
  applies_within: z.string().describe("How soon every isolate treats the entries as purged."),
  zone: z
    .object({ purged: z.boolean(), status: z.number().int().optional() })
    .nullable()
    .describe("Cloudflare's zone purge API, when CACHE_PURGE_ZONE_ID and CACHE_PURGE_API_TOKEN are set; null otherwise."),
});

const version = z.number().int().nonnegative().describe("Config version; 0 is the empty config before the first save.");
const issue = z.object({
  path: z.string().describe("Where, e.g. routes[2].upstream; (root) for the whole document."),
  message: z.string(),
});

const errorBody = z.object({
  error: z.enum(ERROR_CODES).describe("Stable machine-readable code, from the catalogue (worker/http/error-catalogue.ts)."),
  message: z.string().describe("A sentence for people."),
  request_id: z.string().describe("The response's X-Request-Id."),
});

const documentInfo = z.object({
  path: z.string(),
  sha256: z.string().describe("Hex SHA-256 of the stored JSON; also the document's ETag."),
  size: z.number().int().describe("Bytes of the stored JSON."),
  updated_at: z.iso.datetime(),
  actor: z.string(),
});

const bucketState = z.object({
  name: z.enum(["burst", "minute", "hour"]).describe("burst: the requests_per_second bucket; minute, hour: the per-window quotas."),
  remaining: z.number().int().nonnegative().describe("Whole requests the bucket would admit now, not counting tokens leased to isolates."),
  reset_ms: z.number().int().nonnegative().describe("Until the bucket is full again."),
});

export const rateLimitStateSchema = z.object({
  key: z
    .string()
    .describe(
      "The counter's name: `<scope>|<key>` (scope `default`, `route=<id>` or `consumer=<id>`), as `details.limiter` of rate_limit audit rows.",
    ),
  limits: z
    .object({
      requests_per_second: z.number().optional(),
      burst: z.number().optional(),
      requests_per_minute: z.number().optional(),
      requests_per_hour: z.number().optional(),
    })
    .describe("The limits the latest request was counted against."),
  buckets: z.array(bucketState),
  leased_tokens: z
    .number()
    .int()
    .nonnegative()
    .describe("Tokens isolates hold in leases that have not expired (they count against every bucket)."),
  calls: z.number().int().nonnegative().describe("Calls isolates made to the counter since it was created or reset."),
});

const circuitStateName = z.enum(["closed", "open", "half_open"]);

export const healthCheckStateSchema = z.object({
  upstream: z.string(),
  endpoints_down: z
    .array(z.string())
    .describe(
      "Endpoints (as written in the config) that failed unhealthy_threshold checks in a row and have not passed healthy_threshold since: they get no traffic. Empty before the first round.",
    ),
  path: z.string().describe("From the config in force."),
  interval_ms: z.number().int().positive().describe("From the config in force: between rounds."),
  healthy_threshold: z.number().int().positive().describe("From the config in force."),
  unhealthy_threshold: z.number().int().positive().describe("From the config in force."),
});

export const aiProviderHealthSchema = z.object({
  provider: z.string(),
  down: z
    .boolean()
    .describe(
      "The provider failed 3 checks in a row and has not passed 2 since: routing skips it while another provider is up. False before the first round.",
    ),
  path: z.string().describe("Its health_path, from the config in force."),
  interval_ms: z.number().int().positive().describe("Between rounds (fixed: 15 s)."),
  healthy_threshold: z.number().int().positive(),
  unhealthy_threshold: z.number().int().positive(),
});

export const circuitStateSchema = z.object({
  upstream: z.string(),
  state: circuitStateName,
  requests: z
    .number()
    .int()
    .nonnegative()
    .describe("Requests in the rolling window (counted while closed; isolates report successes within about 2 s)."),
  failures: z.number().int().nonnegative().describe("Failures in the rolling window (counted while closed)."),
  retry_after_ms: z.number().int().nonnegative().describe("Open: until the circuit turns half-open (the object's alarm)."),
  probes_issued: z.number().int().nonnegative().describe("Half-open: probe requests let through so far."),
  probe_successes: z.number().int().nonnegative(),
  endpoints: z
    .array(
      z.object({
        endpoint: z.string(),
        requests: z.number().int().nonnegative(),
        failures: z.number().int().nonnegative(),
        ejected_for_ms: z.number().int().nonnegative(),
      }),
    )
    .describe("Endpoints with requests in their rolling window, or ejected; one ejected is skipped while others serve."),
  failure_threshold: z.number().int().positive().describe("From the config in force."),
  minimum_requests: z.number().int().positive().describe("From the config in force."),
  failure_ratio: z.number().positive().max(1).describe("From the config in force."),
  window_ms: z.number().int().positive().describe("From the config in force: the rolling window."),
  failure_status_codes: z
    .array(z.number().int())
    .describe("From the config in force: statuses counted as failures besides timeouts and connection failures."),
  timeout_ms: z.number().int().positive().describe("From the config in force: how long it stays open."),
  half_open_requests: z.number().int().positive().describe("From the config in force."),
  success_threshold: z.number().int().positive().describe("From the config in force: probe successes in a row that close it."),
});

export const rollbackRequest = z.strictObject({
  version: z.number().int().positive().describe("The version whose document becomes a new version."),
});

export const apiSchemas = {
  Config: configSchema,
  Route: routeSchema,
  Upstream: upstreamSchema,
  JsonDocument: z
    .record(z.string(), z.unknown())
    .describe("A JSON object, such as a JSON Schema referenced by a request-validator plugin."),
  RollbackRequest: rollbackRequest,
  Error: errorBody,
  InvalidConfig: errorBody.extend({ issues: z.array(issue).describe("Every problem found, by path.") }),
  PreconditionFailed: errorBody.extend({ current_version: version }),
  SaveResult: z.object({
    version,
    warnings: z.array(z.string()).describe("Fields ignored at the edge, unset secrets, documents not uploaded yet, …"),
  }),
  RollbackResult: z.object({ version, warnings: z.array(z.string()), rolled_back_to: version }),
  ValidateResult: z.object({ valid: z.literal(true), warnings: z.array(z.string()) }),
  VersionList: z.object({
    current_version: version,
    versions: z
      .array(z.object({ version, created_at: z.iso.datetime(), actor: z.string(), action: z.string(), current: z.boolean() }))
      .describe("Newest first."),
  }),
  RouteList: z.object({ version, routes: z.array(routeSchema) }),
  UpstreamList: z.object({ version, upstreams: z.array(upstreamSchema) }),
  DocumentInfo: documentInfo,
  PersistedQueryUpload: z
    .union([
      z.object({
        format: z.literal("apollo-persisted-query-manifest"),
        version: z.literal(1),
        operations: z.array(
          z.object({
            id: z.string().describe("SHA-256 hex of body."),
            name: z.string().optional(),
            type: z.string().optional(),
            body: z.string(),
          }),
        ),
      }),
      z.record(z.string().describe("SHA-256 hex of the query."), z.string()),
    ])
    .describe("An Apollo persisted query manifest, or a { sha256: query } map. At most 10000 queries."),
  PersistedQuerySaved: z.object({
    version,
    sha256: z.string().describe("SHA-256 hex of the stored list (its queries by hash, sorted)."),
    count: z.number().int().nonnegative(),
  }),
  PersistedQueryList: z.object({
    version,
    sha256: z.string().nullable().describe("null before the first upload."),
    count: z.number().int().nonnegative(),
    queries: z.record(z.string(), z.string()).describe("SHA-256 hex → query."),
  }),
  DocumentList: z.object({ documents: z.array(documentInfo) }),
  DocumentDeleted: z.object({ path: z.string(), deleted: z.literal(true) }),
  ConsumerCreate: consumerCreateSchema,
  Consumer: consumerSchema,
  ConsumerCreated: consumerSchema.extend({
    warnings: z.array(z.string()).describe("allowed_routes that the config in force does not have (yet)."),
  }),
  ConsumerList: z.object({ consumers: z.array(consumerSchema) }),
  ApiKey: apiKeySchema,
  ApiKeyList: z.object({ keys: z.array(apiKeySchema).describe("Oldest first.") }),
  IssuedApiKey: issuedApiKeySchema,
  KeyRotation: keyRotationSchema,
  RotatedApiKey: issuedApiKeySchema.extend({ previous: apiKeySchema.describe("The replaced key, with the time it stops working.") }),
  CredentialSecret: credentialSecretSchema,
  CredentialInfo: credentialInfoSchema,
  CredentialList: z.object({ tenant: z.string(), credentials: z.array(credentialInfoSchema).describe("By provider name.") }),
  CredentialDeleted: z.object({ tenant: z.string(), provider: z.string(), deleted: z.literal(true) }),
  VaultStatus: vaultStatusSchema,
  VaultRotateRequest: vaultRotateRequestSchema,
  VaultRotateResult: vaultRotateResultSchema,
  RateLimitState: rateLimitStateSchema,
  RateLimitReset: z.object({
    key: z.string(),
    reset: z.literal(true),
    previous: rateLimitStateSchema.describe("The counter just before the reset."),
  }),
  CachePurge: cachePurgeSchema,
  CachePurgeResult: cachePurgeResultSchema,
  CircuitState: circuitStateSchema,
  CircuitList: z.object({
    version,
    circuits: z.array(circuitStateSchema).describe("Every upstream with circuit_breaker enabled in the config in force, in config order."),
    health_checks: z.array(healthCheckStateSchema).describe("Every upstream with a health_check in the config in force, in config order."),
    ai_provider_health_checks: z
      .array(aiProviderHealthSchema)
      .describe("Every ai_gateway provider with a health_path in the config in force, in config order."),
  }),
  CircuitReset: circuitStateSchema.extend({ previous_state: circuitStateName.describe("The state before the reset.") }),
  AuditPage: auditPageSchema,
  AuditChainOk: auditChainOkSchema,
  AuditChainBroken: auditChainBrokenSchema,
  AuditExportRequest: auditExportRequestSchema,
  AuditExportResult: auditExportResultSchema,
  AuditExportMismatch: auditExportMismatchSchema,
  AuditPruneResult: auditPruneResultSchema,
  AiUsageReport: aiUsageReportSchema,
  AiBudgetState: aiBudgetStateSchema,
  AiBudgetReset: aiBudgetResetSchema,
  Health: z.object({
    status: z.enum(["ok", "degraded"]),
    config_version: version.nullable().describe("Version the KV pointer names; null when KV cannot be read."),
    serving_version: version.describe("Version this isolate's cached compiled config serves."),
    kv: z.enum(["ok", "error"]),
    d1: z.enum(["ok", "error"]),
  }),
} as const;

export type ComponentName = keyof typeof apiSchemas;
