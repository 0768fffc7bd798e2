/**
 * Sends a request to the providers in the routing's order until one answers, and streams that
 * answer back.
 *
 * - Each attempt gets a fresh copy of the client's headers, cleaned as the proxy cleans them
 *   (http/headers.ts: hop-by-hop, client address and host-override headers, the gateway's
 *   credentials; X-Forwarded-*, X-Request-Id and Via set), without any client header that carries
 *   a provider key (`Authorization`, `x-api-key`, `api-key`: the gateway's credentials, never
 *   the provider's), then the provider's key, its `headers`, and `anthropic-version` for Anthropic
 *   when the client sent none.
 * - The URL is the provider's endpoint, its base path, the route's forward path and the query
 *   (http/upstream-url.ts: the client's path never changes scheme, host or port).
 * - Fallback: a connection failure, a timeout waiting for the headers, a 429 or a 5xx sends the
 *   same bytes to the next provider; the failed answer's body is cancelled unread, so nothing of
 *   it reached the client. The last provider's answer is passed on whatever it is; when it gave
 *   none, 504 `upstream_timeout` or 502 `upstream_unavailable` (never saying which provider).
 * - A provider whose `rate_limit` is spent this minute is passed over (budgets/); when every one
 *   was, 429 `ai_provider_rate_limited` with the soonest `Retry-After`.
 * - The body streams back chunk by chunk as the client reads it (http/upstream-response.ts); the
 *   provider's timeout bounds each wait for a chunk, never the whole of a stream that keeps sending.
 */
import type { Context } from "hono";
import type { AppEnv } from "../../env";
import { AttemptDeadline } from "../../http/attempt-deadline";
import { httpError } from "../../http/errors";
import { headerScan } from "../../http/header-scan";
import { forUpstream, type UpstreamHeaderRules } from "../../http/headers";
import { targetOf } from "../../http/request-target";
import { clientResponse } from "../../http/upstream-response";
import { upstreamUrl, withoutQueryParams } from "../../http/upstream-url";
import { ANTHROPIC_VERSION, keyHeader, PROVIDER_KEY_HEADERS, providerKey, type ProviderTarget } from "./providers";
import { providerRateLimited } from "./budgets";
import type { ProviderRouting } from "./routing";

/** Sends one provider request. The default is the runtime's `fetch`; tests pass a fake provider. */
export type Fetcher = (request: Request) => Promise<Response>;

/** No cap on what a provider sends back: it streams through, never held whole. */
const NO_RESPONSE_CAP = Number.MAX_SAFE_INTEGER;

type Attempt = { response: Response; deadline: AttemptDeadline } | { failure: "timeout" | "unavailable" };

const shouldFallBack = (status: number) => status === 429 || status >= 500;

/** How requests to providers are made, built once per config version. */
export interface ForwardRules {
  headers: UpstreamHeaderRules;
  /** Query parameters that carry gateway credentials; removed. */
  credentialQueryParams: ReadonlySet<string>;
  fetcher: Fetcher;
  /**
   * Whether a provider takes one more request now (its `rate_limit`): 0, or how many ms until it
   * would. A provider that would not is passed over for the next, as a failed one is.
   */
  admit: (c: Context<AppEnv>, target: ProviderTarget) => Promise<number>;
}

/** The request for one provider: its URL, the cleaned headers, its key, the body's bytes. */
function providerRequest(
  c: Context<AppEnv>,
  target: ProviderTarget,
  key: string | undefined,
  body: Uint8Array | null,
  rules: ForwardRules,
  signal: AbortSignal,
): Request {
  const route = c.get("route")!;
  const url = targetOf(c);
  const { headers, names } = headerScan(c);
  const query = withoutQueryParams(url.query, rules.credentialQueryParams);
  const request = new Request(upstreamUrl(target.endpoint, route.forwardPath, query), {
    method: c.req.raw.method,
    headers,
    body,
    redirect: "manual",
    signal,
  });
  const outgoing = request.headers;
  forUpstream(
    outgoing,
    names,
    { clientIp: c.get("clientIp"), proto: url.scheme, host: url.authority, requestId: c.get("requestId") },
    rules.headers,
  );
  for (const name of PROVIDER_KEY_HEADERS) outgoing.delete(name);
  for (const [name, value] of target.headers) outgoing.set(name, value);
  if (target.kind === "anthropic" && !outgoing.has("anthropic-version")) outgoing.set("anthropic-version", ANTHROPIC_VERSION);
  if (key !== undefined) outgoing.set(...keyHeader(target.kind, key));
  return request;
}

export async function forwardToProviders(
  c: Context<AppEnv>,
  order: readonly ProviderTarget[],
  routing: ProviderRouting,
  body: Uint8Array | null,
  rules: ForwardRules,
): Promise<Response> {
  const started = Date.now();
  const incoming = c.req.raw;
  let attempt: Attempt = { failure: "unavailable" };
  let limited: { provider: string; waitMs: number } | undefined;
  for (const [i, target] of order.entries()) {
    // Never try another provider for a client that went away: the answer would go nowhere.
    if (i > 0 && incoming.signal?.aborted) break;
    const waitMs = await rules.admit(c, target);
    if (waitMs > 0) {
      if (!limited || waitMs < limited.waitMs) limited = { provider: target.name, waitMs };
      continue;
    }
    c.set("upstream", target.name);
    // Read only now, for the providers actually tried; a refusal (no tenant, unset secret) ends the request.
    const key = await providerKey(c, target);
    // Not AbortSignal.timeout: aborting a fetch also cuts its body, which would end every stream at `timeout`.
    const deadline = new AttemptDeadline(target.timeout);
    const request = providerRequest(c, target, key, body, rules, deadline.signal);
    const sent = Date.now();
    try {
      attempt = { response: await rules.fetcher(request), deadline };
    } catch {
      deadline.stop();
      attempt = { failure: deadline.expired ? "timeout" : "unavailable" };
    }
    const status = "response" in attempt ? attempt.response.status : undefined;
    routing.measured(target, status !== undefined && !shouldFallBack(status) ? Date.now() - sent : target.timeout);
    if (!("response" in attempt)) continue;
    if (i + 1 === order.length || !shouldFallBack(attempt.response.status)) break;
    attempt.deadline.stop();
    void attempt.response.body?.cancel();
  }
  c.set("upstreamMs", Date.now() - started);
  // Every provider passed over for its rate limit, none tried: 429 with the soonest one's wait.
  if (limited && c.get("upstream") === undefined) throw providerRateLimited(limited.provider, limited.waitMs);
  if ("failure" in attempt) throw httpError(attempt.failure === "timeout" ? "upstream_timeout" : "upstream_unavailable");
  return clientResponse(attempt.response, incoming.method, NO_RESPONSE_CAP, attempt.deadline);
}
