import { createExecutionContext, waitOnExecutionContext } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { Hono, type Context } from "hono";
import { afterEach, describe, expect, it, vi } from "vitest";
import type { AcquireRequest, AcquireResult, RateLimiter } from "../../../durable-objects/rate-limiter";
import type { AppEnv } from "../../env";
import type { MatchedRoute } from "../../env";
import { testApp } from "../test-app.test-helper";
import { rateLimit, type LimiterNamespace, type RateLimitedEvent, type RateLimitOptions } from "./index";
import { rateLimitSchema } from "./schema";
import { compileKey } from "../../limits/key-expression";
import { ABANDONED_CALL_MS, DENY_RECHECK_MS, LocalLimiter, type RequestIo } from "../../limits/local-limiter";

let now = 1_000_000;
const clock = () => now;

afterEach(() => {
  vi.useRealTimers();
  vi.restoreAllMocks();
});

/** The RATE_LIMITER namespace, counting calls; `failure` makes every call reject with it. */
function counting(failure?: () => unknown): { namespace: LimiterNamespace; calls: () => number } {
  let calls = 0;
  const namespace: LimiterNamespace = (bindings) =>
    ({
      getByName: (name: string) => ({
        acquire: (request: AcquireRequest) => {
          calls += 1;
          return failure ? Promise.reject(failure()) : bindings.RATE_LIMITER.getByName(name).acquire(request);
        },
      }),
    }) as unknown as DurableObjectNamespace<RateLimiter>;
  return { namespace, calls: () => calls };
}

/** Request vars a real pipeline sets before the limiter: client address, route, auth. */
function requestVars(c: Context<AppEnv>): void {
  c.set("requestId", "test-request");
  c.set("clientIp", c.req.header("cf-connecting-ip") ?? "");
  const route = c.req.header("x-test-route");
  if (route) c.set("route", { id: route } as MatchedRoute);
  const consumer = c.req.header("x-test-consumer");
  if (consumer) c.set("consumer", consumer);
  const consumerBurst = c.req.header("x-test-consumer-burst");
  if (consumerBurst) c.set("consumerRateLimit", { requests_per_second: 1, burst: Number(consumerBurst) });
}

type TestOptions = Omit<RateLimitOptions, "config"> & { config?: unknown; namespace?: LimiterNamespace };

function limitedApp(options: TestOptions = {}): Hono<AppEnv> {
  const { config, namespace, ...rest } = options;
  return testApp([
    async (c, next) => {
      requestVars(c);
      await next();
    },
    rateLimit({ clock, ...rest, config: rateLimitSchema.parse(config ?? {}) }, namespace),
  ]);
}

async function send(app: Hono<AppEnv>, headers: Record<string, string> = {}): Promise<Response> {
  const ctx = createExecutionContext();
  const response = await app.request("http://gw.test/resource", { headers }, env, ctx);
  await waitOnExecutionContext(ctx);
  return response;
}

async function statuses(app: Hono<AppEnv>, count: number, headers: Record<string, string>): Promise<number[]> {
  const result: number[] = [];
  for (let i = 0; i < count; i++) result.push((await send(app, headers)).status);
  return result;
}

