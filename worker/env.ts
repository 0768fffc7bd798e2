/**
 * The Worker's bindings and the per-request context shared by the admin API and the gateway.
 * Declared once here; `wrangler.toml` is the source of the binding names.
 */
import type { JWTPayload } from "jose";
import type { Bulkhead } from "../durable-objects/bulkhead";
import type { CircuitBreaker } from "../durable-objects/circuit-breaker";
import type { RateLimiter } from "../durable-objects/rate-limiter";

export interface Env {
  /** Versioned config documents and uploaded documents (schemas). Written only by the admin API. */
  CONFIG: KVNamespace;
  /** Append-only audit log, consumers and the SHA-256 of their API keys, and the credential vault (encrypted). */
  DB: D1Database;
  /** Audit events of the request path, written to D1 by this Worker's queue() handler (worker/audit/queue.ts). */
  AUDIT_QUEUE: Queue;
  /** The daily NDJSON export of the audit log (worker/audit/archive.ts); bucket-locked for retention. */
  AUDIT_ARCHIVE: R2Bucket;
  /** One rate-limit counter per limited key (durable-objects/rate-limiter.ts). */
  RATE_LIMITER: DurableObjectNamespace<RateLimiter>;
  /** One circuit per upstream (durable-objects/circuit-breaker.ts). */
  CIRCUIT_BREAKER: DurableObjectNamespace<CircuitBreaker>;
  /** One set of concurrency slots per upstream with a bulkhead (durable-objects/bulkhead.ts). */
  BULKHEAD: DurableObjectNamespace<Bulkhead>;
  /** Workers AI: the embeddings of the AI cache's semantic matching (worker/policies/ai-gateway/cache/). Only on Cloudflare. */
  AI?: Ai;
  /** Vectorize index of those embeddings (768 dimensions, cosine). Only on Cloudflare. */
  AI_CACHE_INDEX?: Vectorize;
  /** Admin bearer token, a Worker secret. Without it the admin API refuses everyone. */
  ADMIN_TOKEN?: string;
  /** `on`: serve the admin API although the config says `admin.enabled: false` (worker/admin/switch.ts). */
  ADMIN_API_OVERRIDE?: string;
  /** Prefix of the admin API; default `/admin`. */
  ADMIN_PREFIX?: string;
  /** How long (ms) an isolate trusts its cached config before re-reading the KV pointer. */
  CONFIG_CACHE_TTL_MS?: string;
  /** Length (ms) of the per-isolate windows that aggregate repeated request-path audit events; default 10000, 0 = none. */
  AUDIT_WINDOW_MS?: string;
  /** Root secret of the credential vault (≥ 32 random bytes, base64 or hex), a Worker secret. */
  VAULT_ROOT_KEY?: string;
  /** The previous root during a root rotation (POST /admin/vault/rotate); unset otherwise. */
  VAULT_ROOT_KEY_PREVIOUS?: string;
  /**
   * Key of the audit chain's keyed heads (worker/audit/anchor.ts), a Worker secret of 32+ random
   * characters. Unset: rows are appended without a keyed head, with a warning, and verify says
   * "unanchored".
   */
  AUDIT_HMAC_KEY?: string;
  /** The previous AUDIT_HMAC_KEY during a rotation: heads under it still verify. */
  AUDIT_HMAC_KEY_PREVIOUS?: string;
  /** Zone id for purging the response cache through Cloudflare's API (worker/admin/cache-purge.ts); unset: purges are markers only. */
  CACHE_PURGE_ZONE_ID?: string;
  /** API token with the zone's Cache Purge permission, a Worker secret; needed with CACHE_PURGE_ZONE_ID. */
  CACHE_PURGE_API_TOKEN?: string;
  /** Tests and local development only: a loopback base URL standing in for Cloudflare's API (any other value is ignored). */
  CACHE_PURGE_API_BASE?: string;
  /** Any other secret, referenced from the config as `${NAME}`. */
  [secret: string]: unknown;
}

