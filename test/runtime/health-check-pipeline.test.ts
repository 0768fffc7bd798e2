/**
 * Loom's active health checks through the whole worker: upstreams on the fake origin's
 * /flaky/<id> (test/support/fake-origin.ts), whose checks are `/flaky/<id>/health`. The first
 * request gives the upstream's object the spec (with the circuit refresh), which starts the
 * rounds; each runDurableObjectAlarm after the first round is one more round. The interval is
 * long enough that no round runs by itself during a test. Flaky ids start with hc- (the fake
 * origin's ids are shared by every test file of a run).
 */
import { runDurableObjectAlarm, runInDurableObject } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { beforeAll, describe, expect, it, vi } from "vitest";
import type { CircuitBreaker } from "../../durable-objects/circuit-breaker";
import type { HealthState } from "../../durable-objects/health-check";
import { admin, putConfig, send, statuses } from "./admin-harness";
import { hits, setOrigin } from "../support/flaky-origin";

const flaky = (...ids: string[]) => ids.map((id) => `https://origin.test/flaky/${id}`);
const healthCheck = { path: "/health", interval: "60s", timeout: "1s", healthy_threshold: 2, unhealthy_threshold: 2 };

function upstream(name: string, endpoints: string[], extra: Record<string, unknown> = {}) {
  return {
    upstream: { name, endpoints, retries: 0, health_check: healthCheck, ...extra },
    route: { id: name, path: `/${name}/*`, upstream: name, strip_prefix: true },
  };
}

const upstreams = [
  upstream("pair", flaky("hc-pair-a", "hc-pair-b")),
  upstream("all", flaky("hc-all-a", "hc-all-b")),
  // With a circuit breaker too: the checks' verdicts and the circuit's ejections both apply.
  upstream("guarded", flaky("hc-guarded-a", "hc-guarded-b"), { circuit_breaker: { failure_threshold: 50, minimum_requests: 50 } }),
];

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

/** Starts the upstream's checks, makes endpoint `id` fail them unhealthy_threshold (2) times, and lets the isolate learn it. */
async function failingChecks(name: string, id: string): Promise<DurableObjectStub<CircuitBreaker>> {
  const stub = await started(name);
  await setOrigin(id, 503);
  await rounds(stub, 2);
  await refreshed(name);
  return stub;
}

/** `count` requests to the upstream all served, none by endpoint `id`. */
async function expectSkipped(name: string, id: string, count: number): Promise<void> {
  const before = await hits(id);
  expect(await statuses(`/${name}/x`, count)).toEqual(Array(count).fill(200));
  expect(await hits(id)).toBe(before);
}

/** The upstream's health check entry of GET /admin/circuits. */
async function verdict(name: string): Promise<Record<string, unknown> | undefined> {
  const res = await admin("/circuits");
  expect(res.status).toBe(200);
  const body = (await res.json()) as { circuits: { upstream: string }[]; health_checks: { upstream: string }[] };
  // Only "guarded" has a circuit breaker; every upstream here has health checks.
  expect(body.circuits.map(({ upstream }) => upstream)).toEqual(["guarded"]);
  expect(body.health_checks.map(({ upstream }) => upstream)).toEqual(["pair", "all", "guarded"]);
  return body.health_checks.find(({ upstream }) => upstream === name);
}

beforeAll(async () => {
  const result = await putConfig({ routes: upstreams.map(({ route }) => route), upstreams: upstreams.map(({ upstream }) => upstream) });
  expect(result.warnings).toEqual([]);
});

describe("an endpoint that fails its health checks", () => {
  it("gets no traffic once ejected, while the other serves; back after healthy_threshold passed checks", async () => {
    const stub = await failingChecks("pair", "hc-pair-a");
    await expectSkipped("pair", "hc-pair-a", 6);
    expect(await verdict("pair")).toEqual({
      upstream: "pair",
      endpoints_down: flaky("hc-pair-a"),
      path: "/health",
      interval_ms: 60_000,
      healthy_threshold: 2,
      unhealthy_threshold: 2,
    });

    await setOrigin("hc-pair-a", 200);
    await rounds(stub, 1);
    await refreshed("pair");
    await expectSkipped("pair", "hc-pair-a", 4);

    await rounds(stub, 1);
    await refreshed("pair");
    const back = await hits("hc-pair-a");
    // Round robin over both again: two of four.
    expect(await statuses("/pair/x", 4)).toEqual(Array(4).fill(200));
    expect(await hits("hc-pair-a")).toBe(back + 2);
    expect((await verdict("pair"))?.endpoints_down).toEqual([]);
    // Three waits for the isolate's refresh.
  }, 15_000);

  it("is skipped beside a circuit breaker too", async () => {
    await failingChecks("guarded", "hc-guarded-b");
    await expectSkipped("guarded", "hc-guarded-b", 4);
  });
});

describe("every endpoint failing its health checks", () => {
  it("answers 503 upstream_unhealthy with Retry-After without contacting any; serves again once one passes", async () => {
    const stub = await started("all");
    await setOrigin("hc-all-a", 503);
    await setOrigin("hc-all-b", 503);
    await rounds(stub, 2);
    await refreshed("all");
    const before = (await hits("hc-all-a")) + (await hits("hc-all-b"));
    const refused = await send("/all/x");
    expect(refused.status).toBe(503);
    expect(refused.headers.get("Retry-After")).toBe("60");
    expect(await refused.json()).toMatchObject({ error: "upstream_unhealthy", retry_after: 60 });
    expect(await statuses("/all/x", 5)).toEqual(Array(5).fill(503));
    expect((await hits("hc-all-a")) + (await hits("hc-all-b"))).toBe(before);

    await setOrigin("hc-all-b", 200);
    await rounds(stub, 2);
    await refreshed("all");
    expect(await statuses("/all/x", 3)).toEqual(Array(3).fill(200));
  });
});
