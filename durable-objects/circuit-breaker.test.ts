import { evictDurableObject, runDurableObjectAlarm, runInDurableObject } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import type { CircuitBreaker, CircuitConfig, Outcome } from "./circuit-breaker";

const config: CircuitConfig = { failureThreshold: 3, timeoutMs: 30_000, halfOpenRequests: 2, probeTimeoutMs: 15_000 };
const fail = (endpoint = "a"): Outcome => ({ endpoint, ok: false });
const succeed = (endpoint = "a"): Outcome => ({ endpoint, ok: true });

async function alarmAt(stub: DurableObjectStub<CircuitBreaker>): Promise<number | null> {
  return runInDurableObject(stub, (_instance: CircuitBreaker, state) => state.storage.getAlarm());
}

describe("CircuitBreaker object", () => {
  it("opens after failure_threshold consecutive failures, with an alarm at the end of the timeout", async () => {
    const stub = env.CIRCUIT_BREAKER.getByName("opens");
    expect((await stub.report({ config, outcomes: [fail(), fail()] })).state).toBe("closed");
    const before = Date.now();
    const snapshot = await stub.report({ config, outcomes: [fail()] });
    expect(snapshot).toMatchObject({ state: "open", failures: 3 });
    expect(snapshot.retryAfterMs).toBeGreaterThan(29_000);
    expect(await alarmAt(stub)).toBeGreaterThanOrEqual(before + config.timeoutMs);
  });

  it("counts consecutive failures only: a success in between starts again", async () => {
    const stub = env.CIRCUIT_BREAKER.getByName("consecutive");
    const snapshot = await stub.report({ config, outcomes: [fail(), fail(), succeed("b"), fail(), fail()] });
    expect(snapshot).toMatchObject({ state: "closed", failures: 2 });
  });

  it("becomes half-open on its alarm, with no request arriving", async () => {
    const stub = env.CIRCUIT_BREAKER.getByName("alarm");
    await stub.report({ config, outcomes: [fail(), fail(), fail()] });
    expect(await runDurableObjectAlarm(stub)).toBe(true);
    expect(await stub.state()).toMatchObject({ state: "half_open", probesIssued: 0 });
    // Nothing is due until a probe goes out.
    expect(await alarmAt(stub)).toBeNull();
  });

  it("lets half_open_requests probes through, refuses the rest, and closes when all succeed", async () => {
    const stub = env.CIRCUIT_BREAKER.getByName("probes");
    await stub.report({ config, outcomes: [fail(), fail(), fail()] });
    expect((await stub.acquireProbe(config)).granted).toBe(false);
    await runDurableObjectAlarm(stub);
    const probes = await Promise.all([stub.acquireProbe(config), stub.acquireProbe(config), stub.acquireProbe(config)]);
    expect(probes.map((probe) => probe.granted)).toEqual([true, true, false]);
    expect(probes[2]!.retryAfterMs).toBeGreaterThan(0);
    expect((await stub.report({ config, outcomes: [succeed()] })).state).toBe("half_open");
    expect((await stub.report({ config, outcomes: [succeed()] })).state).toBe("closed");
    expect(await alarmAt(stub)).toBeNull();
  });

  it("re-opens on a failed probe, for another full timeout", async () => {
    const stub = env.CIRCUIT_BREAKER.getByName("reopens");
    await stub.report({ config, outcomes: [fail(), fail(), fail()] });
    await runDurableObjectAlarm(stub);
    await stub.acquireProbe(config);
    const snapshot = await stub.report({ config, outcomes: [fail()] });
    expect(snapshot.state).toBe("open");
    expect(snapshot.retryAfterMs).toBeGreaterThan(29_000);
    await runDurableObjectAlarm(stub);
    expect((await stub.state()).state).toBe("half_open");
  });

  it("re-opens when a probe never reports back (its deadline is the alarm)", async () => {
    const stub = env.CIRCUIT_BREAKER.getByName("lost-probe");
    await stub.report({ config, outcomes: [fail(), fail(), fail()] });
    await runDurableObjectAlarm(stub);
    const before = Date.now();
    await stub.acquireProbe(config);
    expect(await alarmAt(stub)).toBeGreaterThanOrEqual(before + config.probeTimeoutMs);
    await runDurableObjectAlarm(stub);
    expect((await stub.state()).state).toBe("open");
  });

  it("ignores outcomes reported while open: they belong to requests sent before it opened", async () => {
    const stub = env.CIRCUIT_BREAKER.getByName("late");
    await stub.report({ config, outcomes: [fail(), fail(), fail()] });
    expect((await stub.report({ config, outcomes: [succeed(), succeed(), succeed()] })).state).toBe("open");
  });

  it("ejects an endpoint with failure_threshold consecutive failures while the circuit stays closed", async () => {
    const stub = env.CIRCUIT_BREAKER.getByName("endpoints");
    const outcomes = [fail("a"), succeed("b"), fail("a"), succeed("b"), fail("a"), succeed("b")];
    const snapshot = await stub.report({ config, outcomes });
    expect(snapshot.state).toBe("closed");
    expect(snapshot.endpoints).toHaveLength(1);
    expect(snapshot.endpoints[0]).toMatchObject({ endpoint: "a", failures: 3 });
    expect(snapshot.endpoints[0]!.ejectedForMs).toBeGreaterThan(29_000);
    // A success re-admits it.
    expect((await stub.report({ config, outcomes: [succeed("a")] })).endpoints).toEqual([]);
  });

  it("keeps its state and its alarm across eviction", async () => {
    const stub = env.CIRCUIT_BREAKER.getByName("evicted");
    await stub.report({ config, outcomes: [fail(), fail(), fail()] });
    await evictDurableObject(stub);
    expect(await stub.state()).toMatchObject({ state: "open", failures: 3, config });
    expect(await runDurableObjectAlarm(stub)).toBe(true);
    expect((await stub.state()).state).toBe("half_open");
  });

  it("closes and forgets endpoints and alarm on reset", async () => {
    const stub = env.CIRCUIT_BREAKER.getByName("reset");
    await stub.report({ config, outcomes: [fail("x"), fail("x"), fail("x")] });
    expect(await stub.reset()).toEqual({ state: "closed", failures: 0, retryAfterMs: 0, endpoints: [] });
    expect(await alarmAt(stub)).toBeNull();
  });
});
