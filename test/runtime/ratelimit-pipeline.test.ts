/**
 * Rate limits through the whole worker: the config's `rate_limit` block (default, a route's
 * override, a consumer's own limit from its record, a header key expression), the answers and
 * headers, the aggregated audit rows, a failing counter store, and the admin API's view and
 * reset of a counter.
 *
 * Limits refill slowly (one request per 10 s), so a test's requests never earn a token while
 * it runs, however loaded the machine. vitest.config.ts sets AUDIT_WINDOW_MS to 0 (every refusal
 * its own audit event); the aggregation test opens a window itself and closes it with fake timers.
 */
import { env } from "cloudflare:workers";
import { afterEach, beforeAll, describe, expect, it, vi } from "vitest";
import type { Env } from "../../worker/env";
import { admin, auditRows, envWithBrokenDb, json, putConfig, send, statuses } from "./admin-harness";

const SLOW = { requests_per_second: 0.1 };

const config = {
  middleware: { auth: { type: "api_key", keys: ["${DEMO_API_KEY}"] } },
  rate_limit: {
    default: { ...SLOW, burst: 3 },
    key: "${header.X-Tenant}",
    routes: { strict: { ...SLOW, burst: 1 } },
  },
  routes: [
    { id: "open", path: "/open/*", upstream: "origin", auth: "none" },
    { id: "strict", path: "/strict/*", upstream: "origin", auth: "none" },
    { id: "keyed", path: "/keyed/*", upstream: "origin" },
  ],
  upstreams: [{ name: "origin", endpoints: ["https://origin.test"] }],
};

interface RateLimitState {
  key: string;
  limits: Record<string, number>;
  buckets: { name: string; remaining: number; reset_ms: number }[];
  leased_tokens: number;
  calls: number;
}

/** A request from `ip` (the key falls back to it without X-Tenant). */
const from = (ip: string, headers: Record<string, string> = {}): RequestInit => ({ headers: { "CF-Connecting-IP": ip, ...headers } });

const counterPath = (name: string) => `/rate-limits/${encodeURIComponent(name)}`;

async function counter(name: string): Promise<RateLimitState> {
  const res = await admin(counterPath(name));
  expect(res.status, await res.clone().text()).toBe(200);
  return res.json<RateLimitState>();
}

/** A RATE_LIMITER binding whose objects fail every call, or whose getByName throws at once. */
function envWithBrokenLimiter(how: "call" | "binding"): Env {
  const failure = () => Object.assign(new Error("Durable Object storage operation failed (test)"), { retryable: true });
  const namespace = {
    getByName: () => {
      if (how === "binding") throw failure();
      return { acquire: () => Promise.reject(failure()), state: () => Promise.reject(failure()), reset: () => Promise.reject(failure()) };
    },
  };
  return { ...env, RATE_LIMITER: namespace } as unknown as Env;
}

beforeAll(async () => {
  await putConfig(config);
});

afterEach(() => {
  vi.useRealTimers();
  vi.restoreAllMocks();
});

