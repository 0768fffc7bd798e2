/**
 * `auth_failure_limit` through the whole worker: refused credentials counted per client block
 * in the rate-limit objects, and a blocked client refused 429 before any key lookup or
 * signature check, valid credentials included. (`send` waits for the request's waitUntil, so a
 * failure has reached the object and this isolate knows the verdict when it returns.)
 * Requests carry CF-Connecting-IP as Cloudflare's edge sets it; each test uses its own addresses.
 */
import { env } from "cloudflare:workers";
import { SignJWT } from "jose";
import { afterEach, beforeAll, describe, expect, it, vi } from "vitest";
import type { Env } from "../../worker/env";
import { auditRows, envWithBrokenDb, putConfig, send } from "./admin-harness";
import { sendInOneWindow } from "./audit-windows";

const JWT_SECRET = "an HMAC key of at least 32 bytes for HS256 (test)";
const withSecret = { ...env, JWT_SECRET };
const CONFIG = {
  auth_failure_limit: { max_failures: 3, window: "1m", block_for: "5m" },
  routes: [
    { id: "keyed", path: "/keyed/*", upstream: "origin", auth: { type: "api_key", keys: ["${DEMO_API_KEY}"] } },
    { id: "signed", path: "/signed/*", upstream: "origin", auth: { type: "jwt", secret: "${JWT_SECRET}", algorithms: ["HS256"] } },
    { id: "open", path: "/open/*", upstream: "origin", auth: "none" },
  ],
  upstreams: [{ name: "origin", endpoints: ["https://origin.test"] }],
};

beforeAll(async () => {
  await putConfig(CONFIG);
});

afterEach(() => {
  vi.restoreAllMocks();
});

const keyed = (ip: string, key: string | undefined, init: { env?: Env } = {}) =>
  send("/keyed/echo", { headers: { "CF-Connecting-IP": ip, ...(key === undefined ? {} : { "X-API-Key": key }) }, ...init });

async function failTimes(ip: string, times: number): Promise<void> {
  for (let i = 0; i < times; i++) expect((await keyed(ip, `wrong-${i}`)).status).toBe(401);
}

async function expectBlocked(res: Response): Promise<void> {
  expect(res.status).toBe(429);
  const seconds = Number(res.headers.get("Retry-After"));
  expect(seconds).toBeGreaterThan(0);
  expect(seconds).toBeLessThanOrEqual(300);
  expect(await res.json()).toEqual({
    error: "too_many_auth_failures",
    message: expect.any(String),
    retry_after: seconds,
    request_id: res.headers.get("X-Request-Id"),
  });
}

const token = () =>
  new SignJWT({ sub: "alice" })
    .setProtectedHeader({ alg: "HS256" })
    .setIssuedAt()
    .setExpirationTime("5m")
    .sign(new TextEncoder().encode(JWT_SECRET));

