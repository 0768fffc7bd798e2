/**
 * Loom Edge entry point: the fetch handler is the Hono app; the queue handler appends the
 * request path's audit events to D1 (worker/audit/queue.ts); the cron trigger exports the
 * previous UTC day of the audit log to R2 (worker/audit/archive.ts), then, when the config
 * sets `audit.retention`, prunes the rows past it (worker/audit/retention.ts). The Durable Object
 * classes are re-exported here because wrangler binds them by class name from the main module.
 */
import { createApp } from "./app";
import { runScheduledExport } from "./audit/archive";
import { consumeAuditBatch } from "./audit/queue";
import { runScheduledPrune } from "./audit/retention";
import { getCompiledConfig } from "./pipeline/config-cache";
import type { Env } from "./env";

const app = createApp();

export default {
  fetch: app.fetch,
  queue: (batch, env) => consumeAuditBatch(batch, env),
  scheduled: async (controller, env) => {
    await runScheduledExport(env, controller.scheduledTime);
    const retentionDays = (await getCompiledConfig(env)).config.audit?.retention;
    if (retentionDays !== undefined) await runScheduledPrune(env, retentionDays, controller.scheduledTime);
  },
} satisfies ExportedHandler<Env, unknown>;
export { CircuitBreaker } from "../durable-objects/circuit-breaker";
export { RateLimiter } from "../durable-objects/rate-limiter";