describe("rateLimit: burst, then the sustained rate", () => {
  it("admits the burst, then answers 429 with Retry-After, RateLimit headers and a JSON body", async () => {
    const app = limitedApp({ config: { default: { requests_per_second: 1, burst: 3 } } });
    const ip = { "cf-connecting-ip": "198.51.100.1" };
    expect(await statuses(app, 3, ip)).toEqual([200, 200, 200]);
    const refused = await send(app, ip);
    expect(refused.status).toBe(429);
    expect(refused.headers.get("Retry-After")).toBe("1");
    expect(refused.headers.get("RateLimit-Policy")).toBe('"burst";q=3;w=3');
    expect(refused.headers.get("RateLimit")).toBe('"burst";r=0;t=1');
    expect(refused.headers.get("X-RateLimit-Limit")).toBe("3");
    expect(refused.headers.get("X-RateLimit-Remaining")).toBe("0");
    expect(await refused.json()).toEqual({
      error: "rate_limited",
      message: "too many requests; retry in 1 s",
      retry_after: 1,
      request_id: "test-request",
    });
  });

  it("admits `requests_per_second` more each second", async () => {
    const app = limitedApp({ config: { default: { requests_per_second: 2, burst: 2 } } });
    const ip = { "cf-connecting-ip": "198.51.100.2" };
    expect(await statuses(app, 4, ip)).toEqual([200, 200, 429, 429]);
    now += 1000;
    expect(await statuses(app, 3, ip)).toEqual([200, 200, 429]);
  });

  it("describes the remaining quota on admitted responses", async () => {
    const app = limitedApp({ config: { default: { requests_per_second: 10, burst: 20, requests_per_minute: 300 } } });
    const response = await send(app, { "cf-connecting-ip": "198.51.100.3" });
    expect(response.status).toBe(200);
    expect(response.headers.get("RateLimit-Policy")).toBe('"burst";q=20;w=2, "minute";q=300;w=60');
    expect(response.headers.get("RateLimit")).toMatch(/^"burst";r=\d+;t=\d+, "minute";r=\d+;t=\d+$/);
    expect(response.headers.get("RateLimit")).toContain('"minute";r=299;t=1');
    // Loom's pair: the first bucket's size, and the fewest tokens left in any bucket.
    expect(response.headers.get("X-RateLimit-Limit")).toBe("20");
    const left = [...response.headers.get("RateLimit")!.matchAll(/r=(\d+)/g)].map((match) => Number(match[1]));
    expect(response.headers.get("X-RateLimit-Remaining")).toBe(String(Math.min(...left)));
  });

  it("admits exactly the burst out of many parallel requests on one key, with one or two object calls", async () => {
    const { namespace, calls } = counting();
    const app = limitedApp({ config: { default: { requests_per_second: 1, burst: 20 } }, namespace });
    const responses = await Promise.all(Array.from({ length: 60 }, () => send(app, { "cf-connecting-ip": "198.51.100.4" })));
    expect(responses.filter((response) => response.status === 200)).toHaveLength(20);
    expect(responses.filter((response) => response.status === 429)).toHaveLength(40);
    // One call decides them all (the rest join it); a second pays the credit taken.
    expect(calls()).toBeLessThanOrEqual(2);
    now += 60_000;
  });

  it("keeps separate counters per key", async () => {
    const app = limitedApp({ config: { default: { requests_per_second: 1, burst: 1 } } });
    expect(await statuses(app, 2, { "cf-connecting-ip": "198.51.100.5" })).toEqual([200, 429]);
    expect(await statuses(app, 2, { "cf-connecting-ip": "198.51.100.6" })).toEqual([200, 429]);
  });

  it("passes everything through, without headers or calls, when disabled", async () => {
    const { namespace, calls } = counting();
    const app = limitedApp({ config: { enabled: false, default: { requests_per_second: 1, burst: 1 } }, namespace });
    const responses = await Promise.all([1, 2, 3].map(() => send(app, { "cf-connecting-ip": "198.51.100.7" })));
    expect(responses.map((response) => response.status)).toEqual([200, 200, 200]);
    expect(responses[0]!.headers.has("RateLimit-Policy")).toBe(false);
    expect(responses[0]!.headers.has("X-RateLimit-Limit")).toBe(false);
    expect(calls()).toBe(0);
  });
});

describe("rateLimit in Loom's code dialect (rate, burst)", () => {
  it("is off unless enabled: true, without headers or calls", async () => {
    const { namespace, calls } = counting();
    const app = limitedApp({ config: { rate: 1, burst: 1 }, namespace });
    const responses = await Promise.all([1, 2, 3].map(() => send(app, { "cf-connecting-ip": "198.51.100.20" })));
    expect(responses.map((response) => response.status)).toEqual([200, 200, 200]);
    expect(responses[0]!.headers.has("X-RateLimit-Limit")).toBe(false);
    expect(calls()).toBe(0);
  });

  it("limits on the Durable Objects when enabled, with Loom's and the IETF headers and Retry-After on the 429", async () => {
    const { namespace, calls } = counting();
    const app = limitedApp({ config: { enabled: true, rate: 1, burst: 2 }, namespace });
    const ip = { "cf-connecting-ip": "198.51.100.21" };
    const first = await send(app, ip);
    expect(first.status).toBe(200);
    expect(first.headers.get("X-RateLimit-Limit")).toBe("2");
    expect(first.headers.get("RateLimit-Policy")).toBe('"burst";q=2;w=2');
    expect((await send(app, ip)).status).toBe(200);
    const refused = await send(app, ip);
    expect(refused.status).toBe(429);
    expect(refused.headers.get("Retry-After")).toBe("1");
    expect(refused.headers.get("X-RateLimit-Limit")).toBe("2");
    expect(refused.headers.get("X-RateLimit-Remaining")).toBe("0");
    expect(calls()).toBeGreaterThan(0);
  });

  it("uses Loom's defaults when enabled alone: burst 10 at 100 per second", async () => {
    const app = limitedApp({ config: { enabled: true, cleanup_interval: "5m" } });
    const results = await statuses(app, 12, { "cf-connecting-ip": "198.51.100.22" });
    expect(results.filter((status) => status === 200)).toHaveLength(10);
    expect(results.slice(10)).toEqual([429, 429]);
  });
});