/** Values a request carries through the pipeline (Hono `c.var`). */
export interface RequestVars {
  requestId: string;
  startedAt: number;
  clientIp: string;
  /**
   * The compiled config in force. Only the layers above the config know its type: they read it
   * with `compiledConfigOf(c)` (pipeline/request-context.ts, which also sets it).
   */
  compiledConfig: unknown;
  /** The raw request target, parsed once (`targetOf`). */
  target?: RequestTarget;
  /** One pass over the request headers (header-scan.ts), for the steps that need more than a lookup. */
  headerScan?: HeaderScan;
  /** The request path in normal form (normalize.ts), set where the gateway first normalises it, so it is done once. */
  normalPath?: string;
  route?: MatchedRoute;
  /** Set by routeMatch: a CORS preflight that the route's CORS policy answers at the edge. */
  preflight?: boolean;
  /** The request body, once a policy has read it whole (request-validator); see http/body.ts. */
  body?: Uint8Array;
  /** Set by the proxy for the access log. */
  upstream?: string;
  upstreamMs?: number;
  /** Set by `authenticate`: the scheme that admitted the request (unset on routes without auth). */
  authScheme?: SchemeName;
  /** Who is calling: api_key → the key's `${VAR}` name or the consumer store's id; basic → the user-id. */
  consumer?: string;
  /** The consumer's tenant, when the consumer store knows it. */
  tenant?: string;
  /** The consumer store's own rate limit for this consumer, when its record has one (for the rate-limit policy). */
  consumerRateLimit?: RateValues;
  /** The consumer store's `allowed_models` for this consumer, when its record has them (for the AI gateway's model check). */
  consumerModels?: ReadonlySet<string>;
  /** The verified claims of a JWT. */
  jwt?: JWTPayload;
  /**
   * Set by `authenticate`: the verified identity for the upstream (claim, consumer and
   * certificate headers). The proxy sets them after removing the client's copies.
   */
  identityHeaders?: readonly (readonly [name: string, value: string])[];
  /**
   * Headers for the upstream request only, set by the proxy after it cleaned the client's
   * headers and set the identity headers (the vault's credential); a `null` value removes the
   * client's copy. Held for the upstream call, never logged.
   */
  upstreamHeaders?: readonly (readonly [name: string, value: string | null])[];
  /**
   * Set by the AI gateway's budgets with `token_counting` once the provider's usage is known, for
   * the access log (policies/ai-gateway/budgets/settle.ts). Counts only, never contents.
   */
  aiUsage?: AiUsageCounts;
}

export type AppEnv = { Bindings: Env; Variables: RequestVars };

// ------------------------------------------------------------ the shapes of the variables

/** The parts of the request URL exactly as the client sent them (http/request-target.ts). */
export interface RequestTarget {
  /** `http` or `https`, lower case. */
  scheme: string;
  /** `host[:port]` as in the Host header. */
  authority: string;
  /** The raw path, `/` when empty. */
  path: string;
  /** The raw query with its leading `?`, or "" when there is none. */
  query: string;
}

/** One pass over the client's request headers (http/header-scan.ts). */
export interface HeaderScan {
  /** The object scanned: a policy that rebuilds the request gives it new headers, and a new scan. */
  headers: Headers;
  /** The field names, lower case, each once (the runtime combines repeated fields). */
  names: string[];
  /**
   * Size of the header section as on the HTTP/1.1 wire (RFC 9112 §5: `name: value` CRLF per
   * field), of what the Worker sees: the few headers Cloudflare's edge adds count too.
   */
  size: number;
}

/** The route a request matched (gateway/router.ts). */
export interface MatchedRoute {
  id: string;
  /** What the steps after routing read of the route's config (the whole is config/schema.ts's RouteConfig). */
  config: {
    /** Unset on a route served by the AI gateway (`ai`). */
    readonly upstream?: string;
    readonly listener?: string;
    readonly forward_override_headers?: boolean;
    /** Milliseconds; replaces the upstream's `timeout` for this route's attempts. */
    readonly timeout?: number;
  };
  /** `:name` segments of the pattern, percent-decoded. */
  params: Record<string, string>;
  /** The normalised request path, as the client spelled it. */
  path: string;
  /**
   * The path to forward: the spelling that was matched (gateway/router.ts), or with
   * `strip_prefix` the part matched by `*` (always starts with `/`).
   */
  forwardPath: string;
}

/** What an AI request was charged (policies/ai-gateway/budgets). */
export interface AiUsageCounts {
  inputTokens: number;
  outputTokens: number;
  /** Millionths of the unit of the provider's `cost_per_1k`. */
  costMicros: number;
  /** False when the provider reported no usage and the reservation was counted instead. */
  metered: boolean;
}

/** The authentication schemes (policies/auth). */
export type SchemeName = "api_key" | "jwt" | "basic" | "mtls";

/** A rate as the schema kit's `rateSchema` reads it (http/schema-kit/rate.ts). */
export interface RateValues {
  requests_per_second?: number;
  requests_per_minute?: number;
  requests_per_hour?: number;
  burst?: number;
}
