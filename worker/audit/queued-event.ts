/**
 * The schema of an AUDIT_QUEUE message as the queue consumer (queue.ts, `consumeAuditBatch`)
 * accepts it; a module of its own so that the producer, on the request path, does not load zod.
 */
import { z } from "zod";
import { AUDIT_EVENTS } from "./events";

const text = z.string();

/** What the consumer accepts; anything else is not an event this version can write. */
export const queuedEventSchema = z.object({
  eventId: z.string().min(1).max(128),
  event: z.enum(AUDIT_EVENTS),
  actor: text,
  action: text,
  target: text.optional(),
  ip: text.optional(),
  userAgent: text.optional(),
  requestId: text.optional(),
  details: z.record(z.string(), z.unknown()).optional(),
});
