/**
 * Loom's `tracing` block: one server span per gateway request, W3C Trace Context propagated to
 * the upstream (trace-context.ts), the span exported as OTLP/HTTP JSON to the collector after the
 * response (`waitUntil`), one export request per sampled request.
 *
 * - The upstream receives the gateway's `traceparent` (its span as the parent), set through
 *   `c.var.upstreamHeaders` so it replaces the client's copy. `tracestate` passes on unchanged
 *   with a trace the gateway continues, and is removed when it starts a new one (no valid
 *   `traceparent` came in): it belonged to a trace that is not the upstream's (W3C Trace Context
 *   §3.3.1: a vendor that failed to parse traceparent must not use tracestate).
 * - What the span carries is what the access log may write: the path and the user agent go
 *   through redactText (with the values of the gateway's and the config's secrets), the query
 *   string not at all, no request or response header besides the user agent.
 * - An export failure is logged (`trace_export_failed`) and never changes the answer: the export
 *   runs after the response, and its errors are caught. A collector that does not answer within
 *   EXPORT_TIMEOUT_MS is given up on, so a hung one cannot hold each request's isolate work open.
 * - Unsampled requests cost the ids and one header; nothing is built or sent for them. With
 *   tracing off the step is not compiled in at all (pipeline/compile.ts).
 */
import type { Context, MiddlewareHandler } from "hono";
import type { AppEnv } from "../env";
import { targetOf } from "../http/request-target";
import { errorName, log } from "./logger";
import { otlpTracesUrl } from "./otlp-endpoint";
import { otlpTraceRequest, type FinishedSpan } from "./otlp-span";
import { redactText, secretsOfEnv } from "./redact";
import type { TracingOptions } from "./schema";
import { CRYPTO_RANDOM, formatTraceparent, spanContextFor, type SpanContext, type TraceRandom } from "./trace-context";

export interface TracingDependencies {
  /** The `${VAR}` names the config references; their values never appear in a span. */
  secretVariables?: readonly string[];
  random?: TraceRandom;
  /** Sends the export request; `fetch` unless a test replaces it. */
  fetcher?: (request: Request) => Promise<Response>;
  /** EXPORT_TIMEOUT_MS unless a test shortens it. */
  exportTimeoutMs?: number;
}

/** The longest an export waits for the collector's answer. */
export const EXPORT_TIMEOUT_MS = 5_000;

/** The status a thrown error becomes (an HttpError carries its own), as Hono's error handler answers it. */
const statusOf = (error: unknown): number =>
  typeof error === "object" && error !== null && "status" in error && typeof error.status === "number" ? error.status : 500;

const DROP_TRACESTATE = ["tracestate", null] as const;

export const tracing = (options: TracingOptions, dependencies: TracingDependencies = {}): MiddlewareHandler<AppEnv> => {
  const endpoint = otlpTracesUrl(options.endpoint);
  if (!endpoint.ok) throw new Error(`tracing.endpoint ${endpoint.message}`);
  const tracesUrl = endpoint.url;
  const { service_name: serviceName, sample_rate: sampleRate } = options;
  const random = dependencies.random ?? CRYPTO_RANDOM;
  const fetcher = dependencies.fetcher ?? ((request: Request) => fetch(request));
  const secretsOf = secretsOfEnv(dependencies.secretVariables ?? []);
  const exportTimeoutMs = dependencies.exportTimeoutMs ?? EXPORT_TIMEOUT_MS;

  function finishedSpan(c: Context<AppEnv>, context: SpanContext, startMs: number, status: number): FinishedSpan {
    const secrets = secretsOf(c.env ?? {});
    const target = targetOf(c);
    const route = c.get("route");
    const userAgent = c.req.header("user-agent");
    return {
      context,
      name: route ? `${c.req.method} ${route.id}` : c.req.method,
      startMs,
      endMs: Date.now(),
      status,
      attributes: {
        "http.request.method": c.req.method,
        // The path only: a query string can carry anything, so it is never part of a span.
        "url.path": redactText(target.path, secrets),
        "url.scheme": target.scheme,
        "server.address": new URL(`${target.scheme}://${target.authority}`).hostname,
        "user_agent.original": userAgent === undefined ? undefined : redactText(userAgent, secrets),
        "client.address": c.get("clientIp"),
        "http.response.status_code": status,
        "loom.route": route?.id,
        "loom.upstream": c.get("upstream"),
      },
    };
  }

  async function send(span: FinishedSpan): Promise<void> {
    try {
      const response = await fetcher(
        new Request(tracesUrl, {
          method: "POST",
          headers: { "Content-Type": "application/json" },
          body: JSON.stringify(otlpTraceRequest(serviceName, span)),
          signal: AbortSignal.timeout(exportTimeoutMs),
        }),
      );
      // The body is not read: a collector's partial-success details are not acted on.
      await response.body?.cancel();
      if (!response.ok) log.warn("trace_export_failed", { status: response.status, trace_id: span.context.traceId });
    } catch (error) {
      log.warn("trace_export_failed", { error: errorName(error), trace_id: span.context.traceId });
    }
  }

  function record(c: Context<AppEnv>, context: SpanContext, startMs: number, status: number): void {
    if (!context.sampled) return;
    c.executionCtx.waitUntil(send(finishedSpan(c, context, startMs, status)));
  }

  return async function tracing(c, next) {
    const startMs = c.get("startedAt") ?? Date.now();
    const context = spanContextFor(c.req.header("traceparent"), sampleRate, random);
    const others = c.get("upstreamHeaders");
    const traceparent = ["traceparent", formatTraceparent(context)] as const;
    c.set("upstreamHeaders", [...(others ?? []), traceparent, ...(context.parentSpanId === undefined ? [DROP_TRACESTATE] : [])]);
    try {
      await next();
    } catch (error) {
      record(c, context, startMs, statusOf(error));
      throw error;
    } finally {
      c.set("upstreamHeaders", others);
    }
    record(c, context, startMs, c.res.status);
  };
};
