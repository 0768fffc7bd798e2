/**
 * Admin authentication: bearer ADMIN_TOKEN and the basic credentials of `admin.auth`, on
 * every admin path (401 before 404), refused logins audited without the credential.
 */
import { env } from "cloudflare:workers";
import { beforeEach, describe, expect, it, vi } from "vitest";
import { invalidateCompiledConfig } from "../../worker/pipeline/config-cache";
import { admin, auditRows, envWithBrokenDb, failingQueue, json, putConfig, route, TOKEN_AUTH, upstream } from "./admin-harness";

const CHALLENGE = 'Bearer realm="loom-edge-admin", Basic realm="loom-edge-admin"';
const basic = (user: string, password: string) => `Basic ${btoa(`${user}:${password}`)}`;

beforeEach(() => invalidateCompiledConfig());

async function expectRefused(res: Response): Promise<void> {
  expect(res.status).toBe(401);
  expect(res.headers.get("WWW-Authenticate")).toBe(CHALLENGE);
  expect(await res.json()).toEqual({ error: "unauthorized", message: expect.any(String), request_id: res.headers.get("X-Request-Id") });
}

/** The details of an event recorded once (AUDIT_WINDOW_MS is 0 in the tests): its facts and when. */
const once = (facts: Record<string, unknown>) => ({ ...facts, count: 1, first_at: expect.any(String), last_at: expect.any(String) });

async function lastFailure() {
  const rows = await auditRows("event = 'admin_auth_failure'");
  return rows.at(-1)!;
}

describe("bearer token", () => {
  it("lets the ADMIN_TOKEN in, with a case-insensitive scheme", async () => {
    expect((await admin("/health")).status).toBe(200);
    expect((await admin("/health", { auth: `bearer ${env.ADMIN_TOKEN}` })).status).toBe(200);
  });

  it.each([
    ["no Authorization header", null, "none", "missing_credentials"],
    ["a wrong token of the same length", `Bearer ${"x".repeat(String(env.ADMIN_TOKEN).length)}`, "bearer", "invalid_credentials"],
    ["a wrong token of another length", "Bearer nope", "bearer", "invalid_credentials"],
    ["the token with a suffix", `${TOKEN_AUTH}x`, "bearer", "invalid_credentials"],
    ["an empty bearer token", "Bearer ", "bearer", "malformed_credentials"],
    ["the scheme alone", "Bearer", "bearer", "malformed_credentials"],
    ["the token under another scheme", `Token ${env.ADMIN_TOKEN}`, "other", "unsupported_scheme"],
    ["the bare token", String(env.ADMIN_TOKEN), "other", "unsupported_scheme"],
  ])("refuses %s with 401 and audits scheme and reason only", async (_, auth, scheme, reason) => {
    const res = await admin("/config", { auth, headers: { "CF-Connecting-IP": "203.0.113.7", "User-Agent": "auth-test" } });
    await expectRefused(res);
    const row = await lastFailure();
    expect(row).toMatchObject({
      event: "admin_auth_failure",
      actor: "anonymous",
      action: "admin_auth",
      target: "/admin/config",
      ip: "203.0.113.7",
      user_agent: "auth-test",
    });
    expect(row.request_id).not.toBe("");
    expect(JSON.parse(row.details)).toEqual(once({ scheme, reason }));
    expect(JSON.stringify(row)).not.toContain(String(env.ADMIN_TOKEN));
  });

  it.each([
    [
      "unset",
      () => {
        const { ADMIN_TOKEN: _unset, ...rest } = env;
        return rest;
      },
    ],
    ["empty", () => ({ ...env, ADMIN_TOKEN: "" })],
  ])("lets nobody in by bearer when ADMIN_TOKEN is %s", async (_, withoutToken) => {
    for (const auth of [TOKEN_AUTH, "Bearer undefined", "Bearer x"]) {
      await expectRefused(await admin("/config", { env: withoutToken(), auth }));
      expect(JSON.parse((await lastFailure()).details)).toEqual(once({ scheme: "bearer", reason: "bearer_not_configured" }));
    }
  });
});