describe("rate limits on the gateway", () => {
  it("admits the burst, then answers 429 with Retry-After and a JSON body, with RateLimit headers throughout", async () => {
    const ip = from("203.0.113.10");
    const admitted = [];
    for (let i = 0; i < 3; i++) admitted.push(await send("/open/a", ip));
    expect(admitted.map((res) => res.status)).toEqual([200, 200, 200]);
    for (const res of admitted) {
      expect(res.headers.get("RateLimit-Policy")).toBe('"burst";q=3;w=30');
      expect(res.headers.get("RateLimit")).toMatch(/^"burst";r=\d+;t=\d+$/);
    }
    const refused = await send("/open/a", ip);
    expect(refused.status).toBe(429);
    const retryAfter = refused.headers.get("Retry-After");
    expect(Number(retryAfter)).toBeGreaterThanOrEqual(1);
    expect(Number(retryAfter)).toBeLessThanOrEqual(13);
    expect(refused.headers.get("Content-Type")).toMatch(/^application\/json/);
    expect(refused.headers.get("RateLimit-Policy")).toBe('"burst";q=3;w=30');
    expect(refused.headers.get("RateLimit")).toBe(`"burst";r=0;t=${retryAfter}`);
    expect(await refused.json()).toEqual({
      error: "rate_limited",
      message: `too many requests; retry in ${retryAfter} s`,
      retry_after: Number(retryAfter),
      request_id: refused.headers.get("X-Request-Id"),
    });
    expect(await statuses("/open/a", 5, ip)).toEqual([429, 429, 429, 429, 429]);
  });

  it("admits exactly the burst out of many parallel requests on one key", async () => {
    const responses = await Promise.all(Array.from({ length: 30 }, () => send("/open/p", from("203.0.113.11"))));
    expect(responses.filter((res) => res.status === 200)).toHaveLength(3);
    expect(responses.filter((res) => res.status === 429)).toHaveLength(27);
  });

  it("applies a route's override on that route, with a counter of its own", async () => {
    const ip = from("203.0.113.12");
    expect(await statuses("/strict/a", 2, ip)).toEqual([200, 429]);
    const refused = await send("/strict/a", ip);
    expect(refused.headers.get("RateLimit-Policy")).toBe('"burst";q=1;w=10');
    // The default counter of the same client is untouched.
    expect(await statuses("/open/a", 3, ip)).toEqual([200, 200, 200]);
    expect((await counter("route=strict|ip:203.0.113.12")).limits).toEqual({ requests_per_second: 0.1, burst: 1 });
  });

  it("applies a consumer's own limit, from its record, to requests with its key", async () => {
    const created = await admin("/consumers", json("POST", { id: "limited-app", tenant: "limited", rate_limit: { ...SLOW, burst: 2 } }));
    expect(created.status, await created.clone().text()).toBe(201);
    const issued = await admin("/consumers/limited-app/keys", { method: "POST" });
    const { key } = await issued.json<{ key: string }>();
    const ip = "203.0.113.13";
    expect(await statuses("/keyed/a", 3, from(ip, { "X-API-Key": key }))).toEqual([200, 200, 429]);
    expect((await send("/keyed/a", from(ip, { "X-API-Key": key }))).headers.get("RateLimit-Policy")).toBe('"burst";q=2;w=20');
    // The same client with the config's key is limited by the default (burst 3), on its own counter.
    expect(await statuses("/keyed/a", 4, from(ip, { "X-API-Key": env.DEMO_API_KEY as string }))).toEqual([200, 200, 200, 429]);
    expect((await counter(`consumer=limited-app|ip:${ip}`)).limits).toEqual({ requests_per_second: 0.1, burst: 2 });
  });

  it("keeps a counter per value of the key expression (${header.X-Tenant}), encoded", async () => {
    const ip = "203.0.113.14";
    expect(await statuses("/open/t", 4, from(ip, { "X-Tenant": "red" }))).toEqual([200, 200, 200, 429]);
    expect(await statuses("/open/t", 1, from(ip, { "X-Tenant": "blue" }))).toEqual([200]);
    // Another address with the same tenant shares the tenant's counter.
    expect(await statuses("/open/t", 1, from("203.0.113.15", { "X-Tenant": "red" }))).toEqual([429]);
    // A value that would spell a separator is percent-encoded into the name.
    expect(await statuses("/open/t", 1, from(ip, { "X-Tenant": "a|b" }))).toEqual([200]);
    expect((await counter("default|a%7Cb")).buckets[0]!.name).toBe("burst");
    expect((await admin(counterPath("default|a|b"))).status).toBe(404);
  });

  it("aggregates a flood of refusals into one audit row per key and window, with the count", async () => {
    const WINDOW_MS = 10_000;
    // The window closes on a timer in the waitUntil of the refusal that opened it.
    vi.useFakeTimers({ toFake: ["setTimeout", "clearTimeout"] });
    const init = { ...from("203.0.113.16", { "User-Agent": "flood/1" }), env: { ...env, AUDIT_WINDOW_MS: String(WINDOW_MS) } };
    expect(await statuses("/open/f", 3, init)).toEqual([200, 200, 200]);
    // The first refusal opens the window; its execution context (so `send`) waits for the close.
    // Proxied requests hold timers of their own (the upstream deadline of a body nobody read):
    // the window's timer is the one added after them.
    const before = vi.getTimerCount();
    const opener = send("/open/f", init);
    await vi.waitFor(() => expect(vi.getTimerCount()).toBeGreaterThan(before));
    const timers = vi.getTimerCount();
    expect(await statuses("/open/f", 99, init)).toEqual(Array(99).fill(429));
    // The 99 only counted: no window, no timer, no row.
    expect(vi.getTimerCount()).toBe(timers);
    expect(await auditRows("event = 'rate_limit' AND ip = ?", "203.0.113.16")).toEqual([]);
    await vi.advanceTimersByTimeAsync(WINDOW_MS);
    expect((await opener).status).toBe(429);
    const rows = await auditRows("event = 'rate_limit' AND ip = ?", "203.0.113.16");
    expect(rows).toHaveLength(1);
    expect(rows[0]).toMatchObject({ actor: "anonymous", action: "rate_limit", target: "routes/open", user_agent: "flood/1" });
    expect(JSON.parse(rows[0]!.details)).toEqual({
      limiter: "default|ip:203.0.113.16",
      count: 100,
      first_at: expect.any(String),
      last_at: expect.any(String),
    });
  });
});

