/**
 * `ai_gateway` in both of Loom's dialects, and a route's `ai`, read into ONE output shape that the
 * pipeline and the AI gateway's steps read (`AiGatewayConfig`):
 *
 * - the security policy's `ai_gateway.security { prompt_injection_detection, content_filtering,
 *   pii_detection, pii_action, max_tokens_per_request, max_tokens_per_minute }` (seeds/002);
 * - Loom's code's `ai_gateway { enabled, providers[], routing_strategy, request_timeout,
 *   max_tokens_per_request, token_counting, prompt_guard, cache }` (LOOM-CONFIG.md).
 *
 * Normalised: `prompt_guard { enabled, block_on_detection }` becomes
 * `security.prompt_injection_detection { enabled, action: block | log, threshold }`; the two
 * `max_tokens_per_request` become `security.max_tokens_per_request` (two different values are
 * refused); `true` for a check becomes its object; a provider's `type` and `base_url` are read as
 * `provider` and `endpoint`, and `endpoint` gets the provider's public API when it has one.
 */
import { z } from "zod";
import { checkPath, duration, headerName, identifier, isLoopbackHost, priority } from "../../http/schema-kit/fields";
import { CONTENT_CATEGORIES } from "../../http/schema-kit/content-categories";
import { unionError } from "../../http/schema-kit/paths";
import { SECRET_REF_PATTERN, VAULT_REF_PATTERN } from "../../http/schema-kit/secrets";

export const PROVIDER_KINDS = ["openai", "anthropic", "azure", "local", "openai_compatible"] as const;
export type ProviderKind = (typeof PROVIDER_KINDS)[number];

/** The public API of the kinds that have one; the others need `endpoint`. */
const DEFAULT_ENDPOINTS: Partial<Record<ProviderKind, string>> = {
  openai: "https://api.openai.com",
  anthropic: "https://api.anthropic.com",
};

export const ROUTING_STRATEGIES = ["priority", "round_robin", "weighted", "cost_optimized", "latency_optimized"] as const;
export type RoutingStrategy = (typeof ROUTING_STRATEGIES)[number];

/** Headers a provider's `headers` may not set: they frame the message, or the gateway sets them. */
const RESERVED_PROVIDER_HEADERS = new Set([
  "host",
  "content-length",
  "transfer-encoding",
  "connection",
  "keep-alive",
  "te",
  "trailer",
  "upgrade",
  "via",
  "forwarded",
  "x-real-ip",
  "x-request-id",
]);

const DEFAULT_REQUEST_TIMEOUT_MS = 30_000;

/** `https://host[:port][/base]` (or http), without credentials, query or fragment. */
const providerEndpoint = z
  .string()
  .max(2048)
  .superRefine((value, ctx) => {
    let url: URL | undefined;
    try {
      url = new URL(value);
    } catch {
      url = undefined;
    }
    if (!url || (url.protocol !== "https:" && url.protocol !== "http:")) {
      ctx.addIssue({ code: "custom", message: "must be an http(s) URL such as https://api.openai.com" });
    } else if (!/^([a-z0-9._-]+|\[[0-9a-f:.]+\])$/.test(url.hostname)) {
      ctx.addIssue({ code: "custom", message: "must name a host by DNS name or IP address" });
    } else if (url.username || url.password || url.search || url.hash || value.includes("?") || value.includes("#")) {
      ctx.addIssue({ code: "custom", message: "must not carry credentials, a query or a fragment" });
    }
  })
  .describe(
    "The provider's base URL; the route's path after its prefix is appended (`https://api.openai.com` + `/v1/chat/completions`). Default per provider: openai `https://api.openai.com`, anthropic `https://api.anthropic.com`; required for azure, local and openai_compatible.",
  );

const providerKey = z
  .string()
  .refine(
    (value) => SECRET_REF_PATTERN.test(value) || VAULT_REF_PATTERN.test(value),
    "must be a ${VAR} reference to a Worker secret, or vault:<provider> (1-64 lower-case letters, digits, '_' or '-'); the config store never holds a key",
  )
  .describe(
    "`${VAR}`: a Worker secret, read per request (unset: the AI routes answer 503 variable_unavailable). `vault:<provider>`: the calling consumer's tenant's credential for `<provider>` from the vault (no tenant: 403; never another tenant's, never a shared one). Sent as `Authorization: Bearer` (openai, openai_compatible, local), `api-key` (azure) or `x-api-key` (anthropic). Unset: requests go without a key.",
  );

const headerValue = z
  .string()
  .max(4096)
  .regex(/^[^\x00-\x1f\x7f]*$/, "must not contain CR, LF or other control characters");

