import { describe, expect, it } from "vitest";
import type { Handler } from "hono";
import type { AppEnv } from "../../env";
import { testApp } from "../test-app.test-helper";
import { bodyLimit } from "./index";

const LIMIT = 100;

/** A body streamed in chunks, recording how many were pulled and whether it was cancelled. */
function chunkedBody(chunks: number, chunkSize: number) {
  const state = { pulled: 0, cancelled: false };
  // highWaterMark 0: a chunk is produced only when read, so `pulled` counts what was read.
  const stream = new ReadableStream<Uint8Array>(
    {
      pull(controller) {
        if (state.pulled === chunks) return controller.close();
        state.pulled++;
        controller.enqueue(new Uint8Array(chunkSize).fill(0x61));
      },
      cancel() {
        state.cancelled = true;
      },
    },
    { highWaterMark: 0 },
  );
  return { stream, state };
}

function post(body: BodyInit, headers: Record<string, string> = {}) {
  return new Request("http://gw.test/upload", { method: "POST", body, headers });
}

/** The fake upstream: reads the body it is given, as the proxy's fetch would. */
const echoLength: Handler<AppEnv> = async (c) => c.json({ received: (await c.req.raw.arrayBuffer()).byteLength });

function app(terminal: Handler<AppEnv> = echoLength) {
  let reached = false;
  const hono = testApp([bodyLimit({ maxSize: LIMIT })], (c, next) => {
    reached = true;
    return terminal(c, next);
  });
  return { hono, reached: () => reached };
}

async function expectTooLarge(response: Response) {
  expect(response.status).toBe(413);
  expect(await response.json()).toMatchObject({ error: "payload_too_large" });
}

describe("with Content-Length", () => {
  it("refuses a declared length over the limit without reading the body", async () => {
    const { stream, state } = chunkedBody(10, 50);
    const { hono, reached } = app();
    await expectTooLarge(await hono.fetch(post(stream, { "content-length": "500" })));
    expect(state.pulled).toBe(0);
    expect(reached()).toBe(false);
  });

  it("passes a body within the limit on, streaming", async () => {
    const { hono } = app();
    const response = await hono.fetch(post("a".repeat(LIMIT), { "content-length": String(LIMIT) }));
    expect(await response.json()).toEqual({ received: LIMIT });
  });

  it("leaves a request whose declared length is within the limit as it is, body stream included", async () => {
    const request = post("a".repeat(LIMIT), { "content-length": String(LIMIT) });
    const body = request.body;
    const { hono } = app((c) => c.json({ same: c.req.raw === request && c.req.raw.body === body }));
    expect(await (await hono.fetch(request)).json()).toEqual({ same: true });
  });

  // A body longer than its Content-Length cannot reach the Worker: the runtime's HTTP server
  // reads exactly Content-Length bytes as the body (RFC 9112 §6.3), and whatever follows is
  // the next request on the connection. A request built in-process could say otherwise, but no
  // client can send one; test/e2e/gateway.test.ts shows the framing over a real socket.

  it("judges a Content-Length that overstates the body by what it declares", async () => {
    const { hono } = app();
    await expectTooLarge(await hono.fetch(post("small", { "content-length": "1000" })));
  });
});

describe("without Content-Length (chunked)", () => {
  it("reads a body up to the limit and forwards it whole", async () => {
    const { stream } = chunkedBody(4, 25);
    const { hono } = app();
    expect(await (await hono.fetch(post(stream))).json()).toEqual({ received: 100 });
  });

  it("refuses a body one byte over the limit before the upstream sees any of it", async () => {
    const { stream, state } = chunkedBody(1000, 101);
    const { hono, reached } = app();
    await expectTooLarge(await hono.fetch(post(stream)));
    expect(reached()).toBe(false);
    expect(state.pulled).toBeLessThan(1000);
    expect(state.cancelled).toBe(true);
  });

  it("ignores Content-Length when Transfer-Encoding is present (RFC 9112 §6.3)", async () => {
    const { stream } = chunkedBody(3, 50);
    const { hono, reached } = app();
    await expectTooLarge(await hono.fetch(post(stream, { "content-length": "10", "transfer-encoding": "chunked" })));
    expect(reached()).toBe(false);
  });

  it("treats a malformed Content-Length as absent", async () => {
    const { stream } = chunkedBody(3, 50);
    const { hono, reached } = app();
    await expectTooLarge(await hono.fetch(post(stream, { "content-length": "10, 10" })));
    expect(reached()).toBe(false);
  });
});

describe("requests without a body and the factory", () => {
  it("lets requests without a body through", async () => {
    const { hono } = app((c) => c.text("ok"));
    expect((await hono.request("http://gw.test/")).status).toBe(200);
  });

  it("keeps method, URL and headers of the request it rebuilds", async () => {
    const { hono } = app(async (c) =>
      c.json({ method: c.req.method, url: c.req.url, type: c.req.header("content-type"), body: await c.req.text() }),
    );
    const response = await hono.fetch(
      new Request("http://gw.test/upload?x=1", { method: "PUT", body: "data", headers: { "content-type": "text/plain" } }),
    );
    expect(await response.json()).toEqual({ method: "PUT", url: "http://gw.test/upload?x=1", type: "text/plain", body: "data" });
  });

  it.each([-1, 1.5, Number.NaN, Number.POSITIVE_INFINITY])("refuses maxSize %s", (maxSize) => {
    expect(() => bodyLimit({ maxSize })).toThrow(RangeError);
  });
});
