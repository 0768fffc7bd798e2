import { createExecutionContext, runDurableObjectAlarm, waitOnExecutionContext } from "cloudflare:test";
import { env } from "cloudflare:workers";
import type { Hono } from "hono";
import { afterEach, describe, expect, it, vi } from "vitest";
import type { CircuitBreaker } from "../../../durable-objects/circuit-breaker";
import { upstreamSchema } from "../../config/schema";
import type { AppEnv } from "../../env";
import type { MatchedRoute } from "../../env";
import { testApp } from "../test-app.test-helper";
import { CircuitCache, circuitBreaker, longestForwarding, type CircuitBreakers } from "./index";

let now = 1_000_000;
const clock = () => now;

afterEach(() => {
  vi.restoreAllMocks();
});

/**
 * An origin whose endpoints fail (502 unless told another status; 0: no answer at all, as a
 * timeout or a refused connection) until told to recover; counts what reaches it.
 */
class Origin {
  readonly hits = new Map<string, number>();
  readonly failing = new Map<string, number>();

  fail(endpoint: string, status = 502): void {
    this.failing.set(endpoint, status);
  }

  fetch(endpoint: string, path: string): Response {
    this.hits.set(endpoint, (this.hits.get(endpoint) ?? 0) + 1);
    // `/boom` answers 500 on every endpoint: a path a client can make fail.
    const status = path === "/boom" ? 500 : (this.failing.get(endpoint) ?? 200);
    // A Response cannot have status 0: an object of the shape the stand-in proxy reads.
    return status === 0 ? ({ status } as Response) : new Response(null, { status });
  }

  total(): number {
    return [...this.hits.values()].reduce((sum, hits) => sum + hits, 0);
  }
}

/** The CIRCUIT_BREAKER namespace, counting calls; `failure` makes every call reject with it. */
function counting(failure?: () => unknown): {
  namespace: (bindings: AppEnv["Bindings"]) => DurableObjectNamespace<CircuitBreaker>;
  calls: () => number;
} {
  let calls = 0;
  const namespace = (bindings: AppEnv["Bindings"]) =>
    ({
      getByName: (name: string) =>
        new Proxy(
          {},
          {
            get: (_target, method: "report" | "acquireProbe" | "state") => (argument: never) => {
              calls += 1;
              return failure ? Promise.reject(failure()) : bindings.CIRCUIT_BREAKER.getByName(name)[method](argument);
            },
          },
        ),
    }) as unknown as DurableObjectNamespace<CircuitBreaker>;
  return { namespace, calls: () => calls };
}

interface Setup {
  upstream: string;
  endpoints?: string[];
  origin?: Origin;
  cache?: CircuitCache;
  namespace?: ReturnType<typeof counting>["namespace"];
  /** Replaces keys of the circuit_breaker block. */
  breaker?: Record<string, unknown>;
}

/** The breaker in front of a stand-in for the proxy: round-robin over the healthy endpoints, one outcome recorded per attempt. */
function gateway({ upstream, endpoints = ["a.test:80"], origin = new Origin(), cache = new CircuitCache(), namespace, breaker }: Setup): {
  app: Hono<AppEnv>;
  origin: Origin;
  circuits: CircuitBreakers;
} {
  // Three requests, all failed, open it: the tests of the state machine need few requests.
  const circuit_breaker = { failure_threshold: 3, minimum_requests: 3, timeout: "30s", ...breaker };
  const config = upstreamSchema.parse({ name: upstream, endpoints, circuit_breaker });
  const circuits = circuitBreaker({ upstreams: [config], cache, clock, namespace });
  let next = 0;
  const app = testApp(
    [
      async (c, next) => {
        c.set("route", { id: "route", config: { upstream } } as MatchedRoute);
        await next();
      },
      circuits.guard,
    ],
    (c) => {
      const healthy = circuits.healthyEndpoints(upstream, endpoints);
      const endpoint = healthy[next++ % healthy.length]!;
      const response = origin.fetch(endpoint, new URL(c.req.url).pathname);
      if (response.status !== 0) {
        circuits.record(c, upstream, endpoint, response.status);
        return response;
      }
      circuits.record(c, upstream, endpoint, undefined);
      return c.json({ error: "upstream_timeout" }, 504);
    },
  );
  return { app, origin, circuits };
}

async function send(app: Hono<AppEnv>, path = "/"): Promise<Response> {
  const ctx = createExecutionContext();
  const response = await app.request(`http://gw.test${path}`, {}, env, ctx);
  await waitOnExecutionContext(ctx);
  return response;
}

async function statuses(app: Hono<AppEnv>, count: number, path = "/"): Promise<number[]> {
  const result: number[] = [];
  for (let i = 0; i < count; i++) result.push((await send(app, path)).status);
  return result;
}

