/**
 * The Worker's bindings and the per-request context shared by the admin API and the gateway.
 * Declared once here; `wrangler.toml` is the source of the binding names.
 */
import type { CompiledConfig } from "./config/compile";
import type { MatchedRoute } from "./gateway/router";

export interface Env {
  /** Versioned config documents and uploaded documents (schemas). Written only by the admin API. */
  CONFIG: KVNamespace;
  /** Append-only audit log (and, later, the credential vault). */
  DB: D1Database;
  /** Admin bearer token, a Worker secret. Without it the admin API refuses everyone. */
  ADMIN_TOKEN?: string;
  /** Prefix of the admin API; default `/admin`. */
  ADMIN_PREFIX?: string;
  /** How long (ms) an isolate trusts its cached config before re-reading the KV pointer. */
  CONFIG_CACHE_TTL_MS?: string;
  /** Any other secret, referenced from the config as `${NAME}`. */
  [secret: string]: unknown;
}

/** Values a request carries through the pipeline (Hono `c.var`). */
export interface RequestVars {
  requestId: string;
  startedAt: number;
  clientIp: string;
  gateway: CompiledConfig;
  route?: MatchedRoute;
  /** Set by the proxy for the access log. */
  upstream?: string;
  upstreamMs?: number;
}

export type AppEnv = { Bindings: Env; Variables: RequestVars };
