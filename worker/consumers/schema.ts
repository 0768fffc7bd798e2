/**
 * Consumers and their API keys as the admin API accepts and shows them. The OpenAPI document
 * is generated from these schemas (worker/admin/schemas.ts), so it cannot drift from what the
 * handlers validate. A key's text appears in exactly one shape, `IssuedApiKey`, the answer to
 * the request that created it; nothing else ever holds it.
 */
import { z } from "zod";
import { duration, identifier } from "../http/schema-kit/fields";
import { rateSchema } from "../http/schema-kit/rate";

/** Longest grace period a rotated key keeps working for. */
export const MAX_GRACE_MS = 24 * 3_600_000;

/** 1-1000 items, none twice: a list that restricts a consumer (an empty one would allow nothing; unset allows all). */
const distinctList = <T extends z.ZodType<string>>(item: T, noun: string) =>
  z
    .array(item)
    .min(1)
    .max(1000)
    .refine((items) => new Set(items).size === items.length, `must not list a ${noun} twice`);

/**
 * A model name as a request's `model` spells it (`gpt-4o-mini`, `@cf/meta/llama-3-8b-instruct`):
 * no control, format (zero-width, bidi) or line-separator characters, which no model name has
 * and which would make two names that look equal differ.
 */
const modelName = z
  .string()
  .min(1)
  .max(256)
  .regex(/^[^\p{C}\p{Zl}\p{Zp}]*$/u, "must be 1-256 printable characters");

export const consumerCreateSchema = z
  .strictObject({
    id: identifier.describe(
      "The consumer's id: `c.var.consumer`, `${consumer}` in rate-limit keys, the consumer header upstream. Never reused, even once disabled.",
    ),
    tenant: identifier.describe("The consumer's tenant: `c.var.tenant`, `${tenant}` in rate-limit keys, the tenant header upstream."),
    rate_limit: rateSchema
      .optional()
      .describe(
        "The consumer's own limit, replacing the route's and the default one, with counters of its own. Unset: the config's limits apply.",
      ),
    allowed_routes: distinctList(identifier, "route")
      .optional()
      .describe(
        "Route ids this consumer's keys may call; any other route answers 403 route_not_allowed. Unset: every route that accepts api_key.",
      ),
    allowed_models: distinctList(modelName, "model")
      .optional()
      .describe(
        "Models (a request body's `model`) this consumer's keys may ask of an AI route, on top of the route's own allow-list: a model either list leaves out answers 403 ai_model_not_allowed. Unset: every model the route allows.",
      ),
  })
  .describe("A new consumer.");

export const keyRotationSchema = z
  .strictObject({
    grace: duration
      .refine((ms) => ms <= MAX_GRACE_MS, "must be at most 24h")
      .prefault("0s")
      .describe("How long the old key keeps working beside the new one, e.g. `1h`. Default `0s`: it stops at once. At most 24h."),
  })
  .describe("Rotation options; the body may be omitted.");

const timestamp = z.iso.datetime();

export const consumerSchema = z
  .object({
    id: z.string(),
    tenant: z.string(),
    rate_limit: rateSchema.nullable().describe("The consumer's own limit; null: the config's."),
    allowed_routes: z.array(z.string()).nullable().describe("null: every route."),
    allowed_models: z.array(z.string()).nullable().describe("null: every model the route allows."),
    created_at: timestamp,
    disabled: z.boolean().describe("A disabled consumer's keys are all refused; disabling is final."),
    disabled_at: timestamp.nullable(),
  })
  .describe("A consumer, as stored.");

export const apiKeySchema = z
  .object({
    key_id: z.string().describe("Names the key in these paths and in the audit log; not a secret."),
    consumer_id: z.string(),
    prefix: z.string().describe("The key's first 7 characters, to recognise it."),
    last4: z.string().describe("The key's last 4 characters, to recognise it."),
    created_at: timestamp,
    revoked_at: timestamp.nullable().describe("When the key stopped (or, after a rotation with grace, stops) working."),
    rotated_from: z.string().nullable().describe("The key this one replaced."),
    status: z.enum(["active", "expiring", "revoked"]).describe("`expiring`: rotated with a grace period that has not ended yet."),
  })
  .describe("An API key's metadata. The key itself is never stored: only its SHA-256.");

export const issuedApiKeySchema = apiKeySchema
  .extend({ key: z.string().describe("The API key. Shown in this answer only: it cannot be read again.") })
  .describe("A newly issued key, returned exactly once.");

export type ConsumerCreate = z.output<typeof consumerCreateSchema>;
export type Consumer = z.output<typeof consumerSchema>;
export type ApiKeyInfo = z.output<typeof apiKeySchema>;
export type IssuedApiKey = z.output<typeof issuedApiKeySchema>;