describe("rateLimit: which limit applies", () => {
  const config = { default: { requests_per_second: 100, burst: 100 }, routes: { auth: { requests_per_second: 1, burst: 1 } } };

  it("applies a route's override on that route only, with its own counter", async () => {
    const app = limitedApp({ config });
    const ip = "198.51.100.10";
    expect(await statuses(app, 2, { "cf-connecting-ip": ip, "x-test-route": "auth" })).toEqual([200, 429]);
    expect(await statuses(app, 2, { "cf-connecting-ip": ip, "x-test-route": "orders" })).toEqual([200, 200]);
    const stub = env.RATE_LIMITER.getByName(`route=auth|${ip}`);
    expect((await stub.state(now))?.limits).toEqual({ rate: 1, burst: 1, windows: {} });
  });

  it("applies the consumer's own limit (from its record) before the route's, as Kong's precedence", async () => {
    const app = limitedApp({ config });
    const headers = { "cf-connecting-ip": "198.51.100.11", "x-test-route": "auth" };
    expect(await statuses(app, 4, { ...headers, "x-test-consumer": "acme", "x-test-consumer-burst": "3" })).toEqual([200, 200, 200, 429]);
    // Another consumer without a limit of its own falls back to the route's.
    expect(await statuses(app, 2, { ...headers, "x-test-consumer": "globex" })).toEqual([200, 429]);
    expect(await env.RATE_LIMITER.getByName("consumer=acme|198.51.100.11").state(now)).toMatchObject({ limits: { rate: 1, burst: 3 } });
  });

  it("takes consumer limits from a hook when one is given", async () => {
    const consumerLimit = vi.fn((consumer: string) => (consumer === "initech" ? { requests_per_second: 1, burst: 2 } : undefined));
    const app = limitedApp({ config, consumerLimit });
    const headers = { "cf-connecting-ip": "198.51.100.12", "x-test-route": "auth", "x-test-consumer": "initech" };
    expect(await statuses(app, 3, headers)).toEqual([200, 200, 429]);
    expect(consumerLimit).toHaveBeenCalledWith("initech", expect.anything());
  });

  it("refuses a config whose limit could never admit, when the policy is built", () => {
    expect(() => rateLimit({ config: { ...rateLimitSchema.parse({}), default: {} } })).toThrow(RangeError);
    expect(rateLimitSchema.safeParse({ default: {} }).success).toBe(false);
    expect(rateLimitSchema.safeParse({ default: { burst: 5 } }).success).toBe(false);
  });
});