const providerHeaders = z
  .record(headerName, headerValue)
  .superRefine((headers, ctx) => {
    const seen = new Set<string>();
    for (const name of Object.keys(headers)) {
      const lower = name.toLowerCase();
      if (RESERVED_PROVIDER_HEADERS.has(lower) || lower.startsWith("x-forwarded-")) {
        ctx.addIssue({ code: "custom", path: [name], message: "frames the request or is set by the gateway itself" });
      } else if (seen.has(lower)) {
        ctx.addIssue({ code: "custom", path: [name], message: `${name} is listed twice (header names are case-insensitive)` });
      }
      seen.add(lower);
    }
  })
  .default({})
  .describe("Headers sent to the provider on every request (name → value, no control characters). Default none.");

const providerInput = z.strictObject({
  name: identifier.describe("The provider's name, unique: what a route's `ai.provider` names, and the access log shows."),
  provider: z.enum(PROVIDER_KINDS).optional().describe("openai, anthropic, azure, local or openai_compatible (synonym `type`)."),
  type: z.enum(PROVIDER_KINDS).optional().describe("Synonym of `provider`."),
  endpoint: providerEndpoint.optional(),
  base_url: providerEndpoint.optional().describe("Synonym of `endpoint`."),
  api_key: providerKey.optional(),
  credential: z
    .union([z.string(), z.looseObject({ provider: z.string() })])
    .optional()
    .describe(
      "Earlier releases' way to name the tenant's vault credential (`credential: openai` or `{ provider: openai }`): read as `api_key: vault:openai`.",
    ),
  org_id: headerValue.min(1).optional().describe("Sent as `OpenAI-Organization` (openai, openai_compatible, local)."),
  model: z
    .string()
    .min(1)
    .max(256)
    .optional()
    .describe("Documentation only: the model this provider is meant for; requests name their own."),
  weight: z
    .number()
    .int()
    .min(1)
    .max(1000)
    .default(1)
    .describe("Share of the requests under routing_strategy weighted, 1-1000. Default 1."),
  priority: priority.describe(
    "Order under routing_strategy priority, and of the fallbacks: LOWER first (as DNS SRV, RFC 2782), ties in list order. Note: route priority is the other way round. Default 0.",
  ),
  cost_per_1k: z.number().min(0).optional().describe("USD per 1000 tokens: cost_optimized tries the cheapest first (unset: last)."),
  rate_limit: z.number().int().positive().optional().describe("Requests per minute."),
  timeout: duration
    .refine((ms) => ms > 0, "must be longer than 0")
    .optional()
    .describe("The wait for the response headers and then for each body chunk (never the whole stream). Default: request_timeout."),
  health_path: checkPath
    .optional()
    .describe(
      "Checked with GET <endpoint><health_path> every 15s by one object for the whole deployment (timeout 5s; down after 3 failures in a row, back after 2 passes; only a 2xx passes), with the provider's key only when api_key is a ${VAR} (a vault-keyed provider is checked without one), anthropic-version and OpenAI-Organization but not the provider's headers. Routing skips a provider that is down while another is up; when all are down it tries them anyway. Default: not checked.",
    ),
  headers: providerHeaders,
});

type ProviderInput = z.output<typeof providerInput>;

/**
 * A provider as the AI gateway reads it. Every kind is named by its synonym-free key, and
 * `endpoint` is always set (the kind's public API, or what the config wrote).
 */
export interface AiProvider extends Omit<ProviderInput, "type" | "base_url" | "provider" | "endpoint" | "credential"> {
  provider: ProviderKind;
  endpoint: string;
}

const aiProviderSchema = providerInput.transform((input, ctx): AiProvider => {
  const { type, base_url: baseUrl, provider, endpoint, credential, ...rest } = input;
  if (credential !== undefined) {
    const name = typeof credential === "string" ? credential : credential.provider;
    const key = `vault:${name}`;
    if (rest.api_key !== undefined)
      ctx.addIssue({ code: "custom", path: ["credential"], message: "credential and api_key both name the key: keep api_key" });
    else if (!VAULT_REF_PATTERN.test(key))
      ctx.addIssue({
        code: "custom",
        path: ["credential"],
        message: "must name a vault provider: 1-64 lower-case letters, digits, '_' or '-'",
      });
    else rest.api_key = key;
  }
  if (type !== undefined && provider !== undefined) {
    ctx.addIssue({ code: "custom", path: ["type"], message: "type is a synonym of provider: keep one" });
  }
  if (baseUrl !== undefined && endpoint !== undefined) {
    ctx.addIssue({ code: "custom", path: ["base_url"], message: "base_url is a synonym of endpoint: keep one" });
  }
  // The security policy's example writes `name: openai` alone: a name that is a kind is that kind.
  const kind = provider ?? type ?? (PROVIDER_KINDS as readonly string[]).find((known) => known === input.name);
  if (kind === undefined) {
    ctx.addIssue({ code: "custom", path: ["provider"], message: `needs provider: one of ${PROVIDER_KINDS.join(", ")}` });
    return z.NEVER;
  }
  const url = endpoint ?? baseUrl ?? DEFAULT_ENDPOINTS[kind as ProviderKind];
  if (url === undefined) {
    ctx.addIssue({ code: "custom", path: ["endpoint"], message: `a provider of kind ${kind} needs endpoint (its base URL)` });
    return z.NEVER;
  }
  const parsed = new URL(url);
  if (rest.api_key !== undefined && parsed.protocol === "http:" && !isLoopbackHost(parsed.hostname)) {
    ctx.addIssue({
      code: "custom",
      path: [endpoint !== undefined ? "endpoint" : "base_url"],
      message: "plain http would send api_key across the network in clear: use https (plain http is allowed only to a loopback host)",
    });
  }
  return { ...rest, provider: kind as ProviderKind, endpoint: url.replace(/\/+$/, "") };
});