describe("when the counter store fails", () => {
  it("admits with fail_open (the default), logs it, and never answers 500", async () => {
    const warn = vi.spyOn(console, "warn").mockImplementation(() => {});
    for (const how of ["call", "binding"] as const) {
      const res = await send("/open/down", { ...from(`203.0.113.2${how === "call" ? 0 : 1}`), env: envWithBrokenLimiter(how) });
      expect(res.status).toBe(200);
      expect(res.headers.get("RateLimit-Policy")).toBe('"burst";q=3;w=30');
      expect(res.headers.has("RateLimit")).toBe(false);
    }
    const logged = warn.mock.calls.map(([line]) => JSON.parse(String(line)));
    expect(logged).toEqual([
      expect.objectContaining({ event: "rate_limit_store_unavailable", fail_open: true, retryable: true }),
      expect.objectContaining({ event: "rate_limit_store_unavailable", fail_open: true, retryable: true }),
    ]);
  });

  it("refuses with 503 and Retry-After when fail_open is false", async () => {
    vi.spyOn(console, "warn").mockImplementation(() => {});
    await putConfig({ ...config, rate_limit: { ...config.rate_limit, fail_open: false } });
    try {
      const res = await send("/open/down", { ...from("203.0.113.22"), env: envWithBrokenLimiter("call") });
      expect(res.status).toBe(503);
      expect(res.headers.get("Retry-After")).toBe("1");
      expect(await res.json()).toMatchObject({ error: "rate_limit_unavailable" });
    } finally {
      await putConfig(config);
    }
  });
});

describe("GET and DELETE /admin/rate-limits/:key", () => {
  it("shows a counter by its name, as audit rows name it", async () => {
    await statuses("/open/s", 2, from("203.0.113.30"));
    const res = await admin(counterPath("default|ip:203.0.113.30"));
    expect(res.status).toBe(200);
    expect(res.headers.get("Cache-Control")).toBe("no-store");
    const state = await res.json<RateLimitState>();
    expect(state).toEqual({
      key: "default|ip:203.0.113.30",
      limits: { requests_per_second: 0.1, burst: 3 },
      buckets: [{ name: "burst", remaining: expect.any(Number), reset_ms: expect.any(Number) }],
      leased_tokens: expect.any(Number),
      calls: expect.any(Number),
    });
    // The first call took its token and leased this isolate one more (the second request's):
    // one left in the bucket, the lease counted until it expires.
    expect(state.buckets[0]!.remaining).toBe(1);
    expect(state.leased_tokens).toBeLessThanOrEqual(1);
    expect(state.calls).toBeGreaterThanOrEqual(1);
    expect(state.calls).toBeLessThanOrEqual(2);
    // The separator may also be sent as is.
    expect(await (await admin("/rate-limits/default|ip:203.0.113.30")).json()).toMatchObject({ key: "default|ip:203.0.113.30" });
  });

  it("answers 404 for a counter that never counted, 400 for a name that is not one, 401 without the token", async () => {
    expect(await (await admin(counterPath("default|ip:198.51.100.99"))).json()).toMatchObject({ error: "not_found" });
    expect((await admin(counterPath("default|ip:198.51.100.99"), { method: "DELETE" })).status).toBe(404);
    const invalid = await admin(counterPath("nonsense"));
    expect(invalid.status).toBe(400);
    expect(await invalid.json()).toMatchObject({ error: "invalid_rate_limit_key" });
    expect((await admin(counterPath("default|ip:203.0.113.30"), { auth: null })).status).toBe(401);
    expect((await admin(counterPath("default|ip:203.0.113.30"), { method: "DELETE", auth: null })).status).toBe(401);
  });

  it("resets a counter, audited, and this isolate admits the key again at once", async () => {
    const ip = from("203.0.113.31");
    expect(await statuses("/open/r", 4, ip)).toEqual([200, 200, 200, 429]);
    const res = await admin(counterPath("default|ip:203.0.113.31"), { method: "DELETE" });
    expect(res.status).toBe(200);
    const body = await res.json<{ key: string; reset: boolean; previous: RateLimitState }>();
    expect(body).toMatchObject({ key: "default|ip:203.0.113.31", reset: true, previous: { buckets: [{ name: "burst", remaining: 0 }] } });
    const [row] = await auditRows("event = 'state_reset' AND target = ?", "rate-limits/default|ip:203.0.113.31");
    expect(row).toMatchObject({ actor: "token", action: "rate_limit_reset" });
    expect(JSON.parse(row!.details)).toMatchObject({ limiter: "default|ip:203.0.113.31", buckets: [{ name: "burst", remaining: 0 }] });
    // The deny-cache of this isolate is gone with the counter: a full burst again.
    expect(await statuses("/open/r", 4, ip)).toEqual([200, 200, 200, 429]);
  });

  it("changes nothing when the audit row or the counter cannot be reached (503)", async () => {
    vi.spyOn(console, "error").mockImplementation(() => {});
    const ip = from("203.0.113.32");
    expect(await statuses("/open/n", 4, ip)).toEqual([200, 200, 200, 429]);
    const noAudit = await admin(counterPath("default|ip:203.0.113.32"), { method: "DELETE", env: envWithBrokenDb() });
    expect(noAudit.status).toBe(503);
    expect(await noAudit.json()).toMatchObject({ error: "audit_unavailable" });
    const noObject = await admin(counterPath("default|ip:203.0.113.32"), { env: envWithBrokenLimiter("call") });
    expect(noObject.status).toBe(503);
    expect(await noObject.json()).toMatchObject({ error: "rate_limit_store_unavailable" });
    expect((await counter("default|ip:203.0.113.32")).buckets[0]!.remaining).toBe(0);
    expect((await send("/open/n", ip)).status).toBe(429);
  });
});