describe("rate-limit key expressions", () => {
  async function keyOf(
    expression: string,
    vars: Partial<AppEnv["Variables"]>,
    headers: Record<string, string> = {},
    identityHeaders: string[] = [],
  ): Promise<string> {
    const key = compileKey(expression, identityHeaders);
    const app = new Hono<AppEnv>();
    app.all("*", (c) => {
      for (const [name, value] of Object.entries(vars)) c.set(name as keyof AppEnv["Variables"], value as never);
      return c.text(key(c));
    });
    return (await app.request("http://API.Example.com/x", { method: "POST", headers })).text();
  }

  it("substitutes request values", async () => {
    const route = { id: "orders" } as MatchedRoute;
    expect(await keyOf("${client_ip}", { clientIp: "203.0.113.9" })).toBe("203.0.113.9");
    expect(await keyOf("${consumer}/${tenant}", { consumer: "acme", tenant: "t1" })).toBe("acme/t1");
    expect(await keyOf("${route}:${method}:${host}", { route })).toBe("orders:POST:api.example.com");
    expect(await keyOf("user:${jwt.sub}:${jwt.org.id}", { jwt: { sub: "u-1", org: { id: 42 } } })).toBe("user:u-1:42");
    expect(await keyOf("${header.X-Tenant}", {}, { "x-tenant": "a|b c" })).toBe("a%7Cb%20c");
  });

  it("reads an identity header the gateway asserts from the verified identity, never the client's copy", async () => {
    const identity = ["x-consumer-id"];
    const forged = { "x-consumer-id": "someone-else" };
    expect(await keyOf("${header.X-Consumer-Id}", { identityHeaders: [["X-Consumer-Id", "acme"]] }, forged, identity)).toBe("acme");
    // Not authenticated on this route: no verified value, and the client's copy does not count.
    expect(await keyOf("${header.X-Consumer-Id}", { clientIp: "203.0.113.9" }, forged, identity)).toBe("ip:203.0.113.9");
    // Any other header is the client's.
    expect(await keyOf("${header.X-Tenant}", {}, { "x-tenant": "t1" }, identity)).toBe("t1");
  });

  it("falls back to the client address for a value the request lacks", async () => {
    expect(await keyOf("${consumer}", { clientIp: "203.0.113.9" })).toBe("ip:203.0.113.9");
    expect(await keyOf("${jwt.sub}:${route}", { clientIp: "203.0.113.9" })).toBe("ip:203.0.113.9:ip:203.0.113.9");
    expect(await keyOf("${header.X-Tenant}", {})).toBe("ip:unknown");
  });

  it("limits by the evaluated key", async () => {
    const app = limitedApp({ config: { default: { requests_per_second: 1, burst: 1 }, key: "${header.X-Team}" } });
    expect(await statuses(app, 2, { "cf-connecting-ip": "198.51.100.20", "x-team": "red" })).toEqual([200, 429]);
    expect(await statuses(app, 1, { "cf-connecting-ip": "198.51.100.20", "x-team": "blue" })).toEqual([200]);
  });
});

describe("rateLimit: cost per request", () => {
  it("makes at most 0.1 object calls per request at a steady 10x the limit, admitting the limit", async () => {
    const { namespace, calls } = counting();
    const app = limitedApp({ config: { default: { requests_per_second: 10, burst: 20 } }, namespace, random: () => 0.5 });
    const ip = { "cf-connecting-ip": "198.51.100.30" };
    let admitted = 0;
    const seconds = 10;
    for (let request = 0; request < seconds * 100; request++) {
      if ((await send(app, ip)).status === 200) admitted += 1;
      now += 10;
    }
    expect(calls() / (seconds * 100)).toBeLessThanOrEqual(0.1);
    expect(admitted).toBeLessThanOrEqual(10 * seconds + 20);
    expect(admitted).toBeGreaterThanOrEqual(10 * seconds * 0.95);
  });

  it("answers from the deny-cache until the retry time, without calling the object", async () => {
    const { namespace, calls } = counting();
    const app = limitedApp({ config: { default: { requests_per_second: 1, burst: 1 } }, namespace, random: () => 0 });
    const ip = { "cf-connecting-ip": "198.51.100.31" };
    expect(await statuses(app, 2, ip)).toEqual([200, 429]);
    const before = calls();
    now += 500;
    expect(await statuses(app, 5, ip)).toEqual([429, 429, 429, 429, 429]);
    expect(calls()).toBe(before);
    now += 500;
    expect(await statuses(app, 1, ip)).toEqual([200]);
  });
});

describe("rateLimit: a long refusal", () => {
  it("is cached for DENY_RECHECK_MS at most, then the object is asked again; Retry-After stays the object's", async () => {
    const { namespace, calls } = counting();
    // random 0.5: no jitter.
    const app = limitedApp({ config: { default: { requests_per_hour: 1 } }, namespace, random: () => 0.5 });
    const ip = { "cf-connecting-ip": "198.51.100.33" };
    // The hour's one token: the grant drained the bucket, and the isolate knows it.
    expect(await statuses(app, 1, ip)).toEqual([200]);
    const before = calls();
    now += 1000;
    const refused = await send(app, ip);
    expect(refused.status).toBe(429);
    // The token comes back in just under an hour.
    expect(Number(refused.headers.get("Retry-After"))).toBeGreaterThan(3590);
    now += DENY_RECHECK_MS - 1001;
    const cached = await send(app, ip);
    expect(cached.status).toBe(429);
    expect(Number(cached.headers.get("Retry-After"))).toBeGreaterThan(3590);
    expect(calls()).toBe(before);
    // So an admin reset of the counter reaches this isolate within DENY_RECHECK_MS.
    now += 1;
    expect((await send(app, ip)).status).toBe(429);
    expect(calls()).toBe(before + 1);
  });
});

