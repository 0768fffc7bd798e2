import { afterEach, beforeEach, describe, expect, it, vi, type MockInstance } from "vitest";
import type { MiddlewareHandler } from "hono";
import { configSchema } from "../config/schema";
import type { AppEnv } from "../env";
import { chain } from "../http/chain";
import { httpError } from "../http/errors";
import { appWithRequestContext, STARTED_AT } from "./request-context.test-helper";
import type { TraceRandom } from "./trace-context";
import { tracing, type TracingDependencies } from "./tracing";

const TRACE = "4bf92f3577b34da6a3ce929d0e0e4736";
const PARENT = "00f067aa0ba902b7";
const GATEWAY_SPAN = "0102030405060708";

const options = (tracingBlock: Record<string, unknown> = {}) =>
  configSchema.parse({ tracing: { enabled: true, endpoint: "https://collector.test", ...tracingBlock } }).tracing!;

function countingRandom(fraction: number): TraceRandom {
  let next = 1;
  return { bytes: (array) => array.map(() => next++ & 0xff), fraction: () => fraction };
}

interface Run {
  response: Response;
  /** The headers the proxy would add for the upstream, as the terminal handler saw them. */
  upstreamHeaders: readonly (readonly [string, string | null])[];
  /** The export requests' bodies, parsed. */
  exported: Record<string, any>[];
  exportUrls: string[];
}

/** requestContext, the tracing step, and a proxy stood in for by `terminal`. */
async function run(
  url: string,
  init: RequestInit = {},
  {
    terminal = async (c) => c.text("hello"),
    tracingBlock = {},
    dependencies = {},
    env = {},
  }: {
    terminal?: MiddlewareHandler<AppEnv>;
    tracingBlock?: Record<string, unknown>;
    dependencies?: TracingDependencies;
    env?: Record<string, unknown>;
  } = {},
): Promise<Run> {
  const exported: Record<string, any>[] = [];
  const exportUrls: string[] = [];
  let upstreamHeaders: readonly (readonly [string, string | null])[] = [];
  const hono = appWithRequestContext();
  hono.use(async function earlierUpstreamHeader(c, next) {
    c.set("upstreamHeaders", [["x-earlier", "kept"]]);
    await next();
  });
  const traced = tracing(options(tracingBlock), {
    random: countingRandom(0.5),
    fetcher: async (request) => {
      exportUrls.push(request.url);
      exported.push(await request.json());
      return new Response(null, { status: 200 });
    },
    ...dependencies,
  });
  // In one chain, as pipeline/compile.ts runs the steps: a later step's throw passes through tracing.
  hono.all(
    "*",
    chain([
      traced,
      async function fakeRouteAndProxy(c, next) {
        upstreamHeaders = c.var.upstreamHeaders ?? [];
        c.set("route", { id: "api", config: { upstream: "backend" }, params: {}, path: c.req.path, forwardPath: c.req.path });
        c.set("upstream", "backend");
        return terminal(c, next);
      },
    ]),
  );
  const waits: Promise<unknown>[] = [];
  const ctx = { waitUntil: (promise: Promise<unknown>) => waits.push(promise), passThroughOnException() {}, props: {} };
  const response = await hono.request(url, init, env, ctx as unknown as ExecutionContext);
  await Promise.all(waits);
  return { response, upstreamHeaders, exported, exportUrls };
}

const spanOf = (body: Record<string, any>) => body.resourceSpans[0].scopeSpans[0].spans[0];
const attributesOf = (span: Record<string, any>) =>
  Object.fromEntries(span.attributes.map((a: { key: string; value: Record<string, string> }) => [a.key, Object.values(a.value)[0]]));

let warn: MockInstance<typeof console.warn>;
beforeEach(() => {
  warn = vi.spyOn(console, "warn").mockImplementation(() => {});
  vi.spyOn(console, "error").mockImplementation(() => {});
});
afterEach(() => {
  vi.restoreAllMocks();
});

