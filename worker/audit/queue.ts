/**
 * The durable path of the audit events raised on the request path (auth failures, rate-limit
 * refusals, route matches, refused admin logins). They are recorded after the response, never
 * in it, and never dropped without a trace:
 *
 *   1. `enqueueAuditEvents` (in a waitUntil) sends them to the AUDIT_QUEUE Cloudflare Queue,
 *      each with its event id (the idempotency key) fixed now;
 *   2. the Worker's `queue()` handler (`consumeAuditBatch`) appends each delivered batch to
 *      `audit_log` in one D1 transaction (`appendAuditEvents`, which skips event ids already
 *      stored, so a redelivered batch is never stored twice). When D1 fails, every message of
 *      the batch is retried with a growing delay; after `max_retries` (wrangler.toml) the queue
 *      moves it to the dead letter queue `loom-edge-audit-dlq`, which keeps it for replay;
 *   3. when the send itself fails (the queue unavailable or not bound), the events are written
 *      to D1 directly; when that fails too, each event is logged whole (redacted) as
 *      `audit_event_lost`, so Workers Logs still holds it.
 *
 * Admin changes do not come this way: their row is written before the change, synchronously.
 */
import type { Env } from "../env";
import { errorName, log } from "../observability/logger";
import { scrubDetails } from "./scrub";
import type { AuditEvent } from "./types";
import { appendAuditEvents } from "./writer";

/** The body of one AUDIT_QUEUE message: an event with its idempotency key. */
export type QueuedAuditEvent = AuditEvent & { eventId: string };

/**
 * Sends events to the audit queue; falls back to a direct D1 write, then to the log. Never
 * throws: call it after the response (`c.executionCtx.waitUntil(enqueueAuditEvents(...))`).
 */
export async function enqueueAuditEvents(env: Env, events: readonly AuditEvent[]): Promise<void> {
  // Scrubbed before sending, not only when written: a dead-lettered message is kept for days.
  const queued = events.map((event): QueuedAuditEvent => ({
    ...event,
    eventId: event.eventId ?? crypto.randomUUID(),
    details: scrubDetails(event.details ?? {}) as Record<string, unknown>,
  }));
  if (queued.length === 0) return;
  try {
    await env.AUDIT_QUEUE.sendBatch(queued.map((body) => ({ body, contentType: "json" })));
    return;
  } catch (error) {
    log.warn("audit_queue_send_failed", { events: queued.length, name: errorName(error) });
  }
  try {
    await appendAuditEvents(env, queued);
  } catch (error) {
    for (const event of queued) log.error("audit_event_lost", { name: errorName(error), audit_event: event });
  }
}

/** Delay before a failed message is delivered again: 10 s, doubling, at most 15 min. */
export function retryDelaySeconds(attempts: number): number {
  return Math.min(10 * 2 ** Math.max(0, attempts - 1), 900);
}

/**
 * The `queue()` handler: the batch's events in one chained D1 transaction; on success every
 * message is acknowledged, on failure every message is retried (none was stored: the
 * transaction is all or nothing, and a partial earlier attempt is skipped by event id).
 * Also serves the dead letter queue when an operator attaches it as a consumer to replay it.
 */
export async function consumeAuditBatch(batch: MessageBatch<unknown>, env: Env): Promise<void> {
  // Imported here, not at the top: enqueueAuditEvents runs on the request path, which never loads zod.
  const { queuedEventSchema } = await import("./queued-event");
  const messages: Message<unknown>[] = [];
  const events: QueuedAuditEvent[] = [];
  for (const message of batch.messages) {
    const parsed = queuedEventSchema.safeParse(message.body);
    if (parsed.success) {
      messages.push(message);
      events.push(parsed.data);
      continue;
    }
    // Retried, not dropped: after max_retries the dead letter queue keeps it for a person to read.
    log.error("audit_message_invalid", { queue: batch.queue, message_id: message.id, attempts: message.attempts });
    message.retry({ delaySeconds: retryDelaySeconds(message.attempts) });
  }
  if (events.length === 0) return;
  try {
    await appendAuditEvents(env, events);
  } catch (error) {
    const attempts = Math.max(...messages.map((message) => message.attempts));
    log.error("audit_queue_write_failed", { queue: batch.queue, messages: messages.length, attempts, name: errorName(error) });
    for (const message of messages) message.retry({ delaySeconds: retryDelaySeconds(message.attempts) });
    return;
  }
  for (const message of messages) message.ack();
}
