/**
 * Active health checks run by the CircuitBreaker object on its alarm, against the fake origin
 * (test/support/fake-origin.ts): each endpoint is `https://origin.test/flaky/<id>` with the
 * check's path after it, so a check is `/flaky/<id>/health`, counted, failing on command (ids
 * start with hc-: the fake origin's ids are shared by every test file of a run).
 */
import { evictDurableObject, runDurableObjectAlarm, runInDurableObject } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { describe, expect, it, vi } from "vitest";
import type { CircuitBreaker, CircuitConfig, HealthCheckSpec } from "./circuit-breaker";
import { applyCheck, check, checkHeaders, HEALTH_STALE_MS, requested, type HealthState } from "./health-check";
import { hits, setOrigin } from "../test/support/flaky-origin";

const endpoint = (id: string) => `https://origin.test/flaky/${id}`;

function spec(ids: string[], overrides: Partial<HealthCheckSpec> = {}): HealthCheckSpec {
  return {
    intervalMs: 60_000,
    timeoutMs: 1_000,
    healthyThreshold: 2,
    unhealthyThreshold: 3,
    targets: ids.map((id) => ({ endpoint: endpoint(id), url: `${endpoint(id)}/health` })),
    ...overrides,
  };
}

const circuitConfig: CircuitConfig = {
  failureThreshold: 3,
  minimumRequests: 4,
  failureRatio: 0.5,
  windowMs: 60_000,
  timeoutMs: 30_000,
  halfOpenRequests: 1,
  successThreshold: 1,
  probeTimeoutMs: 15_000,
  endpointCount: 2,
};

const stored = (stub: DurableObjectStub<CircuitBreaker>) =>
  runInDurableObject(stub, (_instance: CircuitBreaker, state) => state.storage.kv.get<HealthState>("health"));
const alarmAt = (stub: DurableObjectStub<CircuitBreaker>) =>
  runInDurableObject(stub, (_instance: CircuitBreaker, state) => state.storage.getAlarm());

/**
 * Gives the object the spec, which arms its alarm at once; waits for that first round (every
 * endpoint checked once), so each runDurableObjectAlarm after it is exactly one more round.
 */
async function started(name: string, checks: HealthCheckSpec): Promise<DurableObjectStub<CircuitBreaker>> {
  const stub = env.CIRCUIT_BREAKER.getByName(name);
  expect((await stub.report({ counts: [], health: checks })).down).toEqual([]);
  await vi.waitFor(async () => expect(Object.keys((await stored(stub))?.endpoints ?? {})).toHaveLength(checks.targets.length));
  return stub;
}

const down = async (stub: DurableObjectStub<CircuitBreaker>, checks: HealthCheckSpec) =>
  (await stub.report({ counts: [], health: checks })).down;

