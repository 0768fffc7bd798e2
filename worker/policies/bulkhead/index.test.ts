import { createExecutionContext, waitOnExecutionContext } from "cloudflare:test";
import { env } from "cloudflare:workers";
import type { Hono } from "hono";
import { describe, expect, it } from "vitest";
import type { Bulkhead } from "../../../durable-objects/bulkhead";
import { upstreamSchema } from "../../config/schema";
import type { AppEnv, MatchedRoute } from "../../env";
import { testApp } from "../test-app.test-helper";
import { bulkhead, LEASE_TTL_MS, SlotPools } from "./index";

let now = 1_000_000;
const clock = () => now;

/**
 * A stand-in for the proxy and the origin behind it: each request waits until the test lets it
 * answer, and the origin counts what is in flight at once. `stream: true` answers with a body
 * the origin sends only when the test ends it.
 */
class Origin {
  inFlight = 0;
  peak = 0;
  readonly order: string[] = [];
  readonly #waiting: (() => void)[] = [];

  async handle(name: string): Promise<void> {
    this.order.push(name);
    this.inFlight += 1;
    this.peak = Math.max(this.peak, this.inFlight);
    await new Promise<void>((resolve) => this.#waiting.push(resolve));
    this.inFlight -= 1;
  }

  /** Lets the oldest waiting request answer. */
  answerOne(): void {
    this.#waiting.shift()?.();
  }

  get waiting(): number {
    return this.#waiting.length;
  }
}

/** The BULKHEAD namespace, counting calls; while `failing()` holds, every call rejects. */
function counting(failing = () => false) {
  let calls = 0;
  const namespace = (bindings: AppEnv["Bindings"]) =>
    ({
      getByName: (name: string) => ({
        lease: (request: never) => {
          calls += 1;
          return failing() ? Promise.reject(new Error("object unreachable")) : bindings.BULKHEAD.getByName(name).lease(request);
        },
      }),
    }) as unknown as DurableObjectNamespace<Bulkhead>;
  return { namespace, calls: () => calls };
}

interface Setup {
  upstream: string;
  bulkhead: Record<string, unknown>;
  origin?: Origin;
  pools?: SlotPools;
  namespace?: ReturnType<typeof counting>["namespace"];
  clock?: () => number;
  /** The origin's answer once let go: a short text by default. */
  answer?: (name: string) => Response;
}

function gateway({ upstream, bulkhead: block, origin = new Origin(), pools = new SlotPools(), namespace, answer, clock }: Setup) {
  const config = upstreamSchema.parse({ name: upstream, endpoints: ["a.test:80"], bulkhead: block });
  const app = testApp(
    [
      async (c, next) => {
        c.set("route", { id: "route", config: { upstream } } as MatchedRoute);
        await next();
      },
      bulkhead({ upstreams: [config], pools, namespace, clock }),
    ],
    async (c) => {
      const name = c.req.header("X-Name") ?? "";
      if (name === "boom") throw new Error("the proxy failed");
      await origin.handle(name);
      return answer ? answer(name) : c.text(`answer ${name}`);
    },
  );
  return { app, origin };
}

interface Sent {
  response: Promise<Response>;
  ctx: ExecutionContext;
}

function send(app: Hono<AppEnv>, name: string, signal?: AbortSignal): Sent {
  const ctx = createExecutionContext();
  return { response: Promise.resolve(app.request("http://gw.test/", { headers: { "X-Name": name }, signal }, env, ctx)), ctx };
}

/** The response read whole, then the request's background work (lease calls) done. */
async function settled({ response, ctx }: Sent): Promise<{ status: number; body: string; retryAfter: string | null }> {
  const res = await response;
  const body = await res.text();
  await waitOnExecutionContext(ctx);
  return { status: res.status, body, retryAfter: res.headers.get("Retry-After") };
}

/** Yields until `condition` holds (a bounded number of turns of the event loop). */
async function until(condition: () => boolean): Promise<void> {
  for (let turn = 0; turn < 500 && !condition(); turn++) await new Promise((resolve) => setTimeout(resolve, 2));
  expect(condition()).toBe(true);
}

describe("bulkhead", () => {
  it("lets max_concurrent requests reach the upstream at once and refuses the next with 503 bulkhead_full when there is no queue", async () => {
    const { app, origin } = gateway({ upstream: "no-queue", bulkhead: { enabled: true, max_concurrent: 2 } });
    const first = [send(app, "a"), send(app, "b")];
    await until(() => origin.waiting === 2);
    const refused = await settled(send(app, "c"));
    expect(refused.status).toBe(503);
    expect(refused.retryAfter).toBe("1");
    expect(JSON.parse(refused.body)).toMatchObject({ error: "bulkhead_full", retry_after: 1 });
    origin.answerOne();
    expect((await settled(first[0]!)).status).toBe(200);
    // The slot came back: the next request goes through.
    const next = send(app, "d");
    await until(() => origin.waiting === 2);
    origin.answerOne();
    origin.answerOne();
    expect((await settled(first[1]!)).status).toBe(200);
    expect((await settled(next)).status).toBe(200);
    expect(origin.peak).toBe(2);
    expect(origin.order).toEqual(["a", "b", "d"]);
  });

  it("queues over the limit in arrival order, refuses at once when the queue is full", async () => {
    const { app, origin } = gateway({ upstream: "fifo", bulkhead: { enabled: true, max_concurrent: 1, queue_size: 2, timeout: "5s" } });
    const a = send(app, "a");
    await until(() => origin.waiting === 1);
    const b = send(app, "b");
    const c = send(app, "c");
    const refused = await settled(send(app, "d"));
    expect(refused.status).toBe(503);
    expect(JSON.parse(refused.body)).toMatchObject({ error: "bulkhead_full" });
    // Each one's slot comes free once its body has been read.
    for (const sent of [a, b, c]) {
      await until(() => origin.waiting === 1);
      origin.answerOne();
      expect(await (await sent.response).text()).toMatch(/^answer /);
    }
    expect(origin.order).toEqual(["a", "b", "c"]);
    expect(origin.peak).toBe(1);
  });

  it("refuses a queued request with 503 bulkhead_full once it waited `timeout`", async () => {
    const { app, origin } = gateway({
      upstream: "times-out",
      bulkhead: { enabled: true, max_concurrent: 1, queue_size: 5, timeout: "50ms" },
    });
    const a = send(app, "a");
    await until(() => origin.waiting === 1);
    const late = await settled(send(app, "b"));
    expect(late.status).toBe(503);
    expect(late.retryAfter).toBe("1");
    expect(JSON.parse(late.body)).toMatchObject({ error: "bulkhead_full" });
    expect(JSON.parse(late.body).message).toContain("within 50 ms");
    origin.answerOne();
    expect((await settled(a)).status).toBe(200);
    expect(origin.order).toEqual(["a"]);
  });

  it("takes a waiter whose client went away out of the queue: it never reaches the upstream and frees its place", async () => {
    const { app, origin } = gateway({ upstream: "abort", bulkhead: { enabled: true, max_concurrent: 1, queue_size: 1, timeout: "5s" } });
    const a = send(app, "a");
    await until(() => origin.waiting === 1);
    const client = new AbortController();
    const gone = send(app, "gone", client.signal);
    client.abort();
    await gone.response.catch(() => undefined);
    // Its place in the queue is free again: c waits rather than being refused.
    const c = send(app, "c");
    origin.answerOne();
    expect((await settled(a)).status).toBe(200);
    await until(() => origin.waiting === 1);
    origin.answerOne();
    expect((await settled(c)).status).toBe(200);
    expect(origin.order).toEqual(["a", "c"]);
  });

  it("holds the slot until the response body has been passed on, and frees it when the client cancels the body", async () => {
    let sendRest: (() => void) | undefined;
    const answer = (name: string) =>
      new Response(
        new ReadableStream<Uint8Array>({
          start(controller) {
            controller.enqueue(new TextEncoder().encode(`${name} first part;`));
            sendRest = () => {
              controller.enqueue(new TextEncoder().encode("rest"));
              controller.close();
            };
          },
        }),
      );
    const { app, origin } = gateway({ upstream: "body", bulkhead: { enabled: true, max_concurrent: 1 }, answer });
    const a = send(app, "a");
    await until(() => origin.waiting === 1);
    origin.answerOne();
    const streaming = await a.response;
    // The headers are out, the body is not: the slot is still held.
    expect((await settled(send(app, "b"))).status).toBe(503);
    sendRest!();
    expect(await streaming.text()).toBe("a first part;rest");
    await waitOnExecutionContext(a.ctx);
    const c = send(app, "c");
    await until(() => origin.waiting === 1);
    origin.answerOne();
    const cancelled = await c.response;
    await cancelled.body!.cancel();
    await waitOnExecutionContext(c.ctx);
    const d = send(app, "d");
    await until(() => origin.waiting === 1);
    origin.answerOne();
    const last = await d.response;
    sendRest!();
    expect(await last.text()).toBe("d first part;rest");
  });

  it("passes the upstream's status and headers on unchanged", async () => {
    const answer = () => {
      const headers = new Headers({ "Content-Type": "application/json", ETag: '"v1"' });
      headers.append("Set-Cookie", "a=1");
      headers.append("Set-Cookie", "b=2");
      return new Response('{"created":true}', { status: 201, headers });
    };
    const { app, origin } = gateway({ upstream: "headers", bulkhead: { enabled: true, max_concurrent: 1 }, answer });
    const sent = send(app, "a");
    await until(() => origin.waiting === 1);
    origin.answerOne();
    const res = await sent.response;
    expect(res.status).toBe(201);
    expect(res.headers.getSetCookie()).toEqual(["a=1", "b=2"]);
    expect(res.headers.get("ETag")).toBe('"v1"');
    expect(await res.json()).toEqual({ created: true });
  });

  it("frees the slot when the client goes away while the upstream has not answered", async () => {
    const { app, origin } = gateway({ upstream: "client-gone", bulkhead: { enabled: true, max_concurrent: 1 } });
    const client = new AbortController();
    const gone = send(app, "gone", client.signal);
    await until(() => origin.waiting === 1);
    // The runtime drops the request's upstream call with it; its code after the call never runs.
    client.abort();
    const b = send(app, "b");
    await until(() => origin.waiting === 2);
    origin.answerOne();
    origin.answerOne();
    expect((await settled(b)).status).toBe(200);
    await gone.response.catch(() => undefined);
    expect(origin.order).toEqual(["gone", "b"]);
  });

  it("frees the slot when forwarding fails", async () => {
    const { app, origin } = gateway({ upstream: "fails", bulkhead: { enabled: true, max_concurrent: 1 } });
    expect((await settled(send(app, "boom"))).status).toBe(500);
    const b = send(app, "b");
    await until(() => origin.waiting === 1);
    origin.answerOne();
    expect((await settled(b)).status).toBe(200);
  });

  it("starts requests on its lease without calling the object each time", async () => {
    const { namespace, calls } = counting();
    const { app, origin } = gateway({ upstream: "leased", bulkhead: { enabled: true, max_concurrent: 16 }, namespace });
    for (let i = 0; i < 20; i++) {
      const sent = send(app, `r${i}`);
      await until(() => origin.waiting === 1);
      origin.answerOne();
      expect((await sent.response).status).toBe(200);
      await (await sent.response).text();
    }
    // The first request's call, and the idle return of the spare slots at most.
    expect(calls()).toBeLessThanOrEqual(2);
  });

  it("fails closed when the object cannot be reached: 503 bulkhead_unavailable, the upstream is not contacted", async () => {
    const { namespace } = counting(() => true);
    const { app, origin } = gateway({ upstream: "unreachable", bulkhead: { enabled: true, max_concurrent: 5, queue_size: 5 }, namespace });
    const refused = await settled(send(app, "a"));
    expect(refused.status).toBe(503);
    expect(refused.retryAfter).toBe("1");
    expect(JSON.parse(refused.body)).toMatchObject({ error: "bulkhead_unavailable" });
    expect(origin.order).toEqual([]);
  });

  it("shares max_concurrent between isolates: slots one gives back reach another's queue", async () => {
    const origin = new Origin();
    const block = { enabled: true, max_concurrent: 2, queue_size: 4, timeout: "5s" };
    const one = gateway({ upstream: "shared", bulkhead: block, origin, pools: new SlotPools() }).app;
    const two = gateway({ upstream: "shared", bulkhead: block, origin, pools: new SlotPools() }).app;
    const held = [send(one, "one-a"), send(one, "one-b")];
    await until(() => origin.waiting === 2);
    const queued = send(two, "two-a");
    // The object has no slot for isolate two: it waits, and the origin never sees 3 at once.
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(origin.waiting).toBe(2);
    origin.answerOne();
    await settled(held[0]!);
    await until(() => origin.order.includes("two-a"));
    expect(origin.peak).toBe(2);
    origin.answerOne();
    origin.answerOne();
    expect((await settled(held[1]!)).status).toBe(200);
    expect((await settled(queued)).status).toBe(200);
  });

  it("renews its lease while requests hold slots, and starts none on a lease that expired unrenewed", async () => {
    let failing = false;
    const { namespace, calls } = counting(() => failing);
    const { app, origin } = gateway({ upstream: "renewed", bulkhead: { enabled: true, max_concurrent: 16 }, namespace, clock });
    const a = send(app, "a");
    await until(() => origin.waiting === 1);
    expect(calls()).toBe(1);
    // Past half the lease: the next request starts on the lease and renews it.
    now += LEASE_TTL_MS / 2 + 1;
    const b = send(app, "b");
    await until(() => origin.waiting === 2);
    await until(() => calls() === 2);
    // The object is gone and the renewed lease runs out: c is not started on it.
    failing = true;
    now += LEASE_TTL_MS + 1;
    const refused = await settled(send(app, "c"));
    expect(refused.status).toBe(503);
    expect(JSON.parse(refused.body)).toMatchObject({ error: "bulkhead_unavailable" });
    origin.answerOne();
    origin.answerOne();
    expect((await settled(a)).status).toBe(200);
    expect((await settled(b)).status).toBe(200);
    expect(origin.order).toEqual(["a", "b"]);
  });

  it("after a call whose answer was lost, assumes the smaller lease the object may have recorded", async () => {
    let loseAnswers = false;
    // The object decides, then the answer never arrives (a dropped connection on the way back).
    const lossy = (bindings: AppEnv["Bindings"]) =>
      ({
        getByName: (name: string) => ({
          lease: async (request: never) => {
            const answer = await bindings.BULKHEAD.getByName(name).lease(request);
            if (loseAnswers) throw new Error("connection lost");
            return answer;
          },
        }),
      }) as unknown as DurableObjectNamespace<Bulkhead>;
    const origin = new Origin();
    const block = { enabled: true, max_concurrent: 2 };
    const one = gateway({ upstream: "lost-answer", bulkhead: block, origin, namespace: lossy }).app;
    const two = gateway({ upstream: "lost-answer", bulkhead: block, origin }).app;
    const first = send(one, "one-a");
    await until(() => origin.waiting === 1);
    origin.answerOne();
    await (await first.response).text();
    expect((await env.BULKHEAD.getByName("lost-answer").state()).leased).toBe(2);
    // Isolate one's spare check gives one slot back; the object records it, the answer is lost.
    loseAnswers = true;
    for (let turn = 0; turn < 100 && (await env.BULKHEAD.getByName("lost-answer").state()).leased !== 1; turn++)
      await new Promise((resolve) => setTimeout(resolve, 10));
    expect((await env.BULKHEAD.getByName("lost-answer").state()).leased).toBe(1);
    const taken = send(two, "two-a");
    await until(() => origin.waiting === 1);
    // Isolate one may use 1 slot now, not the 2 it was granted before.
    const [b, c] = [send(one, "one-b"), send(one, "one-c")];
    await until(() => origin.waiting === 2);
    const refused = await settled(c);
    expect(refused.status).toBe(503);
    expect(origin.peak).toBe(2);
    origin.answerOne();
    origin.answerOne();
    expect((await settled(taken)).status).toBe(200);
    expect((await settled(b)).status).toBe(200);
  });

  it("is off unless enabled: true (Loom's code default)", async () => {
    const { namespace, calls } = counting();
    const { app, origin } = gateway({ upstream: "off", bulkhead: { max_concurrent: 1 }, namespace });
    const sent = [send(app, "a"), send(app, "b")];
    await until(() => origin.waiting === 2);
    origin.answerOne();
    origin.answerOne();
    expect((await Promise.all(sent.map(settled))).map(({ status }) => status)).toEqual([200, 200]);
    expect(calls()).toBe(0);
  });
});
