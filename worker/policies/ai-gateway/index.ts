/**
 * # The AI gateway (issue 15): routes with `ai` forward to `ai_gateway.providers`
 *
 * One pipeline step, where the proxy would run for other routes (after IP rules, auth, rate
 * limits, the body limit and the route's plugins: pipeline/compile.ts). For a route with `ai`:
 *
 * 1. `ai_gateway.enabled: false` → 503 `ai_gateway_disabled`.
 * 2. The body is read once, whole, within the body limit (`middleware.body_limit.max_size`, else
 *    1 MB; 413 beyond), so that a fallback can send the same bytes (request.ts). JSON with a
 *    member named twice in an object is 400 `duplicate_key`.
 * 3. The model allow-lists (the route's `ai.allowed_models`, else `ai_gateway.allowed_models`,
 *    and the calling consumer's `allowed_models`, c.var.consumerModels: both must allow the
 *    model; 403 `ai_model_not_allowed`, saying whose list refused) and `max_tokens_per_request`
 *    (400 `ai_token_limit`, on the output limit asked for and on the estimated prompt) refuse
 *    before any provider is called.
 * 4. The providers are tried in the `routing_strategy`'s order (routing.ts), those whose
 *    `health_path` checks found them down moved last (health.ts), or only the route's pinned
 *    `ai.provider` (no fallback), and the answer streams back (forward.ts). The access
 *    log's `upstream` is the provider that answered (or was tried last); keys are never logged.
 *
 * The path after the route's prefix is kept (with `strip_prefix: true`, `/ai/v1/chat/completions`
 * reaches `<endpoint>/v1/chat/completions`), and so is the query.
 *
 * 5. Before any provider is called, the content checks of `ai_gateway.security` (checks/): prompt
 *    injection, the content filter and PII, on every text the model reads; a refusal is 400, a
 *    masked body is forwarded instead of the client's. With `pii_responses`, what the model
 *    writes is masked too (response-checks.ts). Each finding is an `ai_check` audit fact.
 */
import type { Context, MiddlewareHandler } from "hono";
import type { AppEnv } from "../../env";
import { httpError } from "../../http/errors";
import { upstreamHeaderRules, type UpstreamHeaderOptions } from "../../http/headers";
import { aiCacheOf, filed, lookUp } from "./caching";
import { accountedResponse, budgetSpec, providerBudget, reservedTokens, type BudgetOptions } from "./accounting";
import { providerRequestWait, releaseBudget, reserveBudget } from "./budgets";
import { compileAiChecks, type AiCheckEvent, type AiChecks, type ReadRequest } from "./checks";
import { CONTENT_CATEGORIES } from "./content-filter";
import { forwardToProviders, type Fetcher, type ForwardRules } from "./forward";
import { PROVIDER_KEY_HEADERS, providerTargets, type ProviderTarget } from "./providers";
import { checkModel, checkTokenLimit, readAiRequest } from "./request";
import { maskedResponse } from "./response-checks";
import { withIncludeUsage } from "./shapes";
import { upFirst } from "./health";
import { providerRouting, type ProviderRouting } from "./routing";
import type { AiGatewayConfig, AiSecurity, RouteAiConfig } from "./schema";

export type { AiGatewayConfig, AiProvider, AiQuotas, AiSecurity, RouteAiConfig } from "./schema";
export type { Fetcher } from "./forward";

/** The body read when no body limit is configured: a prompt, even a long one, is well within it. */
export const DEFAULT_AI_BODY_LIMIT = 1024 * 1024;

export interface AiGatewayOptions extends UpstreamHeaderOptions {
  config: AiGatewayConfig | undefined;
  /** The routes of the config; only `id` and `ai` are read. */
  routes: readonly { id: string; ai?: RouteAiConfig }[];
  /** Largest body read, in bytes: `middleware.body_limit.max_size`; default DEFAULT_AI_BODY_LIMIT. */
  maxBodySize?: number;
  /** Query parameters that carry gateway credentials; removed before forwarding. */
  credentialQueryParams?: readonly string[];
  fetcher?: Fetcher;
  /** A number in [0, 1): the weighted draw. Tests pass their own. */
  random?: () => number;
  /** Each finding of a content check on a request or a response (audit `ai_check`). */
  onChecked?: (event: AiCheckedEvent, c: Context<AppEnv>) => void;
  /**
   * Whether the health checks of a provider with `health_path` (health.ts) found it down, as the
   * isolate's copy says: never a call to an object on the request's path. Undefined: no provider
   * is checked.
   */
  providerDown?: (c: Context<AppEnv>, provider: string) => boolean;
  /** The token budgets' key without a consumer (the rate limit's `key`) and their `fail_open`. */
  budgets: BudgetOptions;
}

/** A content check's audit fact on one request of a route: rule ids and counts, never a value or a text. */
export interface AiCheckedEvent extends AiCheckEvent {
  route: string;
}

/** `ai_gateway.security`'s content checks as the checks module reads them; `content_filtering` without categories refuses them all. */
export function aiChecksOf(security: AiSecurity): AiChecks {
  const { prompt_injection_detection: injection, content_filtering: content } = security;
  return {
    ...(injection.enabled && { injection: { action: injection.action, threshold: injection.threshold } }),
    ...(content.enabled && {
      contentFilter: { action: content.action, denyList: content.deny_list, categories: content.categories ?? [...CONTENT_CATEGORIES] },
    }),
    ...(security.pii_detection && { pii: { action: security.pii_action, responses: security.pii_responses } }),
  };
}

