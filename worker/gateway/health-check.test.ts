import { describe, expect, it } from "vitest";
import { healthCheckSpec } from "./health-check";

const check = { path: "/health", interval: 10_000, timeout: 2_000, healthy_threshold: 2, unhealthy_threshold: 3 };

describe("healthCheckSpec", () => {
  it("is undefined for an upstream without health_check", () => {
    expect(healthCheckSpec({ endpoints: [{ endpoint: "a:80", weight: 1 }] })).toBeUndefined();
  });

  it("checks every endpoint, loopback ones too, at its origin and base path followed by the path", () => {
    const endpoints = ["127.0.0.1:8080", "https://api.example.com/v1/", "http://[::1]:9000"].map((endpoint) => ({ endpoint, weight: 1 }));
    expect(healthCheckSpec({ endpoints, health_check: check })).toEqual({
      intervalMs: 10_000,
      timeoutMs: 2_000,
      healthyThreshold: 2,
      unhealthyThreshold: 3,
      targets: [
        { endpoint: "127.0.0.1:8080", url: "http://127.0.0.1:8080/health" },
        { endpoint: "https://api.example.com/v1/", url: "https://api.example.com/v1/health" },
        { endpoint: "http://[::1]:9000", url: "http://[::1]:9000/health" },
      ],
    });
  });

  it("checks a templated endpoint at its resolved address, under its written name", () => {
    const endpoints = [{ endpoint: "${BACKEND_HOST}:${BACKEND_PORT}", weight: 1, address: "10.0.0.7:8080" }];
    expect(healthCheckSpec({ endpoints, health_check: check })?.targets).toEqual([
      { endpoint: "${BACKEND_HOST}:${BACKEND_PORT}", url: "http://10.0.0.7:8080/health" },
    ]);
  });
});
