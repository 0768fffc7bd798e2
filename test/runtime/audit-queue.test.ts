/**
 * The durable path of request-path audit events: sent to AUDIT_QUEUE after the response,
 * appended to D1 by the worker's queue() handler a batch per transaction, retried when D1
 * fails and never stored twice; the fallbacks when the queue itself fails; and the per-isolate
 * aggregation of floods.
 */
import { createExecutionContext, createMessageBatch, getQueueResult, waitOnExecutionContext } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { afterEach, beforeAll, describe, expect, it, vi } from "vitest";
import { verifyAuditChain, writeAuditEvent } from "../../worker/audit";
import { consumeAuditBatch, enqueueAuditEvents, retryDelaySeconds, type QueuedAuditEvent } from "../../worker/audit/queue";
import { createApp } from "../../worker/app";
import type { Env } from "../../worker/env";
import {
  auditRows,
  deliverAuditQueue,
  envWithBrokenDb,
  failingQueue,
  harnessEnv,
  pendingAuditMessages,
  putConfig,
  worker,
} from "./admin-harness";

afterEach(() => {
  vi.useRealTimers();
  vi.restoreAllMocks();
});

beforeAll(async () => {
  await putConfig({
    middleware: { auth: { type: "api_key", keys: ["${DEMO_API_KEY}"] } },
    audit: { events: ["auth_failure", "route_match"] },
    routes: [{ id: "private", path: "/private/*", upstream: "origin" }],
    upstreams: [{ name: "origin", endpoints: ["https://origin.test"] }],
  });
});

const queued = (action: string, overrides: Partial<QueuedAuditEvent> = {}): QueuedAuditEvent => ({
  eventId: crypto.randomUUID(),
  event: "auth_failure",
  actor: "anonymous",
  action,
  target: "routes/private",
  ip: "192.0.2.7",
  details: { scheme: "api_key", reason: "invalid_key" },
  ...overrides,
});

let messageSeq = 0;
const messagesOf = (bodies: unknown[], attempts = 1) =>
  bodies.map((body) => ({ id: `msg-${++messageSeq}`, timestamp: Date.now(), attempts, body }));

/** Runs the worker's queue() handler on one batch and returns what it acknowledged or retried. */
async function consume(bodies: unknown[], consumerEnv: Env = env, attempts = 1) {
  const messages = messagesOf(bodies, attempts);
  const batch = createMessageBatch("loom-edge-audit", messages);
  const ctx = createExecutionContext();
  await worker.queue(batch, consumerEnv, ctx);
  return { ids: messages.map((message) => message.id), result: await getQueueResult(batch, ctx) };
}

/** A D1 binding that fails every query while `down` is true, as in an outage that ends. */
function flakyDb(): { env: Env; state: { down: boolean } } {
  const state = { down: true };
  const db = new Proxy(env.DB, {
    get(target, property) {
      const value = Reflect.get(target, property);
      if ((property === "prepare" || property === "batch" || property === "exec") && state.down) {
        return () => {
          throw new Error("D1_ERROR: database unavailable (test)");
        };
      }
      return typeof value === "function" ? value.bind(target) : value;
    },
  });
  return { env: { ...env, DB: db }, state };
}

const rowsOf = (ids: string[]) => auditRows(`event_id IN (${ids.map(() => "?").join(", ")})`, ...ids);