describe("tracing", () => {
  it("continues the caller's trace: the upstream gets the gateway's span as parent, other upstream headers kept", async () => {
    const { upstreamHeaders, response } = await run("https://gw.example.com/api/items", {
      headers: { traceparent: `00-${TRACE}-${PARENT}-01`, tracestate: "vendor=abc" },
    });
    expect(response.status).toBe(200);
    expect(upstreamHeaders).toEqual([
      ["x-earlier", "kept"],
      ["traceparent", `00-${TRACE}-${GATEWAY_SPAN}-01`],
    ]);
  });

  it("exports one OTLP/HTTP JSON span with Loom's attributes to <endpoint>/v1/traces", async () => {
    const { exported, exportUrls } = await run("https://gw.example.com/api/items?page=2", {
      method: "POST",
      headers: { traceparent: `00-${TRACE}-${PARENT}-01`, "User-Agent": "curl/8.5" },
    });
    expect(exportUrls).toEqual(["https://collector.test/v1/traces"]);
    expect(exported).toHaveLength(1);
    const body = exported[0]!;
    expect(body.resourceSpans[0].resource.attributes).toEqual([{ key: "service.name", value: { stringValue: "loom" } }]);
    const span = spanOf(body);
    expect(span).toMatchObject({
      traceId: TRACE,
      spanId: GATEWAY_SPAN,
      parentSpanId: PARENT,
      name: "POST api",
      kind: 2,
      status: { code: 0 },
    });
    expect(span.startTimeUnixNano).toBe(`${STARTED_AT}000000`);
    expect(BigInt(span.endTimeUnixNano)).toBeGreaterThanOrEqual(BigInt(span.startTimeUnixNano));
    expect(attributesOf(span)).toEqual({
      "http.request.method": "POST",
      "url.path": "/api/items",
      "url.scheme": "https",
      "server.address": "gw.example.com",
      "user_agent.original": "curl/8.5",
      "client.address": "203.0.113.7",
      "http.response.status_code": "200",
      "loom.route": "api",
      "loom.upstream": "backend",
    });
    expect(JSON.stringify(body)).not.toContain("page=2");
  });

  it("starts a sampled new trace for an invalid traceparent, without a parent", async () => {
    const { upstreamHeaders, exported } = await run("https://gw.example.com/api/x", {
      headers: { traceparent: `00-${TRACE.toUpperCase()}-${PARENT}-01` },
    });
    const sent = upstreamHeaders.find(([name]) => name === "traceparent")![1];
    expect(sent).toMatch(/^00-[0-9a-f]{32}-0102030405060708-01$/);
    expect(sent).not.toContain(TRACE);
    expect(spanOf(exported[0]!).parentSpanId).toBeUndefined();
  });

  it("removes the client's tracestate when it starts a new trace, and keeps it with a trace it continues", async () => {
    const restarted = await run("https://gw.example.com/api/x", { headers: { traceparent: "garbage", tracestate: "vendor=old" } });
    expect(restarted.upstreamHeaders).toContainEqual(["tracestate", null]);
    const started = await run("https://gw.example.com/api/x", { headers: { tracestate: "vendor=orphan" } });
    expect(started.upstreamHeaders).toContainEqual(["tracestate", null]);
    const continued = await run("https://gw.example.com/api/x", {
      headers: { traceparent: `00-${TRACE}-${PARENT}-01`, tracestate: "v=1" },
    });
    expect(continued.upstreamHeaders.map(([name]) => name)).not.toContain("tracestate");
  });

  it("gives up on a collector that does not answer within the export timeout, and logs it", async () => {
    let signal: AbortSignal | undefined;
    const { response } = await run(
      "https://gw.example.com/api/x",
      {},
      {
        dependencies: {
          exportTimeoutMs: 20,
          // A collector that never answers: only the signal ends the wait.
          fetcher: (request: Request) => {
            signal = request.signal;
            return new Promise<Response>((_, reject) => request.signal.addEventListener("abort", () => reject(request.signal.reason)));
          },
        },
      },
    );
    expect(response.status).toBe(200);
    expect(signal?.aborted).toBe(true);
    expect(warn.mock.calls.flat().join(" ")).toMatch(/trace_export_failed/);
  });

  it("exports nothing for an unsampled request, and tells the upstream it was not sampled", async () => {
    const notSampledByCaller = await run("https://gw.example.com/api/x", { headers: { traceparent: `00-${TRACE}-${PARENT}-00` } });
    expect(notSampledByCaller.exported).toEqual([]);
    expect(notSampledByCaller.upstreamHeaders).toContainEqual(["traceparent", `00-${TRACE}-${GATEWAY_SPAN}-00`]);
    const notSampledByRate = await run("https://gw.example.com/api/x", {}, { tracingBlock: { sample_rate: 0.5 } });
    expect(notSampledByRate.exported).toEqual([]);
    expect(notSampledByRate.upstreamHeaders.find(([name]) => name === "traceparent")![1]).toMatch(/-00$/);
  });

  it("records the status of a refusal thrown by a later step, as an error only for 5xx", async () => {
    const refused = await run("https://gw.example.com/api/x", {}, { terminal: () => Promise.reject(httpError("no_route")) });
    expect(refused.response.status).toBe(404);
    expect(attributesOf(spanOf(refused.exported[0]!))["http.response.status_code"]).toBe("404");
    expect(spanOf(refused.exported[0]!).status).toEqual({ code: 0 });
    const failed = await run("https://gw.example.com/api/x", {}, { terminal: async (c) => c.text("bad gateway", 502) });
    expect(spanOf(failed.exported[0]!).status).toEqual({ code: 2 });
  });

  it("redacts credentials and secret values from the path and user agent", async () => {
    const { exported } = await run(
      "https://gw.example.com/api/sk-abcdefghijklmnopqrstuvwxyz/super-secret-value",
      { headers: { "User-Agent": "bot Bearer abc.def" } },
      { env: { ADMIN_TOKEN: "super-secret-value" } },
    );
    const text = JSON.stringify(exported);
    expect(text).not.toContain("sk-abcdefghijklmnopqrstuvwxyz");
    expect(text).not.toContain("super-secret-value");
    expect(text).not.toContain("abc.def");
    expect(attributesOf(spanOf(exported[0]!))["url.path"]).toBe("/api/[REDACTED]/[REDACTED]");
  });

  it("logs an export failure and answers as ever", async () => {
    const rejected = await run(
      "https://gw.example.com/api/x",
      {},
      { dependencies: { fetcher: () => Promise.reject(new TypeError("refused")) } },
    );
    expect(rejected.response.status).toBe(200);
    expect(await rejected.response.text()).toBe("hello");
    const refused = await run(
      "https://gw.example.com/api/x",
      {},
      { dependencies: { fetcher: async () => new Response("no", { status: 503 }) } },
    );
    expect(refused.response.status).toBe(200);
    const lines = warn.mock.calls.map(([line]) => JSON.parse(String(line)));
    expect(lines).toEqual([
      expect.objectContaining({ level: "warn", event: "trace_export_failed", error: "TypeError" }),
      expect.objectContaining({ level: "warn", event: "trace_export_failed", status: 503 }),
    ]);
  });

  it("refuses an endpoint the schema would refuse, when built directly", () => {
    expect(() => tracing({ ...options(), endpoint: "grpc://collector:4317" })).toThrow(/tracing\.endpoint/);
  });
});