describe("every admin path", () => {
  it.each([
    "/config",
    "/config/versions",
    "/routes",
    "/routes/x",
    "/documents/etc/x.json",
    "/health",
    "/openapi.json",
    "/docs",
    "/no-such-thing",
    "/",
  ])("refuses %s without credentials (401 before 404)", async (path) => {
    await expectRefused(await admin(path, { auth: null }));
  });

  it("answers an unknown path 404 once authenticated, and a wrong method 405 with Allow", async () => {
    expect((await admin("/no-such-thing")).status).toBe(404);
    const res = await admin("/config", { method: "DELETE" });
    expect(res.status).toBe(405);
    expect(res.headers.get("Allow")).toBe("GET, HEAD, PUT");
  });

  it("refuses a change with a wrong token and leaves the config alone", async () => {
    const before = (await admin("/config")).headers.get("ETag");
    const res = await admin("/config", { ...json("PUT", { upstreams: [upstream("intruder")] }), auth: "Bearer wrong" });
    await expectRefused(res);
    expect((await admin("/config")).headers.get("ETag")).toBe(before);
  });

  it("writes the refusal to D1 directly when the audit queue cannot take it", async () => {
    const warn = vi.spyOn(console, "warn").mockImplementation(() => {});
    await expectRefused(
      await admin("/config", {
        auth: "Bearer queue-down",
        env: { ...env, AUDIT_QUEUE: failingQueue() },
        headers: { "User-Agent": "queue-down" },
      }),
    );
    expect(warn).toHaveBeenCalledWith(expect.stringContaining('"event":"audit_queue_send_failed"'));
    const row = await lastFailure();
    expect(row).toMatchObject({ event: "admin_auth_failure", user_agent: "queue-down" });
    expect(JSON.parse(row.details)).toEqual(once({ scheme: "bearer", reason: "invalid_credentials" }));
    warn.mockRestore();
  });

  it("still answers 401 when neither the queue nor D1 takes the event, and logs the event itself, redacted", async () => {
    const warn = vi.spyOn(console, "warn").mockImplementation(() => {});
    const errors = vi.spyOn(console, "error").mockImplementation(() => {});
    const before = (await auditRows()).length;
    const presented = "Bearer sk-live-0123456789abcdefghij";
    await expectRefused(
      await admin("/config?token=p1-secret", {
        auth: presented,
        env: { ...envWithBrokenDb(), AUDIT_QUEUE: failingQueue() },
        headers: { "User-Agent": "lost Bearer p2-secret" },
      }),
    );
    const lost = errors.mock.calls.map(([line]) => JSON.parse(String(line))).filter((line) => line.event === "audit_event_lost");
    expect(lost).toEqual([
      expect.objectContaining({
        level: "error",
        audit_event: expect.objectContaining({
          event: "admin_auth_failure",
          target: "/admin/config",
          userAgent: "lost Bearer [REDACTED]",
          eventId: expect.any(String),
          details: once({ scheme: "bearer", reason: "invalid_credentials" }),
        }),
      }),
    ]);
    for (const secret of ["sk-live-0123456789abcdefghij", "p1-secret", "p2-secret"])
      expect(JSON.stringify(errors.mock.calls)).not.toContain(secret);
    expect(await auditRows()).toHaveLength(before);
    warn.mockRestore();
    errors.mockRestore();
  });
});

describe("basic credentials of admin.auth", () => {
  const withPassword = { ...env, ADMIN_PASSWORD: "correct horse battery staple" };
  const adminAuth = { type: "basic", username: "ops", password: "${ADMIN_PASSWORD}" };

  it("are refused while the config has no admin.auth", async () => {
    await putConfig({ upstreams: [upstream()] });
    await expectRefused(await admin("/config", { env: withPassword, auth: basic("ops", withPassword.ADMIN_PASSWORD) }));
    expect(JSON.parse((await lastFailure()).details)).toEqual(once({ scheme: "basic", reason: "basic_not_configured" }));
  });

  it("let the configured user in with the secret's value and record basic:<user> as the actor", async () => {
    await putConfig({ admin: { auth: adminAuth }, upstreams: [upstream()] });
    const auth = basic("ops", withPassword.ADMIN_PASSWORD);
    expect((await admin("/config", { env: withPassword, auth })).status).toBe(200);
    const res = await admin("/routes/a", { ...json("PUT", route("a")), env: withPassword, auth });
    expect(res.status).toBe(201);
    const change = (await auditRows("event = 'config_change'")).at(-1)!;
    expect(change).toMatchObject({ actor: "basic:ops", action: "route_put", target: "routes/a" });
  });

  it.each([
    ["a wrong password", basic("ops", "wrong"), "invalid_credentials"],
    ["a wrong user", basic("root", "correct horse battery staple"), "invalid_credentials"],
    ["the ${VAR} reference itself as the password", basic("ops", "${ADMIN_PASSWORD}"), "invalid_credentials"],
    ["no colon", `Basic ${btoa("ops")}`, "malformed_credentials"],
    ["invalid base64", "Basic !!!not-base64!!!", "malformed_credentials"],
    ["bytes that are not UTF-8", `Basic ${btoa("ops:\xff\xfe")}`, "malformed_credentials"],
    ["nothing after the scheme", "Basic", "malformed_credentials"],
  ])("refuse %s", async (_, auth, reason) => {
    await putConfig({ admin: { auth: adminAuth }, upstreams: [upstream()] });
    await expectRefused(await admin("/config", { env: withPassword, auth }));
    const row = await lastFailure();
    expect(JSON.parse(row.details)).toEqual(once({ scheme: "basic", reason }));
    expect(JSON.stringify(row)).not.toContain("correct horse");
  });

  it("are refused when the password's secret is not set, never matched as an empty string", async () => {
    await putConfig({ admin: { auth: adminAuth }, upstreams: [upstream()] });
    const { ADMIN_PASSWORD: _unset, ...unset } = withPassword;
    await expectRefused(await admin("/config", { env: unset, auth: basic("ops", "") }));
    expect(JSON.parse((await lastFailure()).details)).toEqual(once({ scheme: "basic", reason: "basic_password_unset" }));
    await expectRefused(await admin("/config", { env: { ...env, ADMIN_PASSWORD: "" }, auth: basic("ops", "") }));
  });
});
