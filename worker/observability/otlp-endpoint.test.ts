import { describe, expect, it } from "vitest";
import { otlpTracesUrl } from "./otlp-endpoint";

describe("otlpTracesUrl", () => {
  it.each([
    ["localhost:4317", "http://localhost:4318/v1/traces", true],
    ["otel-collector:4317", "http://otel-collector:4318/v1/traces", true],
    ["otel-collector", "http://otel-collector:4318/v1/traces", false],
    ["127.0.0.1:9999", "http://127.0.0.1:9999/v1/traces", false],
    ["https://collector.example.com", "https://collector.example.com/v1/traces", false],
    ["https://collector.example.com/otlp/", "https://collector.example.com/otlp/v1/traces", false],
    ["https://collector.example.com/v1/traces", "https://collector.example.com/v1/traces", false],
    ["http://collector.example.com:4317", "http://collector.example.com:4318/v1/traces", true],
  ])("sends %s's spans to %s", (endpoint, url, moved) => {
    expect(otlpTracesUrl(endpoint)).toEqual({ ok: true, url, movedFromGrpcPort: moved });
  });

  it.each([
    ["grpc://collector:4317", /host:port or an http\(s\) URL/],
    ["https://user:secret@collector.example.com", /user info/],
    ["https://collector.example.com/?token=x", /query or fragment/],
    ["https://collector.example.com/#x", /query or fragment/],
    ["collector:4317/path", /no path/],
    ["collector:99999", /host:port/],
    ["", /host:port/],
  ])("refuses %s", (endpoint, message) => {
    const resolved = otlpTracesUrl(endpoint);
    expect(resolved.ok).toBe(false);
    expect(resolved.ok ? "" : resolved.message).toMatch(message);
  });
});
