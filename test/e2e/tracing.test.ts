/**
 * Loom's `tracing` block over real HTTP: `wrangler dev` in front of a Node origin, and a small
 * OTLP/HTTP collector on 127.0.0.1 (a node:http server here) that records what it receives.
 */
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { marker, startE2E, type E2E } from "./harness";

const TRACE = "4bf92f3577b34da6a3ce929d0e0e4736";
const PARENT = "00f067aa0ba902b7";

interface Export {
  path: string;
  contentType: string | undefined;
  body: Record<string, any>;
}

/** A collector that records every export and lets a test wait for the one carrying its marker. */
function startCollector(): Promise<{ server: Server; endpoint: string; next(marker: string): Promise<Export> }> {
  const received: Export[] = [];
  const waiting: { marker: string; resolve: (record: Export) => void }[] = [];
  const server = createServer((req, res) => {
    let text = "";
    req.on("data", (chunk) => (text += chunk));
    req.on("end", () => {
      const record = { path: req.url ?? "", contentType: req.headers["content-type"], body: JSON.parse(text) };
      received.push(record);
      for (const waiter of waiting.filter((w) => text.includes(w.marker))) waiter.resolve(record);
      res.writeHead(200, { "Content-Type": "application/json" }).end("{}");
    });
  });
  return new Promise((resolve) => {
    server.listen(0, "127.0.0.1", () => {
      const { port } = server.address() as AddressInfo;
      resolve({
        server,
        endpoint: `127.0.0.1:${port}`,
        next: (mark) =>
          new Promise((done) => {
            const found = received.find((record) => JSON.stringify(record.body).includes(mark));
            if (found) return done(found);
            waiting.push({ marker: mark, resolve: done });
          }),
      });
    });
  });
}

let e2e: E2E;
let collector: Awaited<ReturnType<typeof startCollector>>;

beforeAll(async () => {
  collector = await startCollector();
  e2e = await startE2E();
  const saved = await e2e.gateway.putConfig({
    routes: [{ id: "traced", path: "/traced/*", upstream: "origin", strip_prefix: true }],
    upstreams: [{ name: "origin", endpoints: [e2e.origin.endpoint] }],
    tracing: { enabled: true, endpoint: collector.endpoint, service_name: "loom-e2e", sample_rate: 1.0 },
  });
  expect(saved.status, await saved.text()).toBe(200);
});
afterAll(async () => {
  await e2e?.stop();
  await new Promise((resolve) => collector?.server.close(resolve));
});

describe("tracing through wrangler dev", () => {
  it("continues the client's trace to the origin and exports the span to <endpoint>/v1/traces", async () => {
    const mark = marker();
    const res = await e2e.gateway.fetch(`/traced/${mark}?secret_param=zzz`, {
      headers: { traceparent: `00-${TRACE}-${PARENT}-01`, tracestate: "vendor=opaque" },
    });
    expect(res.status).toBe(200);
    await res.arrayBuffer();
    const [atOrigin] = e2e.origin.received(mark);
    const [, traceId, spanId, flags] = String(atOrigin!.headers.traceparent).split("-");
    expect(traceId).toBe(TRACE);
    expect(spanId).not.toBe(PARENT);
    expect(flags).toBe("01");
    expect(atOrigin!.headers.tracestate).toBe("vendor=opaque");

    const exported = await collector.next(mark);
    expect(exported.path).toBe("/v1/traces");
    expect(exported.contentType).toBe("application/json");
    expect(exported.body.resourceSpans[0].resource.attributes).toContainEqual({ key: "service.name", value: { stringValue: "loom-e2e" } });
    const span = exported.body.resourceSpans[0].scopeSpans[0].spans[0];
    expect(span).toMatchObject({ traceId: TRACE, spanId, parentSpanId: PARENT, name: "GET traced", kind: 2 });
    expect(span.attributes).toContainEqual({ key: "url.path", value: { stringValue: `/traced/${mark}` } });
    expect(span.attributes).toContainEqual({ key: "http.response.status_code", value: { intValue: "200" } });
    expect(JSON.stringify(exported.body)).not.toContain("zzz");
  });

  it("starts a new trace for a client without a traceparent; the origin gets the same ids the collector does", async () => {
    const mark = marker();
    const res = await e2e.gateway.fetch(`/traced/${mark}`);
    expect(res.status).toBe(200);
    await res.arrayBuffer();
    const [, traceId, spanId] = String(e2e.origin.received(mark)[0]!.headers.traceparent).split("-");
    const span = (await collector.next(mark)).body.resourceSpans[0].scopeSpans[0].spans[0];
    expect(span.traceId).toBe(traceId);
    expect(span.spanId).toBe(spanId);
    expect(span.parentSpanId).toBeUndefined();
  });
});
