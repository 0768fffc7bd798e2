/**
 * Brute force on the admin API's basic logins: 5 failures within a minute lock logins for 15
 * minutes, per client block and per user name, in the rate-limit objects; the ADMIN_TOKEN
 * bearer is never locked out. Each test uses its own addresses (and user names where they count).
 */
import { env } from "cloudflare:workers";
import { beforeAll, describe, expect, it } from "vitest";
import { ADMIN_LOGIN_LIMIT } from "../../worker/admin/login-lockout";
import { admin, auditRows, putConfig, upstream } from "./admin-harness";
import { sendInOneWindow } from "./audit-windows";

const PASSWORD = "correct horse battery staple";
const withPassword = { ...env, ADMIN_PASSWORD: PASSWORD };
const basic = (user: string, password: string) => `Basic ${btoa(`${user}:${password}`)}`;
const from = (ip: string, auth: string | null, path = "/config") =>
  admin(path, { env: withPassword, auth, headers: { "CF-Connecting-IP": ip } });

beforeAll(async () => {
  await putConfig({ admin: { auth: { type: "basic", username: "ops", password: "${ADMIN_PASSWORD}" } }, upstreams: [upstream()] });
});

async function expectLocked(res: Response): Promise<void> {
  expect(res.status).toBe(429);
  const seconds = Number(res.headers.get("Retry-After"));
  expect(seconds).toBeGreaterThan(14 * 60);
  expect(seconds).toBeLessThanOrEqual(15 * 60);
  expect(await res.json()).toEqual({
    error: "login_locked",
    message: expect.any(String),
    retry_after: seconds,
    request_id: res.headers.get("X-Request-Id"),
  });
}

describe("admin login lockout", () => {
  it("locks basic logins from a client after 5 failures, the right password included, and never the bearer token", async () => {
    expect(ADMIN_LOGIN_LIMIT).toEqual({ maxFailures: 5, windowMs: 60_000, blockMs: 15 * 60_000 });
    for (let i = 0; i < 4; i++) expect((await from("203.0.113.60", basic(`guess-${i}`, "wrong"))).status).toBe(401);
    expect((await from("203.0.113.60", basic("ops", PASSWORD))).status).toBe(200);
    expect((await from("203.0.113.60", basic("ops", "wrong"))).status).toBe(401);
    await expectLocked(await from("203.0.113.60", basic("ops", PASSWORD)));
    await expectLocked(await from("203.0.113.60", basic("someone", "else")));
    // The operator behind the same address still gets in with the token.
    expect((await from("203.0.113.60", `Bearer ${env.ADMIN_TOKEN}`)).status).toBe(200);
    expect((await from("203.0.113.60", "Bearer wrong")).status).toBe(401);
    // Another address is not locked.
    expect((await from("203.0.113.61", basic("ops", PASSWORD))).status).toBe(200);
  });

  it("locks a user name guessed from many addresses, whatever the address", async () => {
    await putConfig({ admin: { auth: { type: "basic", username: "ops2", password: "${ADMIN_PASSWORD}" } }, upstreams: [upstream()] });
    try {
      for (let i = 0; i < 5; i++) expect((await from(`203.0.113.${70 + i}`, basic("ops2", `wrong-${i}`))).status).toBe(401);
      await expectLocked(await from("203.0.113.79", basic("ops2", PASSWORD)));
      expect((await from("203.0.113.79", `Bearer ${env.ADMIN_TOKEN}`)).status).toBe(200);
    } finally {
      await putConfig({ admin: { auth: { type: "basic", username: "ops", password: "${ADMIN_PASSWORD}" } }, upstreams: [upstream()] });
    }
  });

  it("holds a lock set by another isolate: the objects are asked when this isolate knows of none", async () => {
    await env.RATE_LIMITER.getByName("failures|admin-ip|203.0.113.80").countFailures({ ...ADMIN_LOGIN_LIMIT, failures: 5 });
    await expectLocked(await from("203.0.113.80", basic("ops", PASSWORD)));
  });

  it("counts only wrong user names or passwords, not malformed headers", async () => {
    for (let i = 0; i < 6; i++) expect((await from("203.0.113.81", "Basic !!!not-base64!!!")).status).toBe(401);
    expect((await from("203.0.113.81", basic("ops", PASSWORD))).status).toBe(200);
  });

  it("audits a locked client's attempts once per window, under the endpoint's pattern", async () => {
    // Other user names than ops, so that only the address is locked.
    for (let i = 0; i < 5; i++) expect((await from("203.0.113.90", basic(`audited-${i}`, "wrong"))).status).toBe(401);
    const statuses = await sendInOneWindow(
      10,
      (i) =>
        new Request(`https://gw.test/admin/routes/r-${i}`, {
          headers: { "CF-Connecting-IP": "203.0.113.90", Authorization: basic("ops", PASSWORD) },
        }),
      { base: withPassword },
    );
    expect(statuses).toEqual(Array(10).fill(429));
    const rows = await auditRows("event = 'admin_auth_failure' AND ip = ? AND details LIKE '%locked_out%'", "203.0.113.90");
    expect(rows).toHaveLength(1);
    expect(rows[0]).toMatchObject({ target: "/admin/routes/:id", action: "admin_auth", actor: "anonymous" });
    expect(JSON.parse(rows[0]!.details)).toMatchObject({ scheme: "basic", reason: "locked_out", count: 10 });
  });
});
