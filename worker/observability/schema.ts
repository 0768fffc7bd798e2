/** The `logging` block: the access log's fields. */
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