describe("CircuitBreaker object: health checks", () => {
  it("starts on the first spec an isolate gives: checks every endpoint on the alarm and re-arms it one interval later", async () => {
    const checks = spec(["hc-start-a", "hc-start-b"]);
    const before = Date.now();
    const stub = await started("hc-start", checks);
    expect(await hits("hc-start-a")).toBe(1);
    expect(await hits("hc-start-b")).toBe(1);
    expect(await alarmAt(stub)).toBeGreaterThanOrEqual(before + checks.intervalMs);
    expect(await runDurableObjectAlarm(stub)).toBe(true);
    expect([await hits("hc-start-a"), await hits("hc-start-b")]).toEqual([2, 2]);
  });

  it("ejects an endpoint after unhealthy_threshold failed checks in a row, and restores it after healthy_threshold passed ones", async () => {
    const checks = spec(["hc-eject-a", "hc-eject-b"]);
    const stub = await started("hc-eject", checks);
    await setOrigin("hc-eject-a", 503);
    await runDurableObjectAlarm(stub);
    await runDurableObjectAlarm(stub);
    expect(await down(stub, checks)).toEqual([]);
    await runDurableObjectAlarm(stub);
    expect(await down(stub, checks)).toEqual([endpoint("hc-eject-a")]);
    await setOrigin("hc-eject-a", 200);
    await runDurableObjectAlarm(stub);
    expect(await down(stub, checks)).toEqual([endpoint("hc-eject-a")]);
    await runDurableObjectAlarm(stub);
    expect(await down(stub, checks)).toEqual([]);
  });

  it("needs the failures in a row: a pass in between starts the count again", async () => {
    const checks = spec(["hc-row-a"], { unhealthyThreshold: 2 });
    const stub = await started("hc-row", checks);
    for (const status of [503, 200, 503, 200]) {
      await setOrigin("hc-row-a", status);
      await runDurableObjectAlarm(stub);
    }
    expect(await down(stub, checks)).toEqual([]);
    await setOrigin("hc-row-a", 503);
    await runDurableObjectAlarm(stub);
    await runDurableObjectAlarm(stub);
    expect(await down(stub, checks)).toEqual([endpoint("hc-row-a")]);
  });

  it("keeps its verdicts across eviction, and stops its rounds once no isolate has given the spec for a while", async () => {
    const checks = spec(["hc-stale-a"], { unhealthyThreshold: 1 });
    const stub = await started("hc-stale", checks);
    await setOrigin("hc-stale-a", 503);
    await runDurableObjectAlarm(stub);
    await evictDurableObject(stub);
    expect((await stub.state()).down).toEqual([endpoint("hc-stale-a")]);
    await runInDurableObject(stub, (_instance: CircuitBreaker, state) => {
      const health = state.storage.kv.get<HealthState>("health")!;
      state.storage.kv.put("health", { ...health, askedAt: Date.now() - HEALTH_STALE_MS });
    });
    await evictDurableObject(stub);
    const before = await hits("hc-stale-a");
    await runDurableObjectAlarm(stub);
    expect(await hits("hc-stale-a")).toBe(before);
    expect(await alarmAt(stub)).toBeNull();
  });

  it("shares the alarm with the circuit: a transition due by the clock is applied, an earlier firing is the round's", async () => {
    const checks = spec(["hc-shared-a"]);
    const stub = await started("hc-shared", checks);
    const circuit = { ...circuitConfig, endpointCount: 1 };
    const failures = [{ endpoint: endpoint("hc-shared-a"), ageMs: 0, requests: 4, failures: 4 }];
    // Open for 30 s: the alarm firing now is the round's (the health check runs, the circuit stays open).
    expect((await stub.report({ config: circuit, counts: failures, health: checks })).state).toBe("open");
    const before = await hits("hc-shared-a");
    await runDurableObjectAlarm(stub);
    expect(await hits("hc-shared-a")).toBe(before + 1);
    expect((await stub.state()).state).toBe("open");
    // Open for 1 ms: the alarm, due by the clock, applies the transition (by itself), and arms the next round again.
    await stub.reset();
    expect((await stub.report({ config: { ...circuit, timeoutMs: 1 }, counts: failures, health: checks })).state).toBe("open");
    await vi.waitFor(async () => expect((await stub.state()).state).toBe("half_open"));
    expect(await alarmAt(stub)).toBeGreaterThan(Date.now());
  });

  it("runs beside the circuit: a report with outcomes and a spec keeps both", async () => {
    const checks = spec(["hc-both-a", "hc-both-b"], { unhealthyThreshold: 1 });
    const stub = await started("hc-both", checks);
    await setOrigin("hc-both-b", 503);
    await runDurableObjectAlarm(stub);
    const config = { ...circuitConfig, endpointCount: 2 };
    const snapshot = await stub.report({
      config,
      counts: [{ endpoint: endpoint("hc-both-a"), ageMs: 0, requests: 2, failures: 0 }],
      health: checks,
    });
    expect(snapshot).toMatchObject({ state: "closed", requests: 2, down: [endpoint("hc-both-b")] });
  });
});

