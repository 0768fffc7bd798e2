/**
 * An upstream's `bulkhead` block (Loom's code dialect: `enabled`, `max_concurrent`,
 * `queue_size`, `timeout`): how many requests may be in flight to the upstream at once, across
 * every isolate, and how many may wait for a slot and for how long. Off unless `enabled: true`,
 * as a Go bool is in Loom's code (the rule of every block of that dialect).
 */
import { z } from "zod";
import { boundedDuration } from "../../http/schema-kit/fields";

export const bulkheadSchema = z
  .strictObject({
    enabled: z
      .boolean()
      .default(false)
      .describe("Loom's code dialect: the block does nothing unless `true` (default false; saved with a warning while off)."),
    max_concurrent: z
      .number()
      .int()
      .min(1)
      .max(10_000)
      .default(100)
      .describe(
        "Requests in flight to the upstream at once, across all isolates, from before the upstream call until its response body has been passed on (default 100, 1-10000).",
      ),
    queue_size: z
      .number()
      .int()
      .min(0)
      .max(10_000)
      .default(0)
      .describe(
        "Requests that may wait for a slot, across all isolates (each isolate queues its share: queue_size divided by the isolates using the bulkhead, rounded up); beyond it 503 bulkhead_full without waiting (once the upstream's object confirms no slot is free). Default 0 (no queue), 0-10000.",
      ),
    timeout: boundedDuration(1, 60_000, "1ms and 60s")
      .prefault("5s")
      .describe("How long a queued request waits for a slot before 503 bulkhead_full (default 5s, 1ms-60s)."),
  })
  .describe(
    "A concurrency limit per upstream across all isolates (leases of a Bulkhead Durable Object); over it requests wait in a bounded queue, then 503 bulkhead_full with Retry-After.",
  );

export type BulkheadConfig = z.output<typeof bulkheadSchema>;
