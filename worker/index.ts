/**
 * Loom Edge entry point: the fetch handler is the Hono app; the queue handler appends the
 * request path's audit events to D1 (worker/audit/queue.ts); the cron trigger exports the
 * previous UTC day of the audit log to R2 (worker/audit/archive.ts), then, when the config
 * sets `audit.retention`, prunes the rows past it (worker/audit/retention.ts). The Durable Object
 * classes are re-exported here because wrangler binds them by class name from the main module.
 *
 * The cron handler imports its modules on first use: an isolate that serves requests never
 * evaluates them (scripts/build.mjs keeps them in modules of their own).
 */
import { createApp } from "./app";
import { consumeAuditBatch } from "./audit/queue";
import { getCompiledConfig } from "./pipeline/config-cache";
import type { Env } from "./env";

const app = createApp();

export default {
  fetch: app.fetch,
  queue: (batch, env) => consumeAuditBatch(batch, env),
  scheduled: async (controller, env) => {
    await (await import("./audit/archive")).runScheduledExport(env, controller.scheduledTime);
    const retentionDays = (await getCompiledConfig(env)).config.audit?.retention;
    if (retentionDays !== undefined)
      await (await import("./audit/retention")).runScheduledPrune(env, retentionDays, controller.scheduledTime);
  },
} satisfies ExportedHandler<Env, unknown>;
export { Bulkhead } from "../durable-objects/bulkhead";
export { CircuitBreaker } from "../durable-objects/circuit-breaker";
export { RateLimiter } from "../durable-objects/rate-limiter";