describe("rateLimit: Retry-After is the real wait", () => {
  it("tells requests refused beyond what one call could admit when the next token comes, not 1 s", async () => {
    // 3 a minute: a token every 20 s. Ten requests at once: one call decides them all.
    const app = limitedApp({ config: { default: { requests_per_minute: 3 } }, random: () => 0.5 });
    const ip = { "cf-connecting-ip": "198.51.100.34" };
    const responses = await Promise.all(Array.from({ length: 10 }, () => send(app, ip)));
    const refused = responses.filter((response) => response.status === 429);
    expect(refused).toHaveLength(7);
    for (const response of refused) {
      expect(response.headers.get("Retry-After")).toBe("20");
      expect(response.headers.get("RateLimit")).toBe('"minute";r=0;t=20');
    }
    // Later refusals (from the deny-cache or the object) count down from there.
    now += 5_000;
    const later = await send(app, ip);
    expect(later.status).toBe(429);
    expect(Number(later.headers.get("Retry-After"))).toBeGreaterThanOrEqual(14);
    expect(Number(later.headers.get("Retry-After"))).toBeLessThanOrEqual(15);
    now += 15_000;
    expect((await send(app, ip)).status).toBe(200);
  });

  it("says the object's wait, rounded up, and the deny-cache's jitter never refuses a client that waited it out", async () => {
    // One token every 2 s, burst 1: after the refusal the next token is 2 s away; whatever the
    // jitter, a request 2 s later is admitted.
    for (const random of [0, 0.5, 0.999]) {
      const app = limitedApp({ config: { default: { requests_per_second: 0.5, burst: 1 } }, random: () => random });
      const ip = { "cf-connecting-ip": "198.51.100.35" };
      now += 60_000;
      expect(await statuses(app, 1, ip)).toEqual([200]);
      const refused = await send(app, ip);
      expect(refused.status).toBe(429);
      expect(refused.headers.get("Retry-After")).toBe("2");
      now += 2_000;
      expect(await statuses(app, 1, ip)).toEqual([200]);
    }
  });
});

describe("rateLimit: a request cancelled while its object call is in flight", () => {
  /** The first call never lands (its request was cancelled); the others reach the object. */
  function firstCallLost(): { namespace: LimiterNamespace; calls: () => number } {
    let calls = 0;
    const namespace: LimiterNamespace = (bindings) =>
      ({
        getByName: (name: string) => ({
          acquire: (request: AcquireRequest) =>
            ++calls === 1 ? new Promise(() => {}) : bindings.RATE_LIMITER.getByName(name).acquire(request),
        }),
      }) as unknown as DurableObjectNamespace<RateLimiter>;
    return { namespace, calls: () => calls };
  }

  it.each([
    [true, 200],
    [false, 503],
  ])("does not hold the requests that joined its call (fail_open %s: %i), and the next request calls again", async (failOpen, status) => {
    vi.useFakeTimers({ toFake: ["setTimeout", "clearTimeout"] });
    const { namespace, calls } = firstCallLost();
    const app = limitedApp({ config: { default: { requests_per_second: 10, burst: 10 }, fail_open: failOpen }, namespace });
    const ip = { "cf-connecting-ip": failOpen ? "198.51.100.36" : "198.51.100.37" };
    // The first request makes the call and is never answered (its client went away).
    void send(app, ip);
    // A second one joins that call.
    const joined = send(app, ip);
    await vi.waitFor(() => expect(vi.getTimerCount()).toBe(1));
    now += ABANDONED_CALL_MS;
    await vi.advanceTimersByTimeAsync(ABANDONED_CALL_MS);
    expect((await joined).status).toBe(status);
    // The key is not stuck on the lost call: the next request is decided by a call of its own.
    vi.useRealTimers();
    const next = await send(app, ip);
    expect(next.status).toBe(200);
    expect(next.headers.get("RateLimit")).toMatch(/^"burst";r=\d+;t=\d+$/);
    expect(calls()).toBe(2);
  });

  it("hands its call to waitUntil, so the call lands even if its own request is cancelled", async () => {
    const background: Promise<unknown>[] = [];
    const limiter = new LocalLimiter({ clock });
    let answer!: (result: AcquireResult) => void;
    const io: RequestIo = { acquire: () => new Promise((resolve) => (answer = resolve)), background: (work) => background.push(work) };
    const first = limiter.decide("waituntil", { rate: 10, burst: 10 }, io);
    const joined = limiter.decide("waituntil", { rate: 10, burst: 10 }, io);
    expect(background).toHaveLength(1);
    answer({
      granted: true,
      leaseTokens: 0,
      leaseTtlMs: 0,
      retryAfterMs: 0,
      credit: 5,
      limits: [{ name: "burst", remaining: 5, resetMs: 500 }],
    });
    await background[0];
    expect((await first).outcome).toBe("admitted");
    expect((await joined).outcome).toBe("admitted");
  });
});