describe("auth_failure_limit", () => {
  it("refuses a client 429 with Retry-After from its max_failures-th refused credential on, valid credentials included", async () => {
    await failTimes("198.51.100.1", 2);
    expect((await keyed("198.51.100.1", String(env.DEMO_API_KEY))).status).toBe(200);
    await failTimes("198.51.100.1", 1);
    await expectBlocked(await keyed("198.51.100.1", String(env.DEMO_API_KEY)));
    await expectBlocked(await keyed("198.51.100.1", "wrong-again"));
    // On every route that authenticates, whatever the scheme.
    await expectBlocked(
      await send("/signed/x", {
        headers: { "CF-Connecting-IP": "198.51.100.1", Authorization: `Bearer ${await token()}` },
        env: withSecret,
      }),
    );
  });

  it("leaves other clients and routes without authentication alone", async () => {
    await failTimes("198.51.100.2", 3);
    await expectBlocked(await keyed("198.51.100.2", String(env.DEMO_API_KEY)));
    expect((await keyed("198.51.100.3", String(env.DEMO_API_KEY))).status).toBe(200);
    expect((await send("/open/x", { headers: { "CF-Connecting-IP": "198.51.100.2" } })).status).toBe(200);
  });

  it("refuses a blocked client before any key lookup: the consumer store is not asked (here: it is down)", async () => {
    const broken = envWithBrokenDb();
    vi.spyOn(console, "error").mockImplementation(() => {});
    // An unknown key from a client that is not blocked goes to the consumer store, which is down: 503.
    expect((await keyed("198.51.100.5", "unknown-key", { env: broken })).status).toBe(503);
    await failTimes("198.51.100.4", 3);
    await expectBlocked(await keyed("198.51.100.4", "unknown-key", { env: broken }));
  });

  it("refuses a blocked client before any signature check: the HMAC secret is not even read (here: it is unset)", async () => {
    vi.spyOn(console, "error").mockImplementation(() => {});
    const jwt = await token();
    // Not blocked: the signature check needs the unset secret and fails closed with 500.
    expect((await send("/signed/x", { headers: { "CF-Connecting-IP": "198.51.100.7", Authorization: `Bearer ${jwt}` } })).status).toBe(500);
    expect(
      (await send("/signed/x", { headers: { "CF-Connecting-IP": "198.51.100.6", Authorization: `Bearer ${jwt}` }, env: withSecret }))
        .status,
    ).toBe(200);
    for (let i = 0; i < 3; i++)
      expect(
        (await send("/signed/x", { headers: { "CF-Connecting-IP": "198.51.100.6", Authorization: `Bearer ${jwt}x` }, env: withSecret }))
          .status,
      ).toBe(401);
    await expectBlocked(await send("/signed/x", { headers: { "CF-Connecting-IP": "198.51.100.6", Authorization: `Bearer ${jwt}` } }));
  });

  it("counts an IPv6 client per /64: failures from several of its addresses add up, another /64 is not blocked", async () => {
    for (const ip of ["2001:db8:5:1::1", "2001:db8:5:1:aaaa::2", "2001:db8:5:1:ffff:ffff:ffff:ffff"])
      expect((await keyed(ip, "wrong")).status).toBe(401);
    await expectBlocked(await keyed("2001:db8:5:1::99", String(env.DEMO_API_KEY)));
    expect((await keyed("2001:db8:5:2::1", String(env.DEMO_API_KEY))).status).toBe(200);
  });

  it("does not count requests without credentials: they guess nothing and cost no lookup", async () => {
    for (let i = 0; i < 5; i++) expect((await keyed("198.51.100.8", undefined)).status).toBe(401);
    expect((await keyed("198.51.100.8", String(env.DEMO_API_KEY))).status).toBe(200);
  });

  it("audits the refusals of a blocked client once per window, as auth_failure with reason too_many_failures", async () => {
    await failTimes("198.51.100.9", 3);
    const statuses = await sendInOneWindow(
      20,
      () =>
        new Request("http://gw.test/keyed/echo", {
          headers: { "CF-Connecting-IP": "198.51.100.9", "X-API-Key": String(env.DEMO_API_KEY) },
        }),
    );
    expect(statuses).toEqual(Array(20).fill(429));
    const rows = await auditRows("event = 'auth_failure' AND ip = ? AND details LIKE '%too_many_failures%'", "198.51.100.9");
    expect(rows).toHaveLength(1);
    expect(rows[0]).toMatchObject({ target: "routes/keyed", action: "authenticate", actor: "anonymous" });
    expect(JSON.parse(rows[0]!.details)).toMatchObject({ scheme: "api_key", reason: "too_many_failures", count: 20 });
  });

  it("blocks nobody when switched off", async () => {
    await putConfig({ ...CONFIG, auth_failure_limit: { enabled: false, max_failures: 3 } });
    try {
      await failTimes("198.51.100.10", 10);
      expect((await keyed("198.51.100.10", String(env.DEMO_API_KEY))).status).toBe(200);
    } finally {
      await putConfig(CONFIG);
    }
  });
});
