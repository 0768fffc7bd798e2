/**
 * Every error body carries `request_id`, the same id as the response's X-Request-Id, whichever
 * layer refused the request: the router, a policy, the proxy, the admin API, the vault, or the
 * error handler's own 500s.
 */
import { env } from "cloudflare:workers";
import { Hono } from "hono";
import { afterEach, beforeAll, describe, expect, it, vi } from "vitest";
import type { AppEnv, Env } from "../../worker/env";
import { errorHandler } from "../../worker/http/error-handler";
import { requestContext } from "../../worker/pipeline/request-context";
import { log } from "../../worker/observability/logger";
import { admin, json, putConfig, send } from "./admin-harness";

const config = {
  middleware: { body_limit: { max_size: "1KB" } },
  rate_limit: { routes: { limited: { requests_per_second: 0.1, burst: 1 } } },
  routes: [
    { id: "read-only", path: "/ro/*", methods: ["GET"], upstream: "origin" },
    { id: "upload", path: "/upload", methods: ["POST"], upstream: "origin" },
    { id: "keyed", path: "/keyed/*", upstream: "origin", auth: { type: "api_key", keys: ["${DEMO_API_KEY}"] } },
    { id: "unset-secret", path: "/unset-secret/*", upstream: "origin", auth: { type: "api_key", keys: ["${NO_SUCH_SECRET}"] } },
    { id: "limited", path: "/limited/*", upstream: "origin" },
  ],
  upstreams: [{ name: "origin", endpoints: ["https://origin.test"] }],
};

beforeAll(async () => {
  await putConfig(config);
});

afterEach(() => vi.restoreAllMocks());

/** The body of an error answer, after checking that its request_id is the response's X-Request-Id. */
async function refusal(res: Response, status: number, code: string): Promise<Record<string, unknown>> {
  expect(res.status).toBe(status);
  const body = await res.json<Record<string, unknown>>();
  expect(body.error).toBe(code);
  expect(res.headers.get("X-Request-Id")).toMatch(/^[0-9a-f-]{36}$/);
  expect(body.request_id).toBe(res.headers.get("X-Request-Id"));
  return body;
}

describe("the request path", () => {
  it("router: 400 bad_path", async () => {
    await refusal(await send("/ro/a;b"), 400, "bad_path");
  });

  it("router: 405 method_not_allowed, with Allow", async () => {
    const res = await send("/ro/x", { method: "POST", body: "x" });
    const body = await refusal(res, 405, "method_not_allowed");
    expect(body.allow).toEqual(["GET", "HEAD"]);
  });

  it("router: 404 no_route", async () => {
    await refusal(await send("/nowhere"), 404, "no_route");
  });

  it("never proxies a spelling of the admin prefix: 404 not_found", async () => {
    await refusal(await send("/ADMIN/config"), 404, "not_found");
  });

  it("body limit: 413 payload_too_large", async () => {
    await refusal(await send("/upload", { method: "POST", body: "x".repeat(2048) }), 413, "payload_too_large");
  });

  it("auth: 401 unauthorized", async () => {
    const res = await send("/keyed/x");
    await refusal(res, 401, "unauthorized");
    expect(res.headers.get("WWW-Authenticate")).toMatch(/^ApiKey /);
  });

  it("rate limit: 429 rate_limited", async () => {
    const headers = { "CF-Connecting-IP": "198.51.100.77" };
    expect((await send("/limited/x", { headers })).status).toBe(200);
    const body = await refusal(await send("/limited/x", { headers }), 429, "rate_limited");
    expect(body.retry_after).toBeGreaterThan(0);
  });

  it("a secret the route needs is not set: 500 secret_unavailable", async () => {
    vi.spyOn(console, "error").mockImplementation(() => {});
    await refusal(await send("/unset-secret/x", { headers: { "X-API-Key": "anything" } }), 500, "secret_unavailable");
  });
});

describe("the admin API and the vault", () => {
  it("404 not_found", async () => {
    await refusal(await admin("/no-such-resource"), 404, "not_found");
  });

  it("405 method_not_allowed, with Allow and the same list as allow, as the gateway's", async () => {
    const res = await admin("/health", { method: "DELETE" });
    const body = await refusal(res, 405, "method_not_allowed");
    expect(res.headers.get("Allow")).toBe("GET, HEAD");
    expect(body.allow).toEqual(["GET", "HEAD"]);
  });

  it("400 invalid_config, with its issues", async () => {
    const body = await refusal(await admin("/config", json("PUT", { routes: "not a list" })), 400, "invalid_config");
    expect(body.issues).toEqual(expect.arrayContaining([expect.objectContaining({ path: expect.any(String) })]));
  });

  it("401 unauthorized", async () => {
    await refusal(await admin("/config", { auth: null }), 401, "unauthorized");
  });

  it("vault: 503 vault_unavailable", async () => {
    vi.spyOn(console, "error").mockImplementation(() => {});
    const noRoot: Env = { ...env, VAULT_ROOT_KEY: undefined };
    await refusal(await admin("/vault", { env: noRoot }), 503, "vault_unavailable");
  });
});

describe("the error handler", () => {
  it("500 internal_error for anything unexpected, naming only the error's class in the log", async () => {
    const errors = vi.spyOn(console, "error").mockImplementation(() => {});
    const app = new Hono<AppEnv>();
    app.onError(errorHandler(log.error));
    app.use(requestContext);
    app.get("/boom", () => {
      throw new TypeError("upstream 10.0.0.7 said sk-live-abcdefghijklmnopqrstuvwx");
    });
    const res = await app.request("https://gw.test/boom", {}, env);
    const body = await refusal(res, 500, "internal_error");
    expect(JSON.stringify(body)).not.toContain("10.0.0.7");
    const lines = errors.mock.calls.map(([line]) => JSON.parse(String(line)));
    expect(lines).toContainEqual({ level: "error", event: "internal_error", request_id: body.request_id, name: "TypeError" });
  });
});