interface AiRoute {
  /** Every provider in strategy order, or the pinned one. */
  routing: ProviderRouting;
  allowedModels?: ReadonlySet<string>;
  /** The AI cache key's provider: the pinned one, or every one the route may use (caching.ts). */
  cacheProvider: string;
}

/** The step, or undefined when no route has `ai` (nothing compiled in). */
export function aiGateway(options: AiGatewayOptions): MiddlewareHandler<AppEnv> | undefined {
  const { config } = options;
  const aiRoutes = options.routes.filter((route) => route.ai !== undefined);
  if (aiRoutes.length === 0) return undefined;
  const enabled = config?.enabled ?? false;
  const targets = providerTargets(config?.providers ?? [], config?.request_timeout ?? 30_000);
  const random = options.random ?? Math.random;
  const shared = providerRouting(config?.routing_strategy ?? "priority", targets, random);
  const routes = new Map<string, AiRoute>();
  for (const route of aiRoutes) {
    const pinned = route.ai!.provider === undefined ? undefined : targets.find((target) => target.name === route.ai!.provider);
    const allowed = route.ai!.allowed_models ?? config?.allowed_models;
    routes.set(route.id, {
      routing: pinned ? pinnedRouting(pinned, shared) : shared,
      allowedModels: allowed ? new Set(allowed) : undefined,
      cacheProvider: pinned ? pinned.name : targets.map((target) => target.name).join(","),
    });
  }
  const rules: ForwardRules = {
    // The underscore spellings of the key headers are guarded too (`x_api_key` with underscores_in_headers).
    headers: upstreamHeaderRules({ ...options, injectedHeaders: [...(options.injectedHeaders ?? []), ...PROVIDER_KEY_HEADERS] }),
    credentialQueryParams: new Set(options.credentialQueryParams),
    fetcher: options.fetcher ?? ((request) => fetch(request)),
    admit: (c, target) => providerRequestWait(c, providerBudget(target), options.budgets),
  };
  const budgets = budgetSpec(config, options.budgets);
  const cacheOf = aiCacheOf(config?.cache);
  const maxBodySize = options.maxBodySize ?? DEFAULT_AI_BODY_LIMIT;
  const maxTokens = config?.security.max_tokens_per_request;
  const checks = compileAiChecks(config ? aiChecksOf(config.security) : {});
  const masker = checks.responseMasker();
  const { onChecked, providerDown } = options;
  const encoder = new TextEncoder();

  return async function aiGateway(c, next) {
    const matched = c.get("route")!;
    const route = routes.get(matched.id);
    if (!route) return next();
    if (!enabled) throw httpError("ai_gateway_disabled");
    const request = await readAiRequest(c, matched.forwardPath, maxBodySize);
    // Both lists must allow the model: the consumer's narrows the route's, never widens it.
    checkModel(request, route.allowedModels, "route");
    checkModel(request, c.get("consumerModels"), "consumer");
    checkTokenLimit(request, maxTokens);
    const record = (events: readonly AiCheckEvent[]) => {
      for (const event of events) onChecked?.({ ...event, route: matched.id }, c);
    };
    const read = withUsageReported(request.read);
    const decision = checks.inspectRequest(read, callerScope(c));
    record(decision.events);
    if (decision.kind === "refuse") throw httpError(decision.code, decision.message, { extra: decision.details });
    const strategyOrder = route.routing.order();
    const order = providerDown ? upFirst(strategyOrder, (provider) => providerDown(c, provider)) : strategyOrder;
    if (order.length === 0) throw httpError("upstream_unavailable");
    const body =
      decision.kind === "rewrite"
        ? encoder.encode(decision.body)
        : read !== request.read
          ? encoder.encode(JSON.stringify(read!.body))
          : request.bytes;
    const cached = await lookUp(c, cacheOf, route.cacheProvider, read);
    if (cached?.lookup.hit) return cached.lookup.hit;
    const hold = await reserveBudget(c, budgets, { ...reservedTokens(read, maxTokens), provider: providerBudget(order[0]!) });
    let response: Response;
    try {
      response = await forwardToProviders(c, order, route.routing, body, rules);
    } catch (error) {
      releaseBudget(c, hold);
      throw error;
    }
    const answered = order.find((target) => target.name === c.get("upstream"))!;
    response = await accountedResponse(c, hold, response, answered, read);
    if (masker && read?.ok) response = await maskedResponse(response, masker, read.request.api, record);
    return cached ? filed(c, cached, response) : response;
  };
}

/** Who is calling, for the checks' memos: the consumer (within its tenant), else the client's address. */
function callerScope(c: Context<AppEnv>): string {
  const consumer = c.get("consumer");
  return consumer === undefined ? `ip:${c.get("clientIp")}` : `consumer:${c.get("tenant") ?? ""}:${consumer}`;
}

/**
 * An OpenAI Chat Completions stream reports its usage only when asked (`stream_options.include_usage`):
 * the gateway asks for it when the client did not, so the budget is charged what was used. The
 * client then gets that usage chunk too (one chunk with empty `choices` before `[DONE]`, as OpenAI
 * sends it to any client that asks).
 */
function withUsageReported(read: ReadRequest | undefined): ReadRequest | undefined {
  if (!read?.ok || read.request.api !== "openai-chat") return read;
  const { body, added } = withIncludeUsage(read.body);
  return added ? { ...read, body } : read;
}

/** A route's own provider: always that one, no fallback; its measures still feed the shared averages. */
function pinnedRouting(target: ProviderTarget, shared: ProviderRouting): ProviderRouting {
  const order = [target];
  return { order: () => order, measured: shared.measured };
}