const checkAction = z.enum(["block", "log"]);

const injectionObject = z.strictObject({
  enabled: z.boolean().default(true).describe("Default true."),
  action: checkAction.default("block").describe("block (400, never reaches the provider) or log. Default block."),
  threshold: z
    .number()
    .gt(0)
    .max(1)
    .default(0.5)
    .describe("Score from which a text is an injection, (0, 1]. Default 0.5 (the scorer's calibrated threshold)."),
});

const contentObject = z.strictObject({
  enabled: z.boolean().default(true).describe("Default true."),
  action: checkAction.default("block").describe("block or log. Default block."),
  deny_list: z.array(z.string().min(1).max(256)).max(1000).default([]).describe("Words and phrases refused (case-insensitive)."),
  categories: z
    .array(z.enum(CONTENT_CATEGORIES))
    .max(100)
    .optional()
    .describe(
      'Built-in categories refused: violence, self_harm, sexual_minors, weapons, hate, malware (README, "AI gateway"). Default: all of them.',
    ),
});

const OFF_INJECTION = { enabled: false, action: "block" as const, threshold: 0.5 };
const OFF_CONTENT = { enabled: false, action: "block" as const, deny_list: [] as string[], categories: undefined };

const maxTokens = z.number().int().positive().max(10_000_000);

const securitySchema = z.strictObject({
  prompt_injection_detection: z
    .union([z.boolean().transform((enabled) => ({ ...OFF_INJECTION, enabled })), injectionObject], {
      error: unionError("must be true, false or { enabled, action: block | log, threshold }"),
    })
    .optional()
    .describe("`true` or `{ enabled, action: block | log, threshold }`: the prompt-injection scorer on every text a model reads."),
  content_filtering: z
    .union([z.boolean().transform((enabled) => ({ ...OFF_CONTENT, enabled })), contentObject], {
      error: unionError("must be true, false or { enabled, action: block | log, deny_list, categories }"),
    })
    .optional()
    .describe("`true` or `{ enabled, action: block | log, deny_list, categories }`."),
  pii_detection: z.boolean().default(false).describe("Find PII in prompts. Default false."),
  pii_action: z.enum(["mask", "block", "log"]).default("mask").describe("mask (typed placeholders), block (400) or log. Default mask."),
  pii_responses: z
    .boolean()
    .default(false)
    .describe("Also find PII in the provider's responses, streamed ones too (an edge addition). Default false."),
  max_tokens_per_request: maxTokens
    .optional()
    .describe(
      "Requests whose max_tokens / max_completion_tokens / max_output_tokens, or whose estimated prompt tokens, exceed it are refused (400 ai_token_limit) before the provider is called.",
    ),
  max_tokens_per_minute: maxTokens.optional().describe("Tokens per minute per consumer."),
});

const dailyQuota = z.strictObject({
  daily_tokens: z.number().int().positive().optional().describe("Tokens per day (UTC)."),
  daily_cost: z.number().positive().optional().describe("USD per day (UTC), from the providers' cost_per_1k."),
});

const cacheSchema = z.strictObject({
  enabled: z.boolean().default(false).describe("Default false."),
  max_size: z.union([z.string(), z.number()]).optional().describe("Loom's in-memory cache size."),
  default_ttl: duration.prefault("5m").describe("Default 5m."),
  semantic_matching: z.boolean().default(false).describe("Default false."),
  similarity_threshold: z.number().min(0).max(1).default(0.95).describe("Default 0.95."),
  vary_by_headers: z.array(headerName).max(20).default([]).describe("Request headers that are part of the cache key."),
});

const modelList = z.array(z.string().min(1).max(256)).min(1).max(1000);