describe("circuitBreaker", () => {
  it("opens after failure_threshold failures and answers 503 with Retry-After without contacting the origin", async () => {
    const { app, origin } = gateway({ upstream: "opens" });
    origin.fail("a.test:80");
    expect(await statuses(app, 3)).toEqual([502, 502, 502]);
    const refused = await send(app);
    expect(refused.status).toBe(503);
    expect(refused.headers.get("Retry-After")).toBe("30");
    expect(await refused.json()).toMatchObject({ error: "upstream_circuit_open", retry_after: 30 });
    expect(await statuses(app, 10)).toEqual(Array(10).fill(503));
    expect(origin.total()).toBe(3);
    expect((await env.CIRCUIT_BREAKER.getByName("opens").state()).state).toBe("open");
  });

  it("after the alarm, lets one probe reach the recovered origin, then closes", async () => {
    const { app, origin } = gateway({ upstream: "recovers" });
    origin.fail("a.test:80");
    await statuses(app, 3);
    // The alarm makes the object half-open with no traffic at all.
    expect(await runDurableObjectAlarm(env.CIRCUIT_BREAKER.getByName("recovers"))).toBe(true);
    expect((await env.CIRCUIT_BREAKER.getByName("recovers").state()).state).toBe("half_open");
    origin.failing.clear();
    now += 30_000;
    expect(await statuses(app, 5)).toEqual([200, 200, 200, 200, 200]);
    expect(origin.total()).toBe(3 + 5);
    expect((await env.CIRCUIT_BREAKER.getByName("recovers").state()).state).toBe("closed");
  });

  it("lets only the probes reach a still failing origin, and opens again", async () => {
    const { app, origin } = gateway({ upstream: "still-failing" });
    origin.fail("a.test:80");
    await statuses(app, 3);
    await runDurableObjectAlarm(env.CIRCUIT_BREAKER.getByName("still-failing"));
    now += 30_000;
    expect(await statuses(app, 5)).toEqual([502, 503, 503, 503, 503]);
    // Three failures to open, one probe while half-open: nothing else got through.
    expect(origin.total()).toBe(4);
    expect((await env.CIRCUIT_BREAKER.getByName("still-failing").state()).state).toBe("open");
  });

  it("costs a healthy request no object call", async () => {
    const { namespace, calls } = counting();
    const { app } = gateway({ upstream: "healthy", namespace });
    expect(await statuses(app, 20)).toEqual(Array(20).fill(200));
    // Only the first sight of the upstream refreshes the copy, in the background.
    expect(calls()).toBe(1);
    now += 2_000;
    await statuses(app, 5);
    expect(calls()).toBe(2);
  });

  it("skips a failing endpoint while the others are healthy, without opening the circuit", async () => {
    const { app, origin } = gateway({ upstream: "endpoints", endpoints: ["a.test:80", "b.test:80"] });
    origin.fail("a.test:80");
    const results = await statuses(app, 20);
    expect(results.filter((status) => status === 502)).toHaveLength(3);
    expect(results.slice(-10)).toEqual(Array(10).fill(200));
    expect(origin.hits.get("a.test:80")).toBe(3);
    expect((await env.CIRCUIT_BREAKER.getByName("endpoints").state()).state).toBe("closed");
  });

  it("learns from the object that another isolate opened the circuit", async () => {
    const origin = new Origin();
    origin.fail("a.test:80");
    const first = gateway({ upstream: "shared", origin, cache: new CircuitCache() });
    const second = gateway({ upstream: "shared", origin, cache: new CircuitCache() });
    await statuses(first.app, 3);
    // The second isolate's first request goes out (its copy is empty and refreshed in the background)...
    expect(await statuses(second.app, 1)).toEqual([502]);
    // ...then it knows.
    expect(await statuses(second.app, 3)).toEqual([503, 503, 503]);
    expect(origin.total()).toBe(4);
  });

  it("fails open, logged, when the object cannot be reached", async () => {
    const warn = vi.spyOn(console, "warn").mockImplementation(() => {});
    const { namespace } = counting(() => new Error("unreachable"));
    const { app, origin } = gateway({ upstream: "unreachable", namespace });
    expect(await statuses(app, 3)).toEqual([200, 200, 200]);
    expect(warn).toHaveBeenCalled();
    expect(JSON.parse(String(warn.mock.calls[0]![0]))).toMatchObject({ event: "circuit_refresh_failed", upstream: "unreachable" });
    // Failures still trip the isolate's own copy, so the origin is protected meanwhile...
    origin.fail("a.test:80");
    expect(await statuses(app, 4)).toEqual([502, 502, 502, 503]);
    // ...and after the timeout, with no object to grant a probe, the copy starts over alone.
    now += 30_000;
    expect(await statuses(app, 4)).toEqual([502, 502, 502, 503]);
    expect(origin.total()).toBe(3 + 6);
  });

  it("does not open on 500s a client provokes from one path, however many, while 503s over the ratio open it", async () => {
    const { app, origin } = gateway({ upstream: "provoked" });
    expect(await statuses(app, 30, "/boom")).toEqual(Array(30).fill(500));
    expect(origin.total()).toBe(30);
    expect(await env.CIRCUIT_BREAKER.getByName("provoked").state()).toMatchObject({ state: "closed", failures: 0 });
    // The upstream itself failing: 503s, counted against the 30 answers before them.
    origin.fail("a.test:80", 503);
    expect(await statuses(app, 30)).toEqual(Array(30).fill(503));
    // Opened at the 30th failure (30 of 60 requests, the ratio of 0.5): nothing more reached the origin.
    expect(origin.total()).toBe(60);
    expect(await statuses(app, 5)).toEqual(Array(5).fill(503));
    expect(origin.total()).toBe(60);
    expect(await env.CIRCUIT_BREAKER.getByName("provoked").state()).toMatchObject({ state: "open", requests: 60, failures: 30 });
  });

  it("counts a 500 when failure_status_codes lists it", async () => {
    const { app, origin } = gateway({ upstream: "counts-500", breaker: { failure_status_codes: [500] } });
    expect(await statuses(app, 3, "/boom")).toEqual([500, 500, 500]);
    expect((await send(app)).status).toBe(503);
    expect(origin.total()).toBe(3);
  });

  it("counts no answer (a timeout, a refused connection) as a failure whatever the status list says", async () => {
    const { app, origin } = gateway({ upstream: "no-answer", breaker: { failure_status_codes: [] } });
    origin.fail("a.test:80", 502);
    expect(await statuses(app, 5)).toEqual(Array(5).fill(502));
    origin.fail("a.test:80", 0);
    // 3 failures of 8 requests: under the ratio; the 5th failure (5 of 10) opens it.
    expect(await statuses(app, 6)).toEqual([504, 504, 504, 504, 504, 503]);
    expect((await send(app)).headers.get("Retry-After")).toBe("30");
  });

  it("sends the successes with the background refresh, so the object counts them in the ratio", async () => {
    const { namespace, calls } = counting();
    const { app } = gateway({ upstream: "refresh-counts", namespace });
    await statuses(app, 12);
    expect(calls()).toBe(1);
    now += 2_000;
    await statuses(app, 1);
    expect(calls()).toBe(2);
    // The first request was before the first refresh; the 13th's success waits for the next one.
    expect(await env.CIRCUIT_BREAKER.getByName("refresh-counts").state()).toMatchObject({ state: "closed", requests: 12, failures: 0 });
  });

  it("leaves upstreams without a circuit_breaker alone", async () => {
    const config = upstreamSchema.parse({ name: "plain", endpoints: ["a.test:80"] });
    const circuits = circuitBreaker({ upstreams: [config], cache: new CircuitCache(), clock });
    expect(circuits.healthyEndpoints("plain", ["a.test:80", "b.test:80"])).toEqual(["a.test:80", "b.test:80"]);
  });
});