describe("rateLimit: when the object fails", () => {
  it("admits with fail_open (the default), logs once, and leaves the object alone for a second", async () => {
    const warn = vi.spyOn(console, "warn").mockImplementation(() => {});
    const { namespace, calls } = counting(() => Object.assign(new Error("storage failed"), { retryable: true }));
    const app = limitedApp({ config: { default: { requests_per_second: 1, burst: 1 } }, namespace });
    const responses = [];
    for (let i = 0; i < 3; i++) responses.push(await send(app, { "cf-connecting-ip": "198.51.100.40" }));
    expect(responses.map((response) => response.status)).toEqual([200, 200, 200]);
    expect(responses[0]!.headers.get("RateLimit-Policy")).toBe('"burst";q=1;w=1');
    expect(responses[0]!.headers.has("RateLimit")).toBe(false);
    expect(calls()).toBe(1);
    expect(warn).toHaveBeenCalledTimes(1);
    expect(JSON.parse(String(warn.mock.calls[0]![0]))).toMatchObject({
      event: "rate_limit_store_unavailable",
      fail_open: true,
      name: "Error",
      retryable: true,
      overloaded: false,
    });
    now += 1000;
    await send(app, { "cf-connecting-ip": "198.51.100.40" });
    expect(calls()).toBe(2);
  });

  it("refuses with 503, never 500, when fail_open is false", async () => {
    vi.spyOn(console, "warn").mockImplementation(() => {});
    const { namespace } = counting(() => new Error("storage failed"));
    const app = limitedApp({ config: { default: { requests_per_second: 1 }, fail_open: false }, namespace });
    const response = await send(app, { "cf-connecting-ip": "198.51.100.41" });
    expect(response.status).toBe(503);
    expect(response.headers.get("Retry-After")).toBe("1");
    expect(await response.json()).toMatchObject({ error: "rate_limit_unavailable" });
  });

  it("does not retry an overloaded object: one call for the request, then the fail policy", async () => {
    const warn = vi.spyOn(console, "warn").mockImplementation(() => {});
    const { namespace, calls } = counting(() => Object.assign(new Error("Durable Object is overloaded"), { overloaded: true }));
    const app = limitedApp({ config: { default: { requests_per_second: 1 } }, namespace });
    expect((await send(app, { "cf-connecting-ip": "198.51.100.42" })).status).toBe(200);
    expect(calls()).toBe(1);
    expect(JSON.parse(String(warn.mock.calls[0]![0]))).toMatchObject({ overloaded: true });
  });
});

describe("rateLimit: audit events", () => {
  it("aggregates refusals per key and window into one event with a count", async () => {
    const events: RateLimitedEvent[] = [];
    const app = limitedApp({
      config: { default: { requests_per_second: 1, burst: 1 } },
      onLimited: (event, c) => void events.push({ ...event, key: `${c.var.requestId} ${event.key}` }),
      auditWindowMs: 1,
    });
    const headers = { "cf-connecting-ip": "198.51.100.50", "x-test-route": "orders" };
    // A flood arrives while the first window is open: one event counts it all.
    const responses = await Promise.all(Array.from({ length: 200 }, () => send(app, headers)));
    expect(responses.filter((response) => response.status === 429)).toHaveLength(199);
    expect(events).toEqual([{ key: "test-request default|198.51.100.50", route: "orders", count: 199, firstAt: now, lastAt: now }]);
    // The next refusal opens a new window.
    expect((await send(app, headers)).status).toBe(429);
    expect(events).toHaveLength(2);
    expect(events[1]).toMatchObject({ count: 1 });
  });
});
