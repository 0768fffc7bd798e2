/**
 * Circuit breakers through the whole worker: an upstream behind the fake origin's /flaky/<id>
 * (test/support/fake-origin.ts), which fails and recovers on command and counts every request
 * that reached it, so "not contacted while open" is counted, not assumed. Then the admin API's
 * view and reset of the circuits.
 */
import { runDurableObjectAlarm } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { afterEach, beforeAll, describe, expect, it, vi } from "vitest";
import type { Env } from "../../worker/env";
import { admin, auditRows, envWithBrokenDb, putConfig, send, statuses } from "./admin-harness";
import { hits, setOrigin } from "../support/flaky-origin";

const THRESHOLD = 3;

/**
 * An upstream on its own flaky origin, with a circuit that needs only THRESHOLD requests, all
 * failed, to open, and a route /<name>/* to it.
 */
function circuitUpstream(name: string, endpoints = [`https://origin.test/flaky/${name}`], upstream: Record<string, unknown> = {}) {
  return {
    upstream: {
      name,
      endpoints,
      retries: 0,
      circuit_breaker: { failure_threshold: THRESHOLD, minimum_requests: THRESHOLD, timeout: "30s", half_open_requests: 1 },
      ...upstream,
    },
    route: { id: name, path: `/${name}/*`, upstream: name, strip_prefix: true },
  };
}

const flaky = (...ids: string[]) => ids.map((id) => `https://origin.test/flaky/${id}`);

const circuits = [
  ...["trips", "recovers", "refails", "admin-view", "admin-reset", "audit-down"].map((name) => circuitUpstream(name)),
  circuitUpstream("pair", flaky("pair-a", "pair-b")),
  // The fake origin's own paths: /status/<code>, /slow/<ms>.
  circuitUpstream("provoked", ["https://origin.test"], {
    circuit_breaker: { failure_threshold: THRESHOLD, minimum_requests: 10, timeout: "30s" },
  }),
  circuitUpstream("timing-out", ["https://origin.test"], { timeout: "50ms" }),
];

const config = {
  routes: [...circuits.map((circuit) => circuit.route), { id: "plain", path: "/plain/*", upstream: "plain", strip_prefix: true }],
  upstreams: [...circuits.map((circuit) => circuit.upstream), { name: "plain", endpoints: ["https://origin.test/flaky/plain"] }],
};

interface CircuitState {
  upstream: string;
  state: "closed" | "open" | "half_open";
  requests: number;
  failures: number;
  retry_after_ms: number;
  endpoints: { endpoint: string; requests: number; failures: number; ejected_for_ms: number }[];
}

async function circuitState(upstream: string): Promise<CircuitState> {
  const res = await admin("/circuits");
  expect(res.status).toBe(200);
  const { circuits: list } = await res.json<{ circuits: CircuitState[] }>();
  return list.find((circuit) => circuit.upstream === upstream)!;
}

/**
 * Waits out the isolate's trust in its copy (2 s; the compiled config holds the real clock, so
 * fake timers cannot skip it): the next request refreshes the copy from the object.
 */
const afterRefresh = () => scheduler.wait(2_100);

beforeAll(async () => {
  await putConfig(config);
});

afterEach(() => {
  vi.restoreAllMocks();
});

