/**
 * An upstream's `circuit_breaker` block (Loom: `failure_threshold`, `success_threshold`,
 * `timeout`), with the edge's `enabled` and `half_open_requests` and the keys that say what
 * counts as a failure and over which window: a circuit opens on the upstream's failures, never
 * on answers a client can provoke from one path.
 */
import { z } from "zod";
import { boundedDuration, duration } from "../../http/schema-kit/fields";

const MINUTE_MS = 60_000;

export const circuitBreakerSchema = z
  .strictObject({
    enabled: z.boolean().default(true).describe("Keep a circuit per endpoint of this upstream. Default true (with the block present)."),
    failure_threshold: z
      .number()
      .int()
      .positive()
      .max(10_000)
      .default(5)
      .describe(
        "Failures within `window` needed to open the circuit (with minimum_requests and failure_ratio), or to eject one endpoint (counted over its own requests).",
      ),
    minimum_requests: z
      .number()
      .int()
      .positive()
      .max(1_000_000)
      .default(10)
      .describe("Requests within `window` needed before the circuit can open: a few failures of a quiet upstream are no verdict."),
    failure_ratio: z
      .number()
      .gt(0)
      .max(1)
      .default(0.5)
      .describe("Share of the requests within `window` that must have failed to open the circuit, above 0 and at most 1."),
    window: boundedDuration(1_000, 60 * MINUTE_MS, "1s and 1h")
      .prefault("60s")
      .describe("The rolling window requests and failures are counted in (in tenths: a request counts for up to 1.1 windows). 1s to 1h."),
    failure_status_codes: z
      .array(z.number().int().min(500).max(599))
      .max(100)
      .default([502, 503, 504])
      .describe(
        "Upstream statuses that count as failures, besides timeouts and connection failures, which always do. Gateway failures by default: a 500 usually answers one request (a client can provoke it), not the upstream's health. 500-599 only.",
      ),
    timeout: duration
      .refine((ms) => ms > 0, "must be longer than 0")
      .prefault("30s")
      .describe("How long the circuit stays open (then half-open), and an endpoint ejected."),
    half_open_requests: z
      .number()
      .int()
      .positive()
      .max(100)
      .default(1)
      .describe("Probe requests let through at once while half-open; the others are refused."),
    success_threshold: z
      .number()
      .int()
      .positive()
      .max(100)
      .optional()
      .describe(
        "Successful probes in a row that close a half-open circuit; any failed probe opens it again. Default: half_open_requests (1 unless set).",
      ),
  })
  // Resolved once here, so the compiled config and the admin view read one number.
  .transform(({ success_threshold, ...breaker }) => ({ ...breaker, success_threshold: success_threshold ?? breaker.half_open_requests }))
  .describe("Stops sending to an upstream that keeps failing: 503 upstream_circuit_open with Retry-After until probes succeed.");

export type CircuitBreakerConfig = z.output<typeof circuitBreakerSchema>;
