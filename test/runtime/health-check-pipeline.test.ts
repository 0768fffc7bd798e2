/**
 * Loom's active health checks through the whole worker: upstreams on the fake origin's
 * /flaky/<id> (test/support/fake-origin.ts), whose checks are `/flaky/<id>/health`. The first
 * request gives the upstream's object the spec (with the circuit refresh), which starts the
 * rounds; each runDurableObjectAlarm after the first round is one more round. The interval is
 * long enough that no round runs by itself during a test.
 */
import { runDurableObjectAlarm, runInDurableObject } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { beforeAll, describe, expect, it, vi } from "vitest";
import type { CircuitBreaker } from "../../durable-objects/circuit-breaker";
import type { HealthState } from "../../durable-objects/health-check";
import { putConfig, send } from "./admin-harness";

const flaky = (...ids: string[]) => ids.map((id) => `https://origin.test/flaky/${id}`);
const healthCheck = { path: "/health", interval: "60s", timeout: "1s", healthy_threshold: 2, unhealthy_threshold: 2 };

function upstream(name: string, endpoints: string[], extra: Record<string, unknown> = {}) {
  return {
    upstream: { name, endpoints, retries: 0, health_check: healthCheck, ...extra },
    route: { id: name, path: `/${name}/*`, upstream: name, strip_prefix: true },
  };
}

const upstreams = [
  upstream("pair", flaky("pair-a", "pair-b")),
  upstream("all", flaky("all-a", "all-b")),
  // With a circuit breaker too: the checks' verdicts and the circuit's ejections both apply.
  upstream("guarded", flaky("guarded-a", "guarded-b"), { circuit_breaker: { failure_threshold: 50, minimum_requests: 50 } }),
];

const setOrigin = async (id: string, status: number) =>
  expect((await fetch(`https://origin.test/flaky-status/${id}/${status}`)).status).toBe(204);
const hits = async (id: string) => (await (await fetch(`https://origin.test/hits/${id}`)).json<{ hits: number }>()).hits;

async function statuses(path: string, count: number): Promise<number[]> {
  const result: number[] = [];
  for (let i = 0; i < count; i++) result.push((await send(path)).status);
  return result;
}

/** The first request starts the object's rounds; waits for the first round to have checked every endpoint. */
async function started(name: string): Promise<DurableObjectStub<CircuitBreaker>> {
  expect((await send(`/${name}/x`)).status).toBe(200);
  const stub = env.CIRCUIT_BREAKER.getByName(name);
  await vi.waitFor(async () => {
    const health = await runInDurableObject(stub, (_instance: CircuitBreaker, state) => state.storage.kv.get<HealthState>("health"));
    expect(Object.keys(health?.endpoints ?? {})).toHaveLength(2);
  });
  return stub;
}

async function rounds(stub: DurableObjectStub<CircuitBreaker>, count: number): Promise<void> {
  for (let i = 0; i < count; i++) expect(await runDurableObjectAlarm(stub)).toBe(true);
}

/**
 * Waits out the isolate's trust in its copy (2 s, on the real clock), then sends the request
 * that refreshes it: the requests after it see the object's verdicts.
 */
async function refreshed(name: string): Promise<void> {
  await scheduler.wait(2_100);
  await send(`/${name}/x`);
}

beforeAll(async () => {
  const result = await putConfig({ routes: upstreams.map(({ route }) => route), upstreams: upstreams.map(({ upstream }) => upstream) });
  expect(result.warnings).toEqual([]);
});

describe("an endpoint that fails its health checks", () => {
  it("gets no traffic once ejected, while the other serves; back after healthy_threshold passed checks", async () => {
    const stub = await started("pair");
    await setOrigin("pair-a", 503);
    await rounds(stub, 2);
    await refreshed("pair");
    const before = await hits("pair-a");
    expect(await statuses("/pair/x", 6)).toEqual(Array(6).fill(200));
    expect(await hits("pair-a")).toBe(before);

    await setOrigin("pair-a", 200);
    await rounds(stub, 1);
    await refreshed("pair");
    const stillOut = await hits("pair-a");
    await statuses("/pair/x", 4);
    expect(await hits("pair-a")).toBe(stillOut);

    await rounds(stub, 1);
    await refreshed("pair");
    const back = await hits("pair-a");
    // Round robin over both again: two of four.
    expect(await statuses("/pair/x", 4)).toEqual(Array(4).fill(200));
    expect(await hits("pair-a")).toBe(back + 2);
    // Three waits for the isolate's refresh.
  }, 15_000);

  it("is skipped beside a circuit breaker too", async () => {
    const stub = await started("guarded");
    await setOrigin("guarded-b", 503);
    await rounds(stub, 2);
    await refreshed("guarded");
    const before = await hits("guarded-b");
    expect(await statuses("/guarded/x", 4)).toEqual(Array(4).fill(200));
    expect(await hits("guarded-b")).toBe(before);
  });
});

describe("every endpoint failing its health checks", () => {
  it("answers 503 upstream_unhealthy with Retry-After without contacting any; serves again once one passes", async () => {
    const stub = await started("all");
    await setOrigin("all-a", 503);
    await setOrigin("all-b", 503);
    await rounds(stub, 2);
    await refreshed("all");
    const before = (await hits("all-a")) + (await hits("all-b"));
    const refused = await send("/all/x");
    expect(refused.status).toBe(503);
    expect(refused.headers.get("Retry-After")).toBe("60");
    expect(await refused.json()).toMatchObject({ error: "upstream_unhealthy", retry_after: 60 });
    expect(await statuses("/all/x", 5)).toEqual(Array(5).fill(503));
    expect((await hits("all-a")) + (await hits("all-b"))).toBe(before);

    await setOrigin("all-b", 200);
    await rounds(stub, 2);
    await refreshed("all");
    expect(await statuses("/all/x", 3)).toEqual(Array(3).fill(200));
  });
});