describe("the queue consumer", () => {
  it("appends a batch in order as one chained run and acknowledges every message", async () => {
    const events = Array.from({ length: 5 }, (_, i) => queued(`batch-${i}`));
    const { ids, result } = await consume(events);
    expect(result.explicitAcks.sort()).toEqual([...ids].sort());
    expect(result.retryMessages).toEqual([]);
    const rows = await rowsOf(events.map((event) => event.eventId));
    expect(rows.map((row) => row.action)).toEqual(events.map((event) => event.action));
    rows.slice(1).forEach((row, index) => expect(row.prev_hash).toBe(rows[index]!.hash));
    expect(JSON.parse(rows[0]!.details)).toEqual({ scheme: "api_key", reason: "invalid_key" });
    expect((await verifyAuditChain(env)).ok).toBe(true);
  });

  it("retries a batch whose D1 write fails, and stores it once when D1 is back, however often it is delivered", async () => {
    const errors = vi.spyOn(console, "error").mockImplementation(() => {});
    const events = Array.from({ length: 4 }, (_, i) => queued(`outage-${i}`));
    const flaky = flakyDb();

    const failed = await consume(events, flaky.env);
    expect(failed.result.explicitAcks).toEqual([]);
    expect(failed.result.retryMessages.map((retry) => retry.msgId)).toEqual(failed.ids);
    expect(await rowsOf(events.map((event) => event.eventId))).toEqual([]);
    expect(JSON.parse(String(errors.mock.calls.at(-1)![0]))).toMatchObject({ event: "audit_queue_write_failed", messages: 4, attempts: 1 });

    // Still down at the second delivery.
    const again = await consume(events, flaky.env, 2);
    expect(again.result.retryMessages).toHaveLength(4);

    flaky.state.down = false;
    const recovered = await consume(events, flaky.env, 3);
    expect(recovered.result.explicitAcks.sort()).toEqual([...recovered.ids].sort());
    // The queue delivers at least once: a duplicate delivery stores nothing more.
    const duplicate = await consume(events, flaky.env, 1);
    expect(duplicate.result.explicitAcks).toHaveLength(4);
    const rows = await rowsOf(events.map((event) => event.eventId));
    expect(rows.map((row) => row.action)).toEqual(events.map((event) => event.action));
    expect((await verifyAuditChain(env)).ok).toBe(true);
  });

  it("stores only the rest of a batch that was partly stored before", async () => {
    const events = Array.from({ length: 5 }, (_, i) => queued(`partial-${i}`));
    for (const event of events.slice(1, 3)) await writeAuditEvent(env, event);
    // The same event twice in one batch is stored once, too.
    const { result } = await consume([...events, events[4]]);
    expect(result.explicitAcks).toHaveLength(6);
    const rows = await rowsOf(events.map((event) => event.eventId));
    expect(rows.map((row) => row.action).sort()).toEqual(events.map((event) => event.action).sort());
    expect((await verifyAuditChain(env)).ok).toBe(true);
  });

  it("retries a message that is not an audit event (for the dead letter queue to keep) and writes the rest", async () => {
    const errors = vi.spyOn(console, "error").mockImplementation(() => {});
    const good = queued("beside-invalid");
    const { ids, result } = await consume([{ not: "an event" }, good, { ...queued("unknown-event"), event: "no_such_event" }]);
    expect(result.retryMessages.map((retry) => retry.msgId)).toEqual([ids[0], ids[2]]);
    expect(result.explicitAcks).toEqual([ids[1]]);
    expect(await rowsOf([good.eventId])).toHaveLength(1);
    expect(errors.mock.calls.map(([line]) => JSON.parse(String(line)).event)).toEqual(["audit_message_invalid", "audit_message_invalid"]);
  });

  it("delays retries 10 s, doubling with each attempt, up to 15 minutes", async () => {
    vi.spyOn(console, "error").mockImplementation(() => {});
    expect([1, 2, 3, 4, 5, 6, 7, 8, 20].map(retryDelaySeconds)).toEqual([10, 20, 40, 80, 160, 320, 640, 900, 900]);
    // The delay each message asks for (the test pool's queue result does not keep it).
    const retry = vi.fn();
    const message = (attempts: number) => ({
      id: `delay-${attempts}`,
      timestamp: new Date(),
      attempts,
      body: queued("delayed"),
      ack: vi.fn(),
      retry,
    });
    const batch = {
      queue: "loom-edge-audit",
      messages: [message(1), message(3)],
      ackAll: vi.fn(),
      retryAll: vi.fn(),
    } as unknown as MessageBatch<unknown>;
    await consumeAuditBatch(batch, envWithBrokenDb());
    expect(retry.mock.calls).toEqual([[{ delaySeconds: 10 }], [{ delaySeconds: 40 }]]);
  });
});

