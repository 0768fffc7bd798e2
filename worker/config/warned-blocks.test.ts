/**
 * Keys of Loom's code dialect that load and say, when saved, what the edge does instead:
 * listener protocols beyond http/https, and the metrics block.
 */
import { describe, expect, it } from "vitest";
import { validateConfig } from "./parse";

const upstreams = [{ name: "backend", endpoints: ["https://origin.example.com"] }];

function saved(document: Record<string, unknown>): string[] {
  const result = validateConfig({ upstreams, ...document }, {});
  if (!result.ok) throw new Error(JSON.stringify(result.issues));
  return result.warnings;
}

describe("listeners[].protocol", () => {
  it.each([
    ["h2c", /listeners\[0\]\.protocol: h2c: .*served as `http`/],
    ["http3", /listeners\[0\]\.protocol: http3: .*served as `https`: TLS required/],
    ["grpc", /listeners\[0\]\.protocol: grpc: native gRPC cannot pass through a Worker .*501 grpc_unsupported.*plaintext and TLS admitted/],
    ["grpcs", /listeners\[0\]\.protocol: grpcs: native gRPC cannot pass through a Worker .*501 grpc_unsupported.*TLS required/],
  ])("accepts %s with a warning that says what the edge does", (protocol, says) => {
    const warnings = saved({ listeners: [{ name: "loom", address: ":9090", protocol }] });
    expect(warnings.filter((warning) => warning.startsWith("listeners[0].protocol"))).toEqual([expect.stringMatching(says)]);
  });

  it("says nothing about http and https", () => {
    const warnings = saved({
      listeners: [
        { name: "a", protocol: "http" },
        { name: "b", protocol: "https" },
      ],
    });
    expect(warnings.filter((warning) => warning.includes(".protocol"))).toEqual([]);
  });

  it("still refuses a protocol Loom does not have, by path", () => {
    const result = validateConfig({ upstreams, listeners: [{ name: "a", protocol: "spdy" }] }, {});
    expect(result.ok).toBe(false);
    if (!result.ok) expect(result.issues.map((issue) => issue.path)).toContain("listeners[0].protocol");
  });
});

describe("metrics", () => {
  it("loads Loom's metrics block and warns that it is not exported", () => {
    const warnings = saved({
      metrics: { prometheus: { enabled: true, path: "/metrics" }, opentelemetry: { enabled: false, endpoint: "otel-collector:4317" } },
    });
    expect(warnings).toContain("metrics: accepted and stored, but not enforced by this release of Loom Edge");
  });

  it("refuses an unknown key inside it, by path", () => {
    const result = validateConfig({ upstreams, metrics: { prometheus: { enabled: true, port: 9100 } } }, {});
    expect(result.ok).toBe(false);
    if (!result.ok) expect(result.issues.map((issue) => issue.path)).toContain("metrics.prometheus");
  });
});
