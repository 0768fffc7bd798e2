/**
 * The last step of the gateway chain: forwards the matched request to an endpoint of the
 * route's upstream and streams the answer back.
 *
 * - The upstream's balancer (load-balancer.ts, one per upstream and per compiled config) gives
 *   the order to try the endpoints the circuit has not ejected.
 * - The URL is built by http/upstream-url.ts: the client's path can never change scheme, host or
 *   port. Headers are cleaned by headers.ts, both ways, with rules built once per config: the
 *   gateway credentials named in the options (`gatewayCredentials` of the auth policy) are never
 *   forwarded, neither as headers nor in the query, nor in an underscore spelling; method and
 *   URL overrides only on routes with `forward_override_headers`.
 *   The verified identity (`c.var.identityHeaders`) and then `c.var.upstreamHeaders` (the
 *   vault's credential) are set last.
 * - Bodies stream in both directions; nothing is buffered. Redirects are passed to the client,
 *   never followed (`redirect: "manual"`).
 * - `timeout` (the route's, when it sets one, else the upstream's) bounds each attempt's wait for the response headers (504 `upstream_timeout`)
 *   and then every wait for a body chunk (the client's stream errors), never the whole body:
 *   a long download or event stream that keeps sending is not cut (http/attempt-deadline.ts). A
 *   body of declared length up to 64 KB, too small to be a stream, is passed natively and must
 *   end within `timeout` of its headers. A
 *   connection failure is 502 `upstream_unavailable`. Neither error says which endpoint failed
 *   or why.
 * - Retries (how many, on which answers, with what wait: retry.ts): only for idempotent methods
 *   (RFC 9110 §9.2.2) with no body or one a policy read whole within the body limit (a
 *   streamed body cannot be replayed), each on the next endpoint of the order, and never once
 *   the client has gone away. A retried answer's body is cancelled; the last answer is passed on.
 * - `max_response_size`: a declared Content-Length above it is 502
 *   `upstream_response_too_large` before any byte is passed on; a body without a trustworthy
 *   length is counted as it streams and cut off (the stream errors) once it crosses the limit,
 *   so a larger body is never passed whole.
 */
import type { Context, MiddlewareHandler } from "hono";
import type { AppEnv } from "../env";
import { AttemptDeadline } from "../http/attempt-deadline";
import { forwardedBody } from "../http/body";
import { httpError } from "../http/errors";
import { headerScan } from "../http/header-scan";
import { forUpstream, upstreamHeaderRules, type UpstreamHeaderOptions } from "../http/headers";
import { targetOf } from "../http/request-target";
import { clientResponse } from "../http/upstream-response";
import { loadBalancer, type LoadBalancer } from "./load-balancer";
import { abortableSleep, retryPlan, type RetryPlan } from "./retry";
import { addressOf, type AddressedUpstream } from "./endpoint-variables";
import { parseEndpoint, upstreamUrl, withoutQueryParams, type UpstreamEndpoint } from "../http/upstream-url";

/** Sends one upstream request. The default is the runtime's `fetch`; tests pass a fake origin. */
export type Fetcher = (request: Request) => Promise<Response>;

/**
 * Per-upstream circuits as the proxy uses them (policies/circuit-breaker provides them; the
 * pipeline passes them in, so forwarding never imports a policy).
 */
export interface EndpointCircuits {
  /** The endpoints of `upstream` worth trying, in the order given (all of them if every one is ejected). */
  healthyEndpoints(upstream: string, endpoints: readonly string[]): string[];
  /** One attempt's outcome: the upstream's status, or undefined when it gave none (a timeout, a connection failure). */
  record(c: Context<AppEnv>, upstream: string, endpoint: string, status: number | undefined): void;
}

export interface ProxyOptions extends UpstreamHeaderOptions {
  /** Query parameters that carry gateway credentials; removed before forwarding. */
  credentialQueryParams?: string[];
  fetcher?: Fetcher;
  /** A number in [0, 1): the balancers' and the backoff's randomness. Tests pass their own. */
  random?: () => number;
  /** Waits `ms` or until `signal` aborts. Tests pass one that records the waits. */
  sleep?: (ms: number, signal: AbortSignal | undefined) => Promise<void>;
  /** Per-upstream circuits: which endpoints may be tried, and where each outcome is reported. */
  circuits?: EndpointCircuits;
}

/** RFC 9110 §9.2.2. */
const IDEMPOTENT_METHODS = new Set(["GET", "HEAD", "OPTIONS", "PUT", "DELETE", "TRACE"]);
const BODYLESS_METHODS = new Set(["GET", "HEAD"]);

interface UpstreamPool {
  name: string;
  /** The endpoints as written in the config: the circuit's names for them. */
  names: string[];
  /** Indices of all endpoints, in order: what is tried while none is ejected. */
  all: readonly number[];
  endpoints: UpstreamEndpoint[];
  timeout: number;
  maxResponseSize: number;
  balancer: LoadBalancer;
  retry: RetryPlan;
}

type Attempt = { response: Response; deadline: AttemptDeadline } | { failure: "timeout" | "unavailable" };