describe("one check", () => {
  it("passes on a 2xx only", async () => {
    expect(await check("https://origin.test/status/200", 1_000)).toBe(true);
    expect(await check("https://origin.test/status/299", 1_000)).toBe(true);
    expect(await check("https://origin.test/status/300", 1_000)).toBe(false);
    expect(await check("https://origin.test/status/404", 1_000)).toBe(false);
    expect(await check("https://origin.test/status/503", 1_000)).toBe(false);
  });

  it("fails without an answer within its timeout, and when the connection fails", async () => {
    expect(await check("https://origin.test/slow/5000", 100)).toBe(false);
    expect(await check("https://origin.test/slow/0", 1_000, () => Promise.reject(new TypeError("connection refused")))).toBe(false);
  });

  it("does not follow a redirect (it fails), and never reads the body", async () => {
    const seen: RequestInit[] = [];
    let cancelled = false;
    const body = new ReadableStream({ cancel: () => void (cancelled = true) });
    const redirect = async (_url: RequestInfo | URL, init?: RequestInit) => {
      seen.push(init!);
      return new Response(null, { status: 302, headers: { Location: "https://elsewhere.example/health" } });
    };
    expect(await check("https://origin.test/health", 1_000, redirect as typeof fetch)).toBe(false);
    expect(seen[0]).toMatchObject({ method: "GET", redirect: "manual" });
    const large = async () => new Response(body, { status: 200 });
    expect(await check("https://origin.test/health", 1_000, large as typeof fetch)).toBe(true);
    expect(cancelled).toBe(true);
  });
});

describe("a check's credential", () => {
  const target = {
    endpoint: "openai",
    url: "https://origin.test/health",
    credential: { header: "Authorization", prefix: "Bearer ", variable: "KEY" },
  };

  it("is the variable's value from the object's environment, after its prefix", async () => {
    const headers = checkHeaders(target, { KEY: "sk-1" });
    expect([...headers]).toEqual([["authorization", "Bearer sk-1"]]);
    const seen: RequestInit[] = [];
    const recording = async (_url: RequestInfo | URL, init?: RequestInit) => {
      seen.push(init!);
      return new Response(null, { status: 204 });
    };
    expect(await check(target.url, 1_000, recording as typeof fetch, headers)).toBe(true);
    expect(new Headers(seen[0]!.headers).get("authorization")).toBe("Bearer sk-1");
  });

  it("goes with the target's fixed headers, the credential beside them", () => {
    const withFixed = { ...target, headers: [["anthropic-version", "2023-06-01"]] as [string, string][] };
    expect([...checkHeaders(withFixed, { KEY: "sk-1" })]).toEqual([
      ["anthropic-version", "2023-06-01"],
      ["authorization", "Bearer sk-1"],
    ]);
    expect([...checkHeaders(withFixed, {})]).toEqual([["anthropic-version", "2023-06-01"]]);
  });

  it("is left out when the variable is unset, empty or not a string, and without a credential", () => {
    for (const env of [{}, { KEY: "" }, { KEY: { secret: "x" } }]) expect([...checkHeaders(target, env)]).toEqual([]);
    expect([...checkHeaders({ endpoint: "local", url: target.url }, { KEY: "sk-1" })]).toEqual([]);
  });

  it("is read by the object at each check, from the Worker's environment (DEMO_API_KEY), never stored", async () => {
    const credential = { header: "Authorization", prefix: "Bearer ", variable: "DEMO_API_KEY" };
    const checks = spec(["hc-credential"], {
      targets: [{ endpoint: endpoint("hc-credential"), url: `${endpoint("hc-credential")}/health`, credential }],
    });
    const stub = await started("hc-credential", checks);
    const seen = await (await fetch("https://origin.test/hits/hc-credential")).json<{ authorization: string | null }>();
    expect(seen.authorization).toBe("Bearer demo-key-123");
    expect(JSON.stringify(await stored(stub))).not.toContain("demo-key-123");
  });
});

describe("the spec an isolate gives", () => {
  const now = 1_000_000;

  it("changed: keeps what is known of the endpoints it still has", () => {
    const first = requested(undefined, spec(["x", "y"], { unhealthyThreshold: 1 }), now);
    applyCheck(first, endpoint("x"), false);
    applyCheck(first, endpoint("y"), false);
    const next = requested(first, spec(["x", "z"], { unhealthyThreshold: 1 }), now + 1);
    expect(Object.keys(next.endpoints)).toEqual([endpoint("x")]);
    expect(next.endpoints[endpoint("x")]!.down).toBe(true);
  });

  it("given again after the rounds stopped: starts afresh with a round at once", () => {
    const first = requested(undefined, spec(["x"], { unhealthyThreshold: 1 }), now);
    applyCheck(first, endpoint("x"), false);
    const later = now + HEALTH_STALE_MS;
    expect(requested(first, first.spec, later)).toEqual({ spec: first.spec, askedAt: later, nextAt: later, endpoints: {} });
  });
});
