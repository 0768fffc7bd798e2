/**
 * The `rate_limit` block (Loom): a default limit, a key expression saying what a counter is kept
 * per, per-route overrides and what to do when the counter store fails.
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

const RATE_KEY_EXPRESSION = /^(?:[^$]|\$\{(?:client_ip|consumer|tenant|route|method|host|jwt\.[A-Za-z0-9_.-]+|header\.[A-Za-z0-9-]+)\})+$/;

export const rateLimitSchema = z.strictObject({
  enabled: z.boolean().default(true),
  default: rateSchema
    .default({ requests_per_second: 100 })
    .describe("The limit of every route without an override. Default 100 requests per second."),
  key: z
    .string()
    .regex(
      RATE_KEY_EXPRESSION,
      "must combine text with ${client_ip}, ${consumer}, ${tenant}, ${route}, ${method}, ${host}, ${jwt.CLAIM} or ${header.NAME}",
    )
    .default("${client_ip}")
    .describe(
      "What a counter is kept per: an expression over the request. A value the request lacks (no consumer, no such claim or header) is replaced by the client address.",
    ),
  routes: z.record(z.string(), rateSchema).default({}).describe("Overrides keyed by route id, each with its own counters."),
  fail_open: z
    .boolean()
    .default(true)
    .describe("When the counter store fails or is overloaded: admit (true, default) or refuse with 503 (false)."),
});

export type RateConfig = z.output<typeof rateSchema>;
export type RateLimitConfig = z.output<typeof rateLimitSchema>;