// Last: it saves a config of its own.
describe("Loom's code dialect (rate_limit { enabled, rate, burst }) through the whole worker", () => {
  const codeConfig = (rateLimit: Record<string, unknown>) => ({ ...config, middleware: {}, rate_limit: rateLimit });

  it("loads Loom's reference block with a warning for cleanup_interval only", async () => {
    const { warnings } = await putConfig(codeConfig({ enabled: true, rate: 1000, burst: 2000, cleanup_interval: "5m" }));
    expect(warnings.filter((warning) => warning.startsWith("rate_limit"))).toEqual([
      "rate_limit.cleanup_interval: ignored at the edge: each counter is a Durable Object that stops keeping state by itself once idle",
    ]);
  });

  it("limits every route by the default counters, with X-RateLimit-Limit/Remaining and Retry-After on the 429", async () => {
    await putConfig(codeConfig({ enabled: true, rate: 0.1, burst: 2 }));
    const ip = from("203.0.113.200");
    const first = await send("/open/a", ip);
    expect(first.status).toBe(200);
    expect(first.headers.get("X-RateLimit-Limit")).toBe("2");
    expect(first.headers.get("RateLimit-Policy")).toBe('"burst";q=2;w=20');
    expect((await send("/open/b", ip)).status).toBe(200);
    const refused = await send("/open/c", ip);
    expect(refused.status).toBe(429);
    expect(Number(refused.headers.get("Retry-After"))).toBeGreaterThanOrEqual(1);
    expect(refused.headers.get("X-RateLimit-Limit")).toBe("2");
    expect(refused.headers.get("X-RateLimit-Remaining")).toBe("0");
    expect((await counter("default|203.0.113.200")).buckets[0]).toMatchObject({ name: "burst", remaining: 0 });
  });

  it("limits nothing without enabled: true, as in Loom's code", async () => {
    await putConfig(codeConfig({ rate: 0.1, burst: 1 }));
    const ip = from("203.0.113.201");
    const responses = [await send("/open/a", ip), await send("/open/a", ip), await send("/open/a", ip)];
    expect(responses.map((res) => res.status)).toEqual([200, 200, 200]);
    expect(responses[2]!.headers.has("X-RateLimit-Limit")).toBe(false);
  });

  it("refuses rate beside rate_limit.default with both paths named, and keeps the config in force", async () => {
    const res = await admin("/config", json("PUT", codeConfig({ default: { requests_per_second: 1 }, rate: 1 })));
    expect(res.status).toBe(400);
    const body = JSON.stringify(await res.json());
    expect(body).toContain("rate_limit.rate");
    expect(body).toContain("rate_limit.default");
  });
});
