/** The `logging` block (the access log's fields) and Loom's `metrics` block. */
import { z } from "zod";

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
] as const;

export const loggingSchema = z.strictObject({
  level: z.enum(["debug", "info", "warn", "error"]).default("info"),
  format: z.enum(["json"]).default("json"),
  access_log: z
    .strictObject({
      enabled: z.boolean().default(true),
      fields: z
        .array(z.enum(ACCESS_LOG_FIELDS))
        .min(1)
        .default(["timestamp", "request_id", "client_ip", "method", "path", "status", "duration_ms"]),
    })
    .optional(),
});

export type AccessLogOptions = NonNullable<NonNullable<z.output<typeof loggingSchema>>["access_log"]>;

/**
 * Loom's `metrics` block (its code's dialect). Accepted so that a Loom config loads; the edge
 * exports no metrics yet, and saving says so (config/warnings.ts).
 */
export const metricsSchema = z.strictObject({
  prometheus: z
    .strictObject({
      enabled: z.boolean().default(false),
      path: z.string().default("/metrics"),
    })
    .optional()
    .describe("Not served yet: a Worker has no scrape port, and a metrics path under the gateway would be public."),
  opentelemetry: z
    .strictObject({
      enabled: z.boolean().default(false),
      endpoint: z.string().optional(),
    })
    .optional()
    .describe("Not exported yet."),
});