describe("sending events", () => {
  it("sends to the queue with the event id fixed and the details scrubbed, writing nothing itself", async () => {
    const sent: MessageSendRequest<QueuedAuditEvent>[] = [];
    const queue = {
      sendBatch: async (messages: MessageSendRequest<QueuedAuditEvent>[]) => void sent.push(...messages),
    } as unknown as Env["AUDIT_QUEUE"];
    const before = (await auditRows()).length;
    await enqueueAuditEvents({ ...env, AUDIT_QUEUE: queue }, [
      {
        event: "auth_failure",
        actor: "anonymous",
        action: "authenticate",
        details: { reason: "x", api_key: "sk-ant-0123456789abcdefghijkl", note: "Bearer abc.def" },
      },
    ]);
    expect(sent).toEqual([
      {
        contentType: "json",
        body: expect.objectContaining({
          eventId: expect.stringMatching(/^[0-9a-f-]{36}$/),
          details: { reason: "x", note: "Bearer [REDACTED]" },
        }),
      },
    ]);
    expect(await auditRows()).toHaveLength(before);
  });

  it("writes to D1 directly when the queue refuses, and logs the event when D1 refuses too", async () => {
    const warn = vi.spyOn(console, "warn").mockImplementation(() => {});
    const errors = vi.spyOn(console, "error").mockImplementation(() => {});
    const direct = queued("direct");
    await enqueueAuditEvents({ ...env, AUDIT_QUEUE: failingQueue() }, [direct]);
    expect(await rowsOf([direct.eventId])).toHaveLength(1);
    expect(JSON.parse(String(warn.mock.calls[0]![0]))).toMatchObject({ event: "audit_queue_send_failed", events: 1 });

    const lost = queued("lost", { userAgent: "curl token=hunter2-secret" });
    await enqueueAuditEvents({ ...envWithBrokenDb(), AUDIT_QUEUE: failingQueue() }, [lost]);
    const logged = JSON.parse(String(errors.mock.calls.at(-1)![0]));
    expect(logged).toMatchObject({
      level: "error",
      event: "audit_event_lost",
      audit_event: { eventId: lost.eventId, action: "lost", userAgent: "curl token=[REDACTED]" },
    });
    expect(JSON.stringify(errors.mock.calls)).not.toContain("hunter2");
  });

  it("answers a refused request before anything reaches D1: the row arrives with the queue's delivery", async () => {
    const app = createApp();
    const ctx = createExecutionContext();
    const res = await app.fetch(
      new Request("http://gw.test/private/x", { headers: { "CF-Connecting-IP": "198.51.100.1" } }),
      harnessEnv(),
      ctx,
    );
    expect(res.status).toBe(401);
    await waitOnExecutionContext(ctx);
    const where = "event = 'auth_failure' AND ip = '198.51.100.1'";
    expect(await auditRows(where)).toEqual([]);
    expect(pendingAuditMessages()).toBe(2); // auth_failure and route_match
    await deliverAuditQueue();
    const [row] = await auditRows(where);
    expect(row).toMatchObject({ actor: "anonymous", action: "authenticate", target: "routes/private" });
    expect(JSON.parse(row!.details)).toEqual({
      scheme: "api_key",
      reason: "missing_credentials",
      count: 1,
      first_at: expect.any(String),
      last_at: expect.any(String),
    });
  });
});

describe("flood aggregation", () => {
  it("records a flood of 1000 auth failures as one row per route, reason and client IP, with the counts", async () => {
    const WINDOW_MS = 10_000;
    // Windows close on a timer in the waitUntil of the request that opened them.
    vi.useFakeTimers({ toFake: ["setTimeout", "clearTimeout"] });
    const app = createApp();
    const flood = harnessEnv({ ...env, AUDIT_WINDOW_MS: String(WINDOW_MS) });
    const ips = ["203.0.113.101", "203.0.113.102"];
    const contexts = Array.from({ length: 1000 }, () => createExecutionContext());
    const responses = await Promise.all(
      contexts.map((ctx, i) =>
        app.fetch(
          new Request(`http://gw.test/private/flood-${i}`, { headers: { "CF-Connecting-IP": ips[i % 2]!, "User-Agent": "flood/1" } }),
          flood,
          ctx,
        ),
      ),
    );
    expect(responses.every((res) => res.status === 401)).toBe(true);
    // Every failure was counted before its 401 went out: three windows are open (the route's
    // and one per address), nothing was sent yet.
    expect(vi.getTimerCount()).toBe(3);
    expect(pendingAuditMessages()).toBe(0);
    await vi.advanceTimersByTimeAsync(WINDOW_MS);
    vi.useRealTimers();
    await Promise.all(contexts.map((ctx) => waitOnExecutionContext(ctx)));
    expect(pendingAuditMessages()).toBe(3);
    await deliverAuditQueue();

    const failures = await auditRows("event = 'auth_failure' AND ip IN (?, ?)", ...ips);
    expect(failures.map((row) => row.ip).sort()).toEqual(ips);
    for (const row of failures) {
      expect(row).toMatchObject({ target: "routes/private", user_agent: "flood/1" });
      const details = JSON.parse(row.details);
      expect(details).toEqual({
        scheme: "api_key",
        reason: "missing_credentials",
        count: 500,
        first_at: expect.any(String),
        last_at: expect.any(String),
      });
      expect(Date.parse(details.first_at)).toBeLessThanOrEqual(Date.parse(details.last_at));
    }
    const [match] = (await auditRows("event = 'route_match'")).slice(-1);
    expect(match).toMatchObject({ actor: "gateway", action: "route_match", target: "routes/private", ip: "" });
    expect(JSON.parse(match!.details)).toMatchObject({ count: 1000 });
  });
});
