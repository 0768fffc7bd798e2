/** The `logging` block (the access log's fields), Loom's `metrics` and `tracing` blocks. */
import { z } from "zod";
import { duration } from "../http/schema-kit/fields";
import { otlpTracesUrl } from "./otlp-endpoint";

export const ACCESS_LOG_FIELDS = [
  "timestamp",
  "request_id",
  "client_ip",
  "method",
  "host",
  "path",
  "query",
  "status",
  "route",
  "upstream",
  "duration_ms",
  "upstream_duration_ms",
  "bytes_sent",
  "user_agent",
  "referer",
  "ai_input_tokens",
  "ai_output_tokens",
  "ai_cost",
] as const;

export const loggingSchema = z
  .strictObject({
    level: z
      .enum(["debug", "info", "warn", "error"])
      .default("info")
      .describe("The least severe of the gateway's own log lines written to the console (Workers Logs). Default info."),
    format: z.enum(["json"]).default("json").describe("One JSON object per line, the only format Workers Logs indexes. Default json."),
    access_log: z
      .strictObject({
        enabled: z.boolean().default(true).describe("One line per request. Default true."),
        fields: z
          .array(z.enum(ACCESS_LOG_FIELDS))
          .min(1)
          .default(["timestamp", "request_id", "client_ip", "method", "path", "status", "duration_ms"])
          .describe("The fields of each line, in this order; credentials and secrets are redacted from every value."),
      })
      .optional()
      .describe("The request log: one JSON line per request on the Worker's console."),
  })
  .describe("The gateway's logs on the Worker's console (Workers Logs, `wrangler tail`).");

export type AccessLogOptions = NonNullable<NonNullable<z.output<typeof loggingSchema>>["access_log"]>;

/**
 * Loom's `metrics` block (its code's dialect). Accepted so that a Loom config loads; the edge
 * exports no metrics yet, and saving says so (config/warnings.ts).
 */
export const metricsSchema = z.strictObject({
  prometheus: z
    .strictObject({
      enabled: z.boolean().default(false).describe("Loom's Prometheus endpoint on or off. Default false."),
      path: z.string().default("/metrics").describe("Loom's scrape path. Default `/metrics`."),
    })
    .optional()
    .describe("Not served yet: a Worker has no scrape port, and a metrics path under the gateway would be public."),
  opentelemetry: z
    .strictObject({
      enabled: z.boolean().default(false).describe("Loom's OTLP metrics export on or off. Default false."),
      endpoint: z.string().optional().describe("Loom's OTLP collector address for metrics."),
    })
    .optional()
    .describe("Not exported yet."),
});

/**
 * Loom's `tracing` block (its code's dialect): W3C Trace Context and one OTLP/HTTP JSON span per
 * request (observability/tracing.ts). Off unless `enabled`, as in Loom.
 */
export const tracingSchema = z.strictObject({
  enabled: z.boolean().default(false).describe("Trace every gateway request. Default false."),
  endpoint: z
    .string()
    .max(2048)
    .default("localhost:4317")
    .superRefine((endpoint, ctx) => {
      const resolved = otlpTracesUrl(endpoint);
      if (!resolved.ok) ctx.addIssue({ code: "custom", message: resolved.message });
    })
    .describe(
      "The OTLP collector: `host:port` or an http(s) base URL; spans are POSTed as OTLP/HTTP JSON to `<base>/v1/traces`. Loom's OTLP/gRPC port 4317 is replaced by OTLP/HTTP's 4318 (with a warning): a Worker cannot speak gRPC. Default `localhost:4317`. No user info, query or fragment.",
    ),
  service_name: z.string().min(1).max(128).default("loom").describe("The spans' `service.name`. 1-128 characters; default `loom`."),
  sample_rate: z
    .number()
    .min(0)
    .max(1)
    .default(1)
    .describe(
      "Share of new traces sampled, 0.0 to 1.0; default 1.0. A valid incoming traceparent's sampled flag decides instead. Only sampled spans are exported.",
    ),
  batch_timeout: duration
    .prefault("5s")
    .describe(
      "Accepted with a warning: a Worker keeps nothing between requests, so each sampled request's span is exported on its own after the response. Default 5s.",
    ),
});

export type TracingOptions = z.output<typeof tracingSchema>;
