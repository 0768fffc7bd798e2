/**
 * The admin API inside workerd, through the whole worker (worker/app.ts), called with
 * `app.fetch(request, env, ctx)` so a test can hand it a broken binding.
 * `waitOnExecutionContext` lets `waitUntil` work (the audit events of refused logins) finish
 * before the test looks.
 *
 * The audit queue: requests made here send to a recording AUDIT_QUEUE, never the real one,
 * and once a request is done everything it sent is delivered, as one batch, to the worker's
 * own queue() handler with the test env, as the Queues service would a few seconds later. So a
 * request's audit rows are in D1 when `admin`/`send` return, and no message is delivered
 * behind a later test's back. An env whose AUDIT_QUEUE a test replaced keeps its queue.
 * vitest.config.ts sets AUDIT_WINDOW_MS to 0: no aggregation unless a test asks for it.
 */
import { createExecutionContext, createMessageBatch, getQueueResult, waitOnExecutionContext, type QueueResult } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { createApp } from "../../worker/app";
import type { AuditRow } from "../../worker/audit";
import type { Env } from "../../worker/env";
import entry from "../../worker/index";

/** The whole worker, as deployed: request context, response policies, admin mount, errors. */
const app = createApp();

/** The Worker's other handlers (worker/index.ts), as the runtime calls them. */
export const worker: Required<Pick<ExportedHandler<Env>, "queue" | "scheduled">> = entry;

/** Bodies sent to the recording queue and not delivered yet. */
const pending: unknown[] = [];
let messageSeq = 0;

const recordingQueue = {
  async send(body: unknown) {
    pending.push(body);
  },
  async sendBatch(messages: Iterable<MessageSendRequest<unknown>>) {
    for (const message of messages) pending.push(message.body);
  },
} as unknown as Env["AUDIT_QUEUE"];

/** `base` with the recording queue in place of the real one. */
export function harnessEnv(base: Env = env): Env {
  return base.AUDIT_QUEUE === env.AUDIT_QUEUE ? { ...base, AUDIT_QUEUE: recordingQueue } : base;
}

/** An AUDIT_QUEUE that refuses every message, as when the Queues service is unavailable. */
export function failingQueue(): Env["AUDIT_QUEUE"] {
  const refuse = () => Promise.reject(new Error("Queue send failed: internal error (test)"));
  return { send: refuse, sendBatch: refuse } as unknown as Env["AUDIT_QUEUE"];
}

/** How many messages wait in the recording queue. */
export const pendingAuditMessages = () => pending.length;

/**
 * Delivers what the recording queue holds to the worker's queue() handler, as one batch, and
 * returns what the handler acknowledged or retried (undefined when nothing was pending). A
 * retried message is an error here: tests that expect retries drive the handler themselves.
 */
export async function deliverAuditQueue(consumerEnv: Env = env): Promise<QueueResult | undefined> {
  if (pending.length === 0) return undefined;
  const messages = pending.splice(0).map((body) => ({ id: `harness-${++messageSeq}`, timestamp: Date.now(), attempts: 1, body }));
  const batch = createMessageBatch("loom-edge-audit", messages);
  const ctx = createExecutionContext();
  await worker.queue(batch, consumerEnv, ctx);
  const result = await getQueueResult(batch, ctx);
  if (result.retryBatch.retry || result.retryMessages.length > 0)
    throw new Error(`the audit queue consumer retried ${result.retryMessages.length} of ${messages.length} messages`);
  return result;
}

export const TOKEN_AUTH = `Bearer ${env.ADMIN_TOKEN}`;

export interface AdminInit extends RequestInit {
  /** Authorization header; the admin token unless given, none when null. */
  auth?: string | null;
  /** A replacement for the test env (e.g. with a broken DB). */
  env?: Env;
}

/** Where the harness sends admin requests: https, as the admin API refuses plain http from elsewhere than loopback. */
export const ADMIN_BASE = "https://gw.test/admin";

export async function admin(path: string, init: AdminInit = {}): Promise<Response> {
  const { auth, env: replacement, ...rest } = init;
  const headers = new Headers(rest.headers);
  if (auth !== null) headers.set("Authorization", auth ?? TOKEN_AUTH);
  const ctx = createExecutionContext();
  const response = await app.fetch(new Request(`${ADMIN_BASE}${path}`, { ...rest, headers }), harnessEnv(replacement), ctx);
  await waitOnExecutionContext(ctx);
  await deliverAuditQueue();
  return response;
}

/** Any request through the whole worker, e.g. a proxied one; `init.cf` sets `request.cf`, `init.env` replaces the test env. */
export async function send(url: string, init: RequestInit & { cf?: Record<string, unknown>; env?: Env } = {}): Promise<Response> {
  const { env: replacement, ...rest } = init;
  const ctx = createExecutionContext();
  const response = await app.fetch(
    new Request(url.startsWith("http") ? url : `http://gw.test${url}`, rest as RequestInit),
    harnessEnv(replacement),
    ctx,
  );
  await waitOnExecutionContext(ctx);
  await deliverAuditQueue();
  return response;
}

export const json = (method: string, body: unknown, headers: Record<string, string> = {}): RequestInit => ({
  method,
  headers: { "Content-Type": "application/json", ...headers },
  body: JSON.stringify(body),
});

export const yaml = (method: string, body: string, headers: Record<string, string> = {}): RequestInit => ({
  method,
  headers: { "Content-Type": "application/yaml", ...headers },
  body,
});

export async function currentVersion(): Promise<number> {
  const res = await admin("/config");
  if (res.status !== 200) throw new Error(`GET /config answered ${res.status}`);
  return Number(res.headers.get("ETag")!.slice(1, -1));
}

/** The statuses of `count` requests in a row to `path`. */
export async function statuses(path: string, count: number, init: RequestInit = {}): Promise<number[]> {
  const result: number[] = [];
  for (let i = 0; i < count; i++) result.push((await send(path, init)).status);
  return result;
}

export async function putConfig(document: unknown, headers: Record<string, string> = {}): Promise<{ version: number; warnings: string[] }> {
  const res = await admin("/config", json("PUT", document, headers));
  const text = await res.text();
  if (res.status !== 200) throw new Error(`PUT /config answered ${res.status}: ${text}`);
  return JSON.parse(text);
}

export async function auditRows(where = "1 = 1", ...params: unknown[]): Promise<AuditRow[]> {
  const { results } = await env.DB.prepare(`SELECT * FROM audit_log WHERE ${where} ORDER BY id`)
    .bind(...params)
    .all<AuditRow>();
  return results;
}

/** An env whose D1 binding fails every query, as when D1 is down. */
export function envWithBrokenDb(): Env {
  const broken = new Proxy(env.DB, {
    get(target, property) {
      if (property === "prepare" || property === "batch" || property === "exec") {
        return () => {
          throw new Error("D1_ERROR: database unavailable (test)");
        };
      }
      return Reflect.get(target, property);
    },
  });
  return { ...env, DB: broken };
}

/** An env whose KV binding fails every call, as when KV is down. */
export function envWithBrokenKv(): Env {
  const broken = new Proxy(env.CONFIG, {
    get() {
      return () => Promise.reject(new Error("KV GET failed: 500 Internal Server Error (test)"));
    },
  });
  return { ...env, CONFIG: broken };
}

export const upstream = (name = "backend") => ({ name, endpoints: ["https://origin.example.com"] });
export const route = (id: string, upstreamName = "backend") => ({ id, path: `/${id}/*`, upstream: upstreamName });