describe("allDown: health checks without a circuit (the AI gateway's providers)", () => {
  it("reads the isolate's copy, never waiting for the object, and refreshes a stale copy in the background", async () => {
    const { namespace, calls } = counting();
    const name = "ai-provider:sick";
    const health = {
      intervalMs: 60_000,
      timeoutMs: 1_000,
      healthyThreshold: 1,
      unhealthyThreshold: 1,
      targets: [{ endpoint: "sick", url: "https://origin.test/status/503" }],
    };
    const circuits = circuitBreaker({
      upstreams: [{ name, endpoints: ["sick"], timeout: 0, retries: 0, health }],
      cache: new CircuitCache(),
      clock,
      namespace,
    });
    const app = testApp([], (c) => c.json({ down: circuits.allDown(c, name), unknown: circuits.allDown(c, "ai-provider:other") }));
    const down = async () => (await (await send(app)).json<{ down: boolean; unknown: boolean }>()).down;
    // The first sight gives the object the spec, in the background: its first round runs at once.
    expect(await down()).toBe(false);
    expect(calls()).toBe(1);
    await vi.waitFor(async () => expect((await env.CIRCUIT_BREAKER.getByName(name).state()).down).toEqual(["sick"]));
    expect(await down()).toBe(false);
    expect(calls()).toBe(1);
    now += 2_000;
    // Stale: this request starts the refresh and does not wait for it; the next one knows.
    expect(await down()).toBe(false);
    expect(calls()).toBe(2);
    expect(await down()).toBe(true);
    expect(calls()).toBe(2);
    expect((await (await send(app)).json<{ unknown: boolean }>()).unknown).toBe(false);
  });
});

describe("a probe's time limit", () => {
  it("covers every attempt and, with Loom's retry, every backoff wait", () => {
    expect(longestForwarding({ name: "u", endpoints: ["a:1"], timeout: 1_000, retries: 2 })).toBe(3_000);
    expect(
      longestForwarding({ name: "u", endpoints: ["a:1"], timeout: 1_000, retries: 1, retry: { max_retries: 3, backoff_max: 500 } }),
    ).toBe(4 * 1_000 + 3 * 500);
  });
});