describe("an upstream that fails", () => {
  it(`trips the circuit after ${THRESHOLD} failures; then 503 upstream_circuit_open with Retry-After and the origin is not contacted`, async () => {
    await setOrigin("trips", 502);
    expect(await statuses("/trips/x", THRESHOLD)).toEqual(Array(THRESHOLD).fill(502));
    const refused = await send("/trips/x");
    expect(refused.status).toBe(503);
    const retryAfter = Number(refused.headers.get("Retry-After"));
    expect(retryAfter).toBeGreaterThan(0);
    expect(retryAfter).toBeLessThanOrEqual(30);
    expect(await refused.json()).toMatchObject({ error: "upstream_circuit_open", retry_after: retryAfter });
    expect(await statuses("/trips/x", 20)).toEqual(Array(20).fill(503));
    expect(await hits("trips")).toBe(THRESHOLD);
    // The isolate reported its outcomes: the object, the one truth, is open too.
    expect(await circuitState("trips")).toMatchObject({ state: "open", retry_after_ms: expect.any(Number) });
  });

  it("is half-open after the object's alarm with no traffic, and one successful probe closes it", async () => {
    await setOrigin("recovers", 502);
    await statuses("/recovers/x", THRESHOLD);
    expect(await runDurableObjectAlarm(env.CIRCUIT_BREAKER.getByName("recovers"))).toBe(true);
    expect((await circuitState("recovers")).state).toBe("half_open");
    await setOrigin("recovers", 200);
    await afterRefresh();
    // The first request still meets the isolate's stale copy (open) and refreshes it meanwhile.
    expect((await send("/recovers/x")).status).toBe(503);
    expect(await statuses("/recovers/x", 5)).toEqual([200, 200, 200, 200, 200]);
    // Three failures, the probe and the four after it: nothing reached the origin while open.
    expect(await hits("recovers")).toBe(THRESHOLD + 5);
    expect((await circuitState("recovers")).state).toBe("closed");
  });

  it("lets only the probe reach an origin still failing, and opens again", async () => {
    await setOrigin("refails", 502);
    await statuses("/refails/x", THRESHOLD);
    await runDurableObjectAlarm(env.CIRCUIT_BREAKER.getByName("refails"));
    await afterRefresh();
    expect(await statuses("/refails/x", 6)).toEqual([503, 502, 503, 503, 503, 503]);
    expect(await hits("refails")).toBe(THRESHOLD + 1);
    expect((await circuitState("refails")).state).toBe("open");
  });

  it("skips an endpoint that keeps failing while the other serves, and leaves the circuit closed", async () => {
    await setOrigin("pair-a", 502);
    const results = await statuses("/pair/x", 20);
    expect(results.filter((status) => status === 502)).toHaveLength(THRESHOLD);
    expect(results.slice(-10)).toEqual(Array(10).fill(200));
    expect(await hits("pair-a")).toBe(THRESHOLD);
    const state = await circuitState("pair");
    expect(state).toMatchObject({ state: "closed", failures: 0 });
    const [a, b] = flaky("pair-a", "pair-b").map((endpoint) => state.endpoints.find((candidate) => candidate.endpoint === endpoint));
    expect(a).toMatchObject({ requests: THRESHOLD, failures: THRESHOLD });
    expect(a!.ejected_for_ms).toBeGreaterThan(0);
    // Its successes reach the object with the failures and refreshes: some of them by now.
    expect(b).toMatchObject({ failures: 0, ejected_for_ms: 0 });
  });

  it("stays closed however many 500s a client provokes from one path; the upstream's 503s over the ratio open it", async () => {
    // 500 is not in failure_status_codes (502, 503, 504 by default): it answers one request.
    expect(await statuses("/provoked/status/500", 40)).toEqual(Array(40).fill(500));
    expect(await circuitState("provoked")).toMatchObject({ state: "closed", failures: 0 });
    // 503s: 40 of them make half of the 80 requests in the window, and the 40th opens it.
    expect(await statuses("/provoked/status/503", 40)).toEqual(Array(40).fill(503));
    const refused = await send("/provoked/bytes/10");
    expect(refused.status).toBe(503);
    expect(await refused.json()).toMatchObject({ error: "upstream_circuit_open" });
    expect(await circuitState("provoked")).toMatchObject({ state: "open", failures: 40 });
  });

  it("counts timeouts as failures: they open the circuit", async () => {
    expect(await statuses("/timing-out/slow/1000", THRESHOLD)).toEqual(Array(THRESHOLD).fill(504));
    const refused = await send("/timing-out/slow/1000");
    expect(refused.status).toBe(503);
    expect(await refused.json()).toMatchObject({ error: "upstream_circuit_open" });
  });
});

