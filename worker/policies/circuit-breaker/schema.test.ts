import { describe, expect, it } from "vitest";
import { upstreamSchema } from "../../config/schema";
import { circuitBreakerSchema } from "./schema";

const parse = (block: Record<string, unknown>) => circuitBreakerSchema.safeParse(block);

describe("circuit_breaker schema", () => {
  it("defaults to gateway failures over a 60 s window: 10 requests, 5 failures, half of them", () => {
    expect(circuitBreakerSchema.parse({})).toEqual({
      enabled: true,
      failure_threshold: 5,
      minimum_requests: 10,
      failure_ratio: 0.5,
      window: 60_000,
      failure_status_codes: [502, 503, 504],
      timeout: 30_000,
      half_open_requests: 1,
      success_threshold: 1,
    });
  });

  it("takes Loom's block (failure_threshold, success_threshold, timeout) as written", () => {
    const upstream = upstreamSchema.parse({
      name: "u",
      endpoints: ["h:1"],
      circuit_breaker: { failure_threshold: 5, success_threshold: 3, timeout: "30s" },
    });
    expect(upstream.circuit_breaker).toMatchObject({ failure_threshold: 5, success_threshold: 3, timeout: 30_000 });
  });

  it("defaults success_threshold to half_open_requests, so a round of probes must all succeed as before", () => {
    expect(circuitBreakerSchema.parse({ half_open_requests: 3 }).success_threshold).toBe(3);
    expect(circuitBreakerSchema.parse({ half_open_requests: 3, success_threshold: 1 }).success_threshold).toBe(1);
  });

  it.each([
    [{ failure_ratio: 0 }, "failure_ratio"],
    [{ failure_ratio: 1.5 }, "failure_ratio"],
    [{ minimum_requests: 0 }, "minimum_requests"],
    [{ window: "500ms" }, "window"],
    [{ window: "2h" }, "window"],
    [{ failure_status_codes: [404] }, "failure_status_codes"],
    [{ failure_status_codes: [200] }, "failure_status_codes"],
    [{ success_threshold: 0 }, "success_threshold"],
    [{ failure_threshold: 5, unknown_key: 1 }, ""],
  ])("refuses %j", (block, key) => {
    const result = parse(block);
    expect(result.success).toBe(false);
    if (key) expect(result.error!.issues[0]!.path[0]).toBe(key);
  });

  it("accepts a 500 in failure_status_codes, and an empty list (only timeouts and connection failures count)", () => {
    expect(circuitBreakerSchema.parse({ failure_status_codes: [500, 503] }).failure_status_codes).toEqual([500, 503]);
    expect(circuitBreakerSchema.parse({ failure_status_codes: [] }).failure_status_codes).toEqual([]);
  });
});