export const proxy = (upstreams: AddressedUpstream[], options: ProxyOptions = {}): MiddlewareHandler<AppEnv> => {
  const random = options.random ?? Math.random;
  const sleep = options.sleep ?? abortableSleep;
  const pools = new Map<string, UpstreamPool>();
  for (const upstream of upstreams) {
    const names = upstream.endpoints.map(({ endpoint }) => endpoint);
    pools.set(upstream.name, {
      name: upstream.name,
      names,
      all: names.map((_, index) => index),
      endpoints: upstream.endpoints.map((endpoint) => parseEndpoint(addressOf(endpoint))),
      timeout: upstream.timeout,
      maxResponseSize: upstream.max_response_size,
      balancer: loadBalancer(
        {
          load_balancer: upstream.load_balancer,
          endpoints: names,
          weights: upstream.endpoints.map(({ weight }) => weight),
          consistent_hash: upstream.consistent_hash,
        },
        random,
      ),
      retry: retryPlan(upstream),
    });
  }
  const headerRules = upstreamHeaderRules(options);
  const credentialQueryParams = new Set(options.credentialQueryParams);
  const fetcher: Fetcher = options.fetcher ?? ((request) => fetch(request));
  const { circuits } = options;

  return async function proxy(c) {
    const route = c.get("route");
    if (!route) throw new Error("proxy: no matched route; routeMatch must run first");
    const pool = pools.get(route.config.upstream ?? "");
    if (!pool) throw new Error(`proxy: route ${route.id} names an unknown upstream`);

    const incoming = c.req.raw;
    const target = targetOf(c);
    const query = withoutQueryParams(target.query, credentialQueryParams);
    const forwarded = { clientIp: c.get("clientIp"), proto: target.scheme, host: target.authority, requestId: c.get("requestId") };
    const identityHeaders = c.get("identityHeaders") ?? [];
    const extraHeaders = c.get("upstreamHeaders") ?? [];
    const method = incoming.method;
    // Copied into each upstream request, whose own headers are then cleaned: one copy.
    const { headers, names } = headerScan(c);
    // A GET or HEAD body has no defined meaning (RFC 9110 §9.3.1) and cannot be sent by fetch.
    const body = BODYLESS_METHODS.has(method) ? null : forwardedBody(c);
    const candidates = usableEndpoints(pool, circuits);
    // A route's own `timeout` replaces its upstream's for this route's attempts.
    const timeout = route.config.timeout ?? pool.timeout;
    const order = pool.balancer.order(candidates, { header: (name) => incoming.headers.get(name), clientIp: c.get("clientIp") });
    // Replayable: idempotent, and no body or one a policy read whole within the body limit (a
    // streamed body is consumed by the first attempt).
    const replayable = IDEMPOTENT_METHODS.has(method) && (body === null || body instanceof Uint8Array);
    const attempts = replayable ? pool.retry.attempts(order.length) : 1;

    c.set("upstream", pool.name);
    const started = Date.now();
    let attempt: Attempt = { failure: "unavailable" };
    for (let i = 0; i < attempts; i++) {
      if (i > 0) {
        const wait = pool.retry.backoff(i, random);
        if (wait > 0) await sleep(wait, incoming.signal);
        // Never retry for a client that went away: the answer would go nowhere.
        if (incoming.signal?.aborted) {
          attempt = { failure: "unavailable" };
          break;
        }
      }
      const index = order[i % order.length]!;
      // Not AbortSignal.timeout: aborting a fetch also cuts its response body, so such a signal
      // would end every download at `timeout`, however steadily it arrived.
      const deadline = new AttemptDeadline(timeout);
      const request = new Request(upstreamUrl(pool.endpoints[index]!, route.forwardPath, query), {
        method,
        headers,
        body,
        redirect: "manual",
        signal: deadline.signal,
      });
      forUpstream(request.headers, names, forwarded, headerRules, route.config.forward_override_headers);
      // Set after the cleaning, so they replace the client's copies and are not removed as the
      // client's gateway credentials (the vault's provider key may go in Authorization too).
      for (const [name, value] of identityHeaders) request.headers.set(name, value);
      for (const [name, value] of extraHeaders) {
        if (value === null) request.headers.delete(name);
        else request.headers.set(name, value);
      }
      deadline.onOver = pool.balancer.begin(index);
      try {
        attempt = { response: await fetcher(request), deadline };
      } catch {
        // The runtime's fetch rejects when the signal aborts, also while it waits for the headers.
        deadline.stop();
        attempt = { failure: deadline.expired ? "timeout" : "unavailable" };
      }
      circuits?.record(c, pool.name, pool.names[index]!, "response" in attempt ? attempt.response.status : undefined);
      if ("response" in attempt) {
        if (i + 1 === attempts || !pool.retry.retryable(attempt.response.status)) break;
        // Answered, but with a status to retry: this response is dropped.
        attempt.deadline.stop();
        void attempt.response.body?.cancel();
      }
    }
    c.set("upstreamMs", Date.now() - started);

    if ("failure" in attempt) {
      throw attempt.failure === "timeout" ? httpError("upstream_timeout") : httpError("upstream_unavailable");
    }
    return clientResponse(attempt.response, method, pool.maxResponseSize, attempt.deadline);
  };
};

/**
 * Indices of the endpoints to try: those the circuit has not ejected for their own failures,
 * or all of them when it ejected every one (the circuit itself then decides about the upstream).
 */
function usableEndpoints(pool: UpstreamPool, circuits: ProxyOptions["circuits"]): readonly number[] {
  if (!circuits) return pool.all;
  const healthy = circuits.healthyEndpoints(pool.name, pool.names);
  // healthyEndpoints keeps a subset of the endpoints: as many means none is ejected.
  if (healthy.length === 0 || healthy.length === pool.names.length) return pool.all;
  const names = new Set(healthy);
  return pool.all.filter((index) => names.has(pool.names[index]!));
}