describe("GET /admin/circuits", () => {
  it("lists every upstream with a circuit breaker, in config order, with the config's thresholds", async () => {
    await setOrigin("admin-view", 503);
    await statuses("/admin-view/x", 2);
    const res = await admin("/circuits");
    expect(res.status).toBe(200);
    expect(res.headers.get("Cache-Control")).toBe("no-store");
    const body = await res.json<{ version: number; circuits: CircuitState[] }>();
    expect(body.version).toBeGreaterThan(0);
    // `plain` has no circuit breaker.
    expect(body.circuits.map((circuit) => circuit.upstream)).toEqual(circuits.map((circuit) => circuit.upstream.name));
    expect(body.circuits.find((circuit) => circuit.upstream === "admin-view")).toEqual({
      upstream: "admin-view",
      state: "closed",
      requests: 2,
      failures: 2,
      retry_after_ms: 0,
      probes_issued: 0,
      probe_successes: 0,
      endpoints: [{ endpoint: "https://origin.test/flaky/admin-view", requests: 2, failures: 2, ejected_for_ms: 0 }],
      failure_threshold: THRESHOLD,
      minimum_requests: THRESHOLD,
      failure_ratio: 0.5,
      window_ms: 60_000,
      failure_status_codes: [502, 503, 504],
      timeout_ms: 30_000,
      half_open_requests: 1,
      success_threshold: 1,
    });
  });

  it("answers 401 without the admin token, and 503 when the objects cannot be reached", async () => {
    expect((await admin("/circuits", { auth: null })).status).toBe(401);
    expect((await admin("/circuits/trips/reset", { method: "POST", auth: null })).status).toBe(401);
    vi.spyOn(console, "error").mockImplementation(() => {});
    const broken = { getByName: () => ({ state: () => Promise.reject(new Error("Durable Object storage failed (test)")) }) };
    const res = await admin("/circuits", { env: { ...env, CIRCUIT_BREAKER: broken } as unknown as Env });
    expect(res.status).toBe(503);
    expect(res.headers.get("Retry-After")).toBe("1");
    expect(await res.json()).toMatchObject({ error: "circuit_store_unavailable" });
  });
});

describe("POST /admin/circuits/:upstream/reset", () => {
  it("closes an open circuit, audited, and this isolate sends traffic again at once", async () => {
    await setOrigin("admin-reset", 502);
    await statuses("/admin-reset/x", THRESHOLD);
    expect((await send("/admin-reset/x")).status).toBe(503);
    await setOrigin("admin-reset", 200);

    const res = await admin("/circuits/admin-reset/reset", { method: "POST", headers: { "User-Agent": "ops-cli/1" } });
    expect(res.status).toBe(200);
    expect(await res.json()).toMatchObject({
      upstream: "admin-reset",
      state: "closed",
      failures: 0,
      endpoints: [],
      previous_state: "open",
    });
    const [row] = await auditRows("event = 'state_reset' AND target = ?", "circuits/admin-reset");
    expect(row).toMatchObject({ actor: "token", action: "circuit_reset", user_agent: "ops-cli/1" });
    // Its only endpoint is never ejected: the circuit decides for the last one in service.
    expect(JSON.parse(row!.details)).toEqual({ previous_state: "open", failures: THRESHOLD, ejected_endpoints: [] });

    expect(await statuses("/admin-reset/x", 3)).toEqual([200, 200, 200]);
    expect(await hits("admin-reset")).toBe(THRESHOLD + 3);
    expect((await circuitState("admin-reset")).state).toBe("closed");
  });

  it("answers 404 for an unknown upstream and for one without a circuit breaker", async () => {
    const unknown = await admin("/circuits/nope/reset", { method: "POST" });
    expect(unknown.status).toBe(404);
    expect(await unknown.json()).toMatchObject({ error: "not_found", message: 'upstream "nope" does not exist' });
    const plain = await admin("/circuits/plain/reset", { method: "POST" });
    expect(plain.status).toBe(404);
    expect(await plain.json()).toMatchObject({ error: "not_found", message: expect.stringContaining("no circuit_breaker") });
    expect((await admin("/circuits/trips/reset")).status).toBe(405);
  });

  it("changes nothing when the audit row cannot be written (503)", async () => {
    vi.spyOn(console, "error").mockImplementation(() => {});
    await setOrigin("audit-down", 502);
    await statuses("/audit-down/x", THRESHOLD);
    const res = await admin("/circuits/audit-down/reset", { method: "POST", env: envWithBrokenDb() });
    expect(res.status).toBe(503);
    expect(await res.json()).toMatchObject({ error: "audit_unavailable" });
    expect((await circuitState("audit-down")).state).toBe("open");
    expect((await send("/audit-down/x")).status).toBe(503);
  });
});