export const aiGatewaySchema = z
  .strictObject({
    enabled: z.boolean().default(true).describe("`false`: every route with `ai` answers 503 ai_gateway_disabled. Default true."),
    providers: z.array(aiProviderSchema).max(100).default([]).describe("The model providers AI routes forward to."),
    routing_strategy: z
      .enum(ROUTING_STRATEGIES)
      .default("priority")
      .describe(
        "Which provider a request tries first: priority (lowest `priority` first), round_robin, weighted (`weight`), cost_optimized (cheapest `cost_per_1k` first), latency_optimized (fastest measured time to headers, per isolate; unmeasured ones first). On a connection failure, a timeout, a 429 or a 5xx, before any byte reached the client, the next one in that order is tried. Default priority.",
      ),
    request_timeout: duration
      .refine((ms) => ms > 0, "must be longer than 0")
      .prefault("30s")
      .describe("The wait for a provider's response headers, then for each body chunk, unless the provider sets `timeout`. Default 30s."),
    max_tokens_per_request: maxTokens.optional().describe("Loom's code dialect; the same as security.max_tokens_per_request."),
    token_counting: z.boolean().default(false).describe("Record token usage (counts, never contents). Default false."),
    prompt_guard: z
      .strictObject({
        enabled: z.boolean().default(false).describe("Default false."),
        block_on_detection: z.boolean().default(false).describe("true: block; false: log. Default false."),
      })
      .optional()
      .describe("Loom's code dialect of security.prompt_injection_detection (`block_on_detection` → action block, else log)."),
    cache: cacheSchema.optional().describe("Caching of completions."),
    security: securitySchema.optional().describe("The security policy's checks of every AI route's requests."),
    quotas: z
      .strictObject({ consumer: dailyQuota.optional(), tenant: dailyQuota.optional() })
      .optional()
      .describe("Daily token and cost quotas per consumer and per tenant (an edge addition)."),
    allowed_models: modelList
      .optional()
      .describe(
        "Models an AI route's requests may name (the body's `model`); others 403 ai_model_not_allowed. A route's own list replaces it.",
      ),
  })
  .transform((input, ctx) => {
    const { prompt_guard: guard, max_tokens_per_request: codeMax, security: written, ...rest } = input;
    const security = written ?? securitySchema.parse({});
    if (guard !== undefined && written?.prompt_injection_detection !== undefined) {
      ctx.addIssue({
        code: "custom",
        path: ["prompt_guard"],
        message: "prompt_guard and security.prompt_injection_detection both configure the prompt-injection check: keep one",
      });
    }
    if (codeMax !== undefined && security.max_tokens_per_request !== undefined && codeMax !== security.max_tokens_per_request) {
      ctx.addIssue({
        code: "custom",
        path: ["max_tokens_per_request"],
        message: `${codeMax} differs from security.max_tokens_per_request (${security.max_tokens_per_request}): they are one limit; keep one`,
      });
    }
    const injection =
      security.prompt_injection_detection ??
      (guard
        ? { enabled: guard.enabled, action: guard.block_on_detection ? ("block" as const) : ("log" as const), threshold: 0.5 }
        : OFF_INJECTION);
    return {
      ...rest,
      security: {
        ...security,
        prompt_injection_detection: injection,
        content_filtering: security.content_filtering ?? OFF_CONTENT,
        max_tokens_per_request: security.max_tokens_per_request ?? codeMax,
      },
    };
  })
  .describe("The AI gateway: providers, routing, and the checks of routes with `ai`.");

/** A route's `ai`: `true` (routing_strategy picks among every provider) or `{ provider, allowed_models }`. */
export const routeAiSchema = z
  .union([
    z.boolean().transform((on) => (on ? ({} as { provider?: string; allowed_models?: string[] }) : undefined)),
    z.strictObject({
      provider: identifier.optional().describe("Pins one provider of ai_gateway.providers: no routing, no fallback."),
      allowed_models: modelList.optional().describe("Replaces ai_gateway.allowed_models on this route."),
    }),
  ])
  .describe(
    "Send this route's traffic through the AI gateway (instead of `upstream`, which it must not have): `true`, or `{ provider, allowed_models }`. The path after the route's prefix is kept with strip_prefix.",
  );

export type AiGatewayConfig = z.output<typeof aiGatewaySchema>;
export type AiSecurity = AiGatewayConfig["security"];
export type AiQuotas = NonNullable<AiGatewayConfig["quotas"]>;
export type AiCacheConfig = NonNullable<AiGatewayConfig["cache"]>;
export type RouteAiConfig = NonNullable<z.output<typeof routeAiSchema>>;

/** Whether a check or a token limit of `security` is on: a config with one but no AI route protects nothing (warnings.ts). */
export function securityConfigured(security: AiSecurity): boolean {
  return (
    security.prompt_injection_detection.enabled ||
    security.content_filtering.enabled ||
    security.pii_detection ||
    security.max_tokens_per_request !== undefined ||
    security.max_tokens_per_minute !== undefined
  );
}
