/**
 * Loom's `tracing` block through the whole worker: saved through the admin API, a request to the
 * fake origin (test/support/fake-origin.ts), which echoes the headers it received and records
 * the collector's export request (`/release/<id>…`, read back with `/held/<id>`).
 */
import { describe, expect, it } from "vitest";
import { admin, json, putConfig, send } from "./admin-harness";

const TRACE = "4bf92f3577b34da6a3ce929d0e0e4736";
const PARENT = "00f067aa0ba902b7";

const base = {
  routes: [{ id: "api", path: "/api/*", upstream: "origin" }],
  upstreams: [{ name: "origin", endpoints: ["https://origin.test"] }],
};

/** The body the fake origin received at `/release/<id>/v1/traces`. */
async function collected(id: string): Promise<Record<string, any>> {
  const res = await fetch(`https://origin.test/held/${id}`);
  return res.json();
}

describe("tracing, enabled", () => {
  it("sends the gateway's traceparent to the upstream and exports the span as OTLP JSON", async () => {
    await putConfig({ ...base, tracing: { enabled: true, endpoint: "https://origin.test/release/trace-continued", service_name: "edge" } });
    const res = await send("https://gw.test/api/echo?token=hidden", {
      headers: { traceparent: `00-${TRACE}-${PARENT}-01`, tracestate: "vendor=opaque,other=1", "User-Agent": "test-agent/1" },
    });
    expect(res.status).toBe(200);
    const echoed = ((await res.json()) as { headers: Record<string, string> }).headers;
    const [, traceId, spanId, flags] = echoed.traceparent!.split("-");
    expect(traceId).toBe(TRACE);
    expect(spanId).toMatch(/^[0-9a-f]{16}$/);
    expect(spanId).not.toBe(PARENT);
    expect(flags).toBe("01");
    expect(echoed.tracestate).toBe("vendor=opaque,other=1");

    const body = await collected("trace-continued");
    expect(body.resourceSpans[0].resource.attributes).toEqual([{ key: "service.name", value: { stringValue: "edge" } }]);
    const span = body.resourceSpans[0].scopeSpans[0].spans[0];
    expect(span).toMatchObject({ traceId: TRACE, spanId, parentSpanId: PARENT, kind: 2, name: "GET api" });
    expect(span.attributes).toEqual(
      expect.arrayContaining([
        { key: "http.request.method", value: { stringValue: "GET" } },
        { key: "url.path", value: { stringValue: "/api/echo" } },
        { key: "url.scheme", value: { stringValue: "https" } },
        { key: "server.address", value: { stringValue: "gw.test" } },
        { key: "user_agent.original", value: { stringValue: "test-agent/1" } },
        { key: "http.response.status_code", value: { intValue: "200" } },
        { key: "loom.route", value: { stringValue: "api" } },
        { key: "loom.upstream", value: { stringValue: "origin" } },
      ]),
    );
    expect(span.attributes.map((a: { key: string }) => a.key)).toContain("client.address");
    expect(JSON.stringify(body)).not.toContain("hidden");
  });

  it("starts a new sampled trace when the client sends none, and traces a refusal too", async () => {
    await putConfig({ ...base, tracing: { enabled: true, endpoint: "https://origin.test/release/trace-refused" } });
    const res = await send("https://gw.test/nowhere");
    expect(res.status).toBe(404);
    const span = (await collected("trace-refused")).resourceSpans[0].scopeSpans[0].spans[0];
    expect(span.traceId).toMatch(/^[0-9a-f]{32}$/);
    expect(span.parentSpanId).toBeUndefined();
    expect(span.attributes).toContainEqual({ key: "http.response.status_code", value: { intValue: "404" } });
  });

  it("does not pass the client's tracestate on with a trace it starts (an invalid traceparent came in)", async () => {
    await putConfig({ ...base, tracing: { enabled: true, endpoint: "https://origin.test/release/trace-restarted" } });
    const res = await send("https://gw.test/api/echo", {
      headers: { traceparent: `00-${TRACE}-${PARENT}-zz`, tracestate: "vendor=stale" },
    });
    const echoed = ((await res.json()) as { headers: Record<string, string> }).headers;
    expect(echoed.traceparent).not.toContain(TRACE);
    expect(echoed.tracestate).toBeUndefined();
    await collected("trace-restarted");
  });

  it("answers as ever when the collector cannot be reached", async () => {
    await putConfig({ ...base, tracing: { enabled: true, endpoint: "https://origin.test/status/500" } });
    const res = await send("https://gw.test/api/echo");
    expect(res.status).toBe(200);
  });
});

describe("tracing, off", () => {
  it("leaves the client's traceparent to the upstream untouched", async () => {
    await putConfig({ ...base, tracing: { enabled: false, endpoint: "https://origin.test/release/trace-off" } });
    const res = await send("https://gw.test/api/echo", { headers: { traceparent: `00-${TRACE}-${PARENT}-01` } });
    expect(((await res.json()) as { headers: Record<string, string> }).headers.traceparent).toBe(`00-${TRACE}-${PARENT}-01`);
  });
});

describe("tracing, when saved", () => {
  it("warns that Loom's gRPC port is sent to OTLP/HTTP's 4318, and that batch_timeout is not used", async () => {
    const { warnings } = await putConfig({ ...base, tracing: { enabled: true, endpoint: "otel-collector:4317", batch_timeout: "5s" } });
    expect(warnings).toContainEqual(
      expect.stringMatching(/^tracing\.endpoint: port 4317 is OTLP\/gRPC.*http:\/\/otel-collector:4318\/v1\/traces/),
    );
    expect(warnings).toContainEqual(expect.stringMatching(/^tracing\.endpoint: plain http/));
    expect(warnings).toContainEqual(expect.stringMatching(/^tracing\.batch_timeout: ignored at the edge/));
  });

  it("warns that Loom's default endpoint, localhost:4317, is unreachable from Cloudflare's network", async () => {
    const { warnings } = await putConfig({ ...base, tracing: { enabled: true } });
    expect(warnings).toContainEqual(expect.stringMatching(/^tracing\.endpoint: port 4317 .*http:\/\/localhost:4318\/v1\/traces/));
    expect(warnings).toContainEqual(expect.stringMatching(/^tracing\.endpoint: localhost is a private or loopback address/));
    expect(warnings).not.toContainEqual(expect.stringMatching(/batch_timeout/));
  });

  it("refuses an endpoint with user info or another scheme, and a sample_rate above 1", async () => {
    const res = await admin(
      "/config/validate",
      json("POST", { ...base, tracing: { enabled: true, endpoint: "https://u:p@collector.example.com", sample_rate: 1.5 } }),
    );
    expect(res.status).toBe(400);
    const { issues } = (await res.json()) as { issues: { path: string; message: string }[] };
    expect(issues).toContainEqual({ path: "tracing.endpoint", message: expect.stringMatching(/user info/) });
    expect(issues).toContainEqual(expect.objectContaining({ path: "tracing.sample_rate" }));
  });
});
