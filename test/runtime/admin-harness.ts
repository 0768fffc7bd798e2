/**
 * The admin API inside workerd, through the whole worker (worker/app.ts), called with
 * `app.fetch(request, env, ctx)` so a
 * test can hand it a broken binding. `waitOnExecutionContext` lets `waitUntil` work (the audit
 * rows of refused logins) finish before the test looks.
 */
import { createExecutionContext, waitOnExecutionContext } from "cloudflare:test";
import { env } from "cloudflare:workers";
import type { AuditRow } from "../../worker/audit";
import { createApp } from "../../worker/app";
import type { Env } from "../../worker/env";

/** The whole worker, as deployed: request context, response policies, admin mount, errors. */
const app = createApp();

export const TOKEN_AUTH = `Bearer ${env.ADMIN_TOKEN}`;

export interface AdminInit extends RequestInit {
  /** Authorization header; the admin token unless given, none when null. */
  auth?: string | null;
  /** A replacement for the test env (e.g. with a broken DB). */
  env?: Env;
}

export async function admin(path: string, init: AdminInit = {}): Promise<Response> {
  const { auth, env: replacement, ...rest } = init;
  const headers = new Headers(rest.headers);
  if (auth !== null) headers.set("Authorization", auth ?? TOKEN_AUTH);
  const ctx = createExecutionContext();
  const response = await app.fetch(new Request(`http://gw.test/admin${path}`, { ...rest, headers }), replacement ?? env, ctx);
  await waitOnExecutionContext(ctx);
  return response;
}

/** Any request through the whole worker, e.g. a proxied one; `init.cf` sets `request.cf`, `init.env` replaces the test env. */
export async function send(url: string, init: RequestInit & { cf?: Record<string, unknown>; env?: Env } = {}): Promise<Response> {
  const { env: replacement, ...rest } = init;
  const ctx = createExecutionContext();
  const response = await app.fetch(new Request(url.startsWith("http") ? url : `http://gw.test${url}`, rest as RequestInit), replacement ?? env, ctx);
  await waitOnExecutionContext(ctx);
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

export async function putConfig(document: unknown, headers: Record<string, string> = {}): Promise<{ version: number; warnings: string[] }> {
  const res = await admin("/config", json("PUT", document, headers));
  const text = await res.text();
  if (res.status !== 200) throw new Error(`PUT /config answered ${res.status}: ${text}`);
  return JSON.parse(text);
}

export async function auditRows(where = "1 = 1", ...params: unknown[]): Promise<AuditRow[]> {
  const { results } = await env.DB.prepare(`SELECT * FROM audit_log WHERE ${where} ORDER BY id`).bind(...params).all<AuditRow>();
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
