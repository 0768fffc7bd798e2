/**
 * The `rate_limit` block (Loom): a default limit, a key expression saying what a counter is kept
 * per, per-route overrides and what to do when the counter store fails.
 *
 * Two dialects write this block. Loom's security policy writes `default: {requests_per_second, burst}`
 * and means it on unless `enabled: false`; Loom's code (its config struct) writes `rate` and `burst`
 * at the top and means it OFF unless `enabled: true`, with rate 100/s and burst 10. A block is the
 * code's when it sets `rate`, `burst` or `cleanup_interval`; otherwise it is the policy's, so every
 * config saved before keeps its meaning. Both kinds of default in one block are refused, both paths
 * named: no precedence between them would be obvious to the person who wrote it.
 */
import { z } from "zod";
import { duration } from "../../http/schema-kit/fields";
import { rateSchema, type RateConfig } from "../../http/schema-kit/rate";

const RATE_KEY_EXPRESSION = /^(?:[^$]|\$\{(?:client_ip|consumer|tenant|route|method|host|jwt\.[A-Za-z0-9_.-]+|header\.[A-Za-z0-9-]+)\})+$/;

/** Keys only Loom's code dialect writes; any of them makes the block the code's. */
const CODE_DIALECT_RATE_KEYS = ["rate", "burst", "cleanup_interval"] as const;

const CODE_DEFAULT_RATE = 100;
const CODE_DEFAULT_BURST = 10;

const rateLimitObject = z.strictObject({
  enabled: z
    .boolean()
    .optional()
    .describe(
      "On or off. Default: on for the policy dialect (`default`), OFF for Loom's code dialect (a block with `rate`, `burst` or `cleanup_interval`), as each of Loom's documents says.",
    ),
  default: rateSchema
    .optional()
    .describe(
      "The limit of every route without an override (policy dialect). Default 100 requests per second. Refused beside `rate`/`burst`/`cleanup_interval`.",
    ),
  rate: rateSchema.shape.requests_per_second.describe(
    "Loom's code dialect: requests per second of the default limit, on the same counters as `default`. Default 100, at most 1000000. Off unless `enabled: true`.",
  ),
  burst: rateSchema.shape.burst.describe(
    "Loom's code dialect: requests admitted at once before `rate` applies. Default 10, at most 10000000.",
  ),
  cleanup_interval: duration
    .optional()
    .describe("Loom's code dialect: accepted and warned. The edge's counters are Durable Objects that expire by themselves."),
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

type RateLimitInput = z.output<typeof rateLimitObject>;

function isCodeDialect(block: RateLimitInput): boolean {
  return CODE_DIALECT_RATE_KEYS.some((key) => block[key] !== undefined);
}

function defaultLimit(block: RateLimitInput): RateConfig {
  if (block.default) return block.default;
  if (!isCodeDialect(block)) return { requests_per_second: CODE_DEFAULT_RATE };
  return { requests_per_second: block.rate ?? CODE_DEFAULT_RATE, burst: block.burst ?? CODE_DEFAULT_BURST };
}

export const rateLimitSchema = rateLimitObject
  .superRefine((block, ctx) => {
    if (!block.default) return;
    for (const key of CODE_DIALECT_RATE_KEYS) {
      if (block[key] === undefined) continue;
      ctx.addIssue({
        code: "custom",
        path: [key],
        message: `rate_limit.${key} (Loom's code dialect) and rate_limit.default (the security policy's) both set the default limit; keep one of them`,
      });
    }
  })
  // One output shape for both dialects: the limiter reads `enabled` and `default` only.
  .transform((block) => ({
    enabled: block.enabled ?? !isCodeDialect(block),
    default: defaultLimit(block),
    key: block.key,
    routes: block.routes,
    fail_open: block.fail_open,
  }))
  .describe(
    "Rate limits on the RATE_LIMITER Durable Objects. Written in the security policy's dialect (`default`, on unless `enabled: false`) or Loom's code dialect (`rate`, `burst`: off unless `enabled: true`).",
  );

export type RateLimitConfig = z.output<typeof rateLimitSchema>;
