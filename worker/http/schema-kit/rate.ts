/**
 * A rate: token buckets per second, minute and hour, and the burst of the per-second one. The
 * `rate_limit` block uses it for its default and per-route limits, the consumer store for a
 * consumer's own limit.
 */
import { z } from "zod";

export const rateSchema = z
  .strictObject({
    requests_per_second: z
      .number()
      .positive()
      .max(1_000_000)
      .optional()
      .describe("Sustained rate: the bucket refills this many requests per second."),
    requests_per_minute: z
      .number()
      .min(1)
      .max(60_000_000)
      .optional()
      .describe("At most this many per minute: a second bucket of this size, refilled over a minute."),
    requests_per_hour: z
      .number()
      .min(1)
      .max(3_600_000_000)
      .optional()
      .describe("At most this many per hour: a bucket of this size, refilled over an hour."),
    burst: z
      .number()
      .int()
      .positive()
      .max(10_000_000)
      .optional()
      .describe("Requests admitted at once before the sustained rate applies. Default: requests_per_second rounded up."),
  })
  .superRefine((rate, ctx) => {
    if (rate.requests_per_second === undefined && rate.requests_per_minute === undefined && rate.requests_per_hour === undefined) {
      ctx.addIssue({ code: "custom", message: "set requests_per_second, requests_per_minute or requests_per_hour" });
    }
    if (rate.burst !== undefined && rate.requests_per_second === undefined) {
      ctx.addIssue({ code: "custom", path: ["burst"], message: "burst sizes the requests_per_second bucket; set requests_per_second too" });
    }
  })
  .describe(
    "A limit: token buckets (burst at once, then the sustained rate), all of which a request must pass. An override replaces the default whole; nothing is inherited.",
  );

export type RateConfig = z.output<typeof rateSchema>;
