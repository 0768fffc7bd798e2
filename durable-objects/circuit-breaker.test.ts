import { evictDurableObject, runDurableObjectAlarm, runInDurableObject } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import type { CircuitBreaker, CircuitConfig, EndpointCounts } from "./circuit-breaker";

const config: CircuitConfig = {
  failureThreshold: 3,
  minimumRequests: 4,
  failureRatio: 0.5,
  windowMs: 60_000,
  timeoutMs: 30_000,
  halfOpenRequests: 2,
  successThreshold: 2,
  probeTimeoutMs: 15_000,
  endpointCount: 1,
};
/** Two endpoints: one may be ejected while the other serves. */
const pair: CircuitConfig = { ...config, endpointCount: 2 };
const fail = (failures: number, endpoint = "a", ageMs = 0): EndpointCounts => ({ endpoint, ageMs, requests: failures, failures });
const succeed = (successes: number, endpoint = "a", ageMs = 0): EndpointCounts => ({ endpoint, ageMs, requests: successes, failures: 0 });

async function alarmAt(stub: DurableObjectStub<CircuitBreaker>): Promise<number | null> {
  return runInDurableObject(stub, (_instance: CircuitBreaker, state) => state.storage.getAlarm());
}

/** Reports failures until the circuit is open. */
async function tripped(name: string): Promise<DurableObjectStub<CircuitBreaker>> {
  const stub = env.CIRCUIT_BREAKER.getByName(name);
  expect((await stub.report({ config, counts: [fail(4)] })).state).toBe("open");
  return stub;
}

describe("CircuitBreaker object: opening", () => {
  it("needs minimum_requests requests in the window before failures open it, then sets its alarm at the end of the timeout", async () => {
    const stub = env.CIRCUIT_BREAKER.getByName("opens");
    // Three failures of three requests: every failure, but below minimum_requests (4).
    expect(await stub.report({ config, counts: [fail(3)] })).toMatchObject({ state: "closed", requests: 3, failures: 3 });
    const before = Date.now();
    const snapshot = await stub.report({ config, counts: [fail(1)] });
    expect(snapshot).toMatchObject({ state: "open", requests: 4, failures: 4 });
    expect(snapshot.retryAfterMs).toBeGreaterThan(29_000);
    expect(await alarmAt(stub)).toBeGreaterThanOrEqual(before + config.timeoutMs);
  });

  it("stays closed while failures are below failure_ratio of the requests, and opens when they reach it", async () => {
    const stub = env.CIRCUIT_BREAKER.getByName("ratio");
    expect(await stub.report({ config, counts: [succeed(20), fail(9)] })).toMatchObject({ state: "closed", requests: 29, failures: 9 });
    expect((await stub.report({ config, counts: [fail(2)] })).state).toBe("closed");
    // 20 failures of 40 requests: exactly the ratio.
    expect(await stub.report({ config, counts: [fail(9)] })).toMatchObject({ state: "open", requests: 40, failures: 20 });
  });

  it("needs failure_threshold failures even when the ratio is met", async () => {
    const stub = env.CIRCUIT_BREAKER.getByName("threshold");
    const strict = { ...config, failureThreshold: 5, minimumRequests: 1 };
    expect(await stub.report({ config: strict, counts: [succeed(1), fail(4)] })).toMatchObject({ state: "closed", failures: 4 });
    expect((await stub.report({ config: strict, counts: [fail(1)] })).state).toBe("open");
  });

  it("counts only what happened within the window: failures reported with an age past it are dropped", async () => {
    const stub = env.CIRCUIT_BREAKER.getByName("window");
    // An isolate's outcomes from 70 s ago (a 60 s window) count for nothing...
    expect(await stub.report({ config, counts: [fail(10, "a", 70_000)] })).toMatchObject({ state: "closed", requests: 0, failures: 0 });
    // ...those from 30 s ago do.
    expect(await stub.report({ config, counts: [fail(4, "a", 30_000)] })).toMatchObject({ state: "open", failures: 4 });
  });

  it("ignores outcomes reported while open: they belong to requests sent before it opened", async () => {
    const stub = await tripped("late");
    expect((await stub.report({ config, counts: [succeed(3)] })).state).toBe("open");
  });

  it("writes nothing for a refresh (a report without counts)", async () => {
    const stub = env.CIRCUIT_BREAKER.getByName("refresh");
    expect(await stub.report({ config, counts: [] })).toMatchObject({ state: "closed", requests: 0, failures: 0, endpoints: [] });
    expect((await stub.state()).config).toBeUndefined();
  });
});

