/**
 * The `rate_limit` block (Loom): a default limit, a key expression saying what a counter is kept
 * per, per-route overrides and what to do when the counter store fails.
 */
import { z } from "zod";
import { rateSchema } from "../../http/schema-kit/rate";

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

export type RateLimitConfig = z.output<typeof rateLimitSchema>;