describe("CircuitBreaker object: half-open", () => {
  it("becomes half-open on its alarm, with no request arriving", async () => {
    const stub = await tripped("alarm");
    expect(await runDurableObjectAlarm(stub)).toBe(true);
    expect(await stub.state()).toMatchObject({ state: "half_open", probesIssued: 0 });
    // Nothing is due until a probe goes out.
    expect(await alarmAt(stub)).toBeNull();
  });

  it("lets half_open_requests probes out at once, and closes after success_threshold successes in a row", async () => {
    const stub = await tripped("probes");
    expect((await stub.acquireProbe(config)).granted).toBe(false);
    await runDurableObjectAlarm(stub);
    const probes = await Promise.all([stub.acquireProbe(config), stub.acquireProbe(config), stub.acquireProbe(config)]);
    expect(probes.map((probe) => probe.granted)).toEqual([true, true, false]);
    expect(probes[2]!.retryAfterMs).toBeGreaterThan(0);
    expect((await stub.report({ config, counts: [succeed(1)] })).state).toBe("half_open");
    expect(await stub.report({ config, counts: [succeed(1)] })).toMatchObject({ state: "closed", requests: 0, failures: 0 });
    expect(await alarmAt(stub)).toBeNull();
  });

  it("with success_threshold above half_open_requests, sends probes one after another until enough succeeded", async () => {
    const sequential = { ...config, halfOpenRequests: 1, successThreshold: 3 };
    const stub = env.CIRCUIT_BREAKER.getByName("sequential");
    await stub.report({ config: sequential, counts: [fail(4)] });
    await runDurableObjectAlarm(stub);
    for (let probe = 1; probe <= 3; probe++) {
      expect((await stub.acquireProbe(sequential)).granted).toBe(true);
      // One in flight: the next waits for its outcome.
      expect((await stub.acquireProbe(sequential)).granted).toBe(false);
      expect((await stub.report({ config: sequential, counts: [succeed(1)] })).state).toBe(probe < 3 ? "half_open" : "closed");
    }
  });

  it("re-opens on a failed probe, for another full timeout, even after successful ones", async () => {
    const stub = await tripped("reopens");
    await runDurableObjectAlarm(stub);
    await stub.acquireProbe(config);
    await stub.acquireProbe(config);
    await stub.report({ config, counts: [succeed(1)] });
    const snapshot = await stub.report({ config, counts: [fail(1)] });
    expect(snapshot.state).toBe("open");
    expect(snapshot.retryAfterMs).toBeGreaterThan(29_000);
    await runDurableObjectAlarm(stub);
    expect((await stub.state()).state).toBe("half_open");
  });

  it("re-opens when a probe never reports back (its deadline is the alarm)", async () => {
    const stub = await tripped("lost-probe");
    await runDurableObjectAlarm(stub);
    const before = Date.now();
    await stub.acquireProbe(config);
    expect(await alarmAt(stub)).toBeGreaterThanOrEqual(before + config.probeTimeoutMs);
    await runDurableObjectAlarm(stub);
    expect((await stub.state()).state).toBe("open");
  });
});

describe("CircuitBreaker object: endpoints", () => {
  it("ejects an endpoint that trips the rule over its own requests, and takes its counts out of the circuit's", async () => {
    const stub = env.CIRCUIT_BREAKER.getByName("endpoints");
    // `a` fails half of the upstream's requests: it alone is ejected, the circuit stays closed.
    const snapshot = await stub.report({ config: pair, counts: [succeed(4, "b"), fail(4, "a")] });
    expect(snapshot).toMatchObject({ state: "closed", requests: 4, failures: 0 });
    const [a, b] = [snapshot.endpoints.find((e) => e.endpoint === "a")!, snapshot.endpoints.find((e) => e.endpoint === "b")!];
    expect(a).toMatchObject({ requests: 4, failures: 4 });
    expect(a.ejectedForMs).toBeGreaterThan(29_000);
    expect(b).toMatchObject({ requests: 4, failures: 0, ejectedForMs: 0 });
    // What the ejected endpoint still reports (requests sent before) stays its own.
    expect(await stub.report({ config: pair, counts: [fail(3, "a")] })).toMatchObject({ state: "closed", failures: 0 });
  });

  it("never ejects the last endpoint in service: the circuit opens instead", async () => {
    const stub = env.CIRCUIT_BREAKER.getByName("last-endpoint");
    await stub.report({ config: pair, counts: [fail(4, "a")] });
    const snapshot = await stub.report({ config: pair, counts: [fail(4, "b")] });
    expect(snapshot).toMatchObject({ state: "open", failures: 4 });
    expect(snapshot.endpoints.find((e) => e.endpoint === "b")!.ejectedForMs).toBe(0);
  });

  it("does not eject an endpoint whose failures are below failure_ratio of its requests", async () => {
    const stub = env.CIRCUIT_BREAKER.getByName("endpoint-ratio");
    const snapshot = await stub.report({ config: pair, counts: [succeed(10, "a"), fail(3, "a"), succeed(20, "b")] });
    expect(snapshot.endpoints.find((e) => e.endpoint === "a")).toMatchObject({ requests: 13, failures: 3, ejectedForMs: 0 });
  });
});

describe("CircuitBreaker object: storage", () => {
  it("keeps its state and its alarm across eviction", async () => {
    const stub = await tripped("evicted");
    await evictDurableObject(stub);
    expect(await stub.state()).toMatchObject({ state: "open", failures: 4, config });
    expect(await runDurableObjectAlarm(stub)).toBe(true);
    expect((await stub.state()).state).toBe("half_open");
  });

  it("takes over state stored before the rolling windows: state, timers and ejections kept, counts started afresh", async () => {
    const stub = env.CIRCUIT_BREAKER.getByName("upgraded");
    const ejectedUntil = Date.now() + 20_000;
    await runInDurableObject(stub, (_instance: CircuitBreaker, state) => {
      const old = {
        state: "closed",
        failures: 2,
        openUntil: 0,
        probesIssued: 0,
        probeSuccesses: 0,
        probeDeadline: 0,
        endpoints: { x: { failures: 5, ejectedUntil } },
      };
      state.storage.kv.put("circuit", old);
    });
    await evictDurableObject(stub);
    const snapshot = await stub.report({ config, counts: [succeed(1, "y")] });
    expect(snapshot).toMatchObject({ state: "closed", requests: 1, failures: 0 });
    expect(snapshot.endpoints.find((e) => e.endpoint === "x")!.ejectedForMs).toBeGreaterThan(15_000);
  });

  it("closes and forgets endpoints and alarm on reset", async () => {
    const stub = env.CIRCUIT_BREAKER.getByName("reset");
    await stub.report({ config, counts: [fail(4, "x")] });
    expect(await stub.reset()).toEqual({ state: "closed", requests: 0, failures: 0, retryAfterMs: 0, window: [], endpoints: [], down: [] });
    expect(await alarmAt(stub)).toBeNull();
  });
});
