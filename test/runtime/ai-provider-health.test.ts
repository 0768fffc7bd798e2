/**
 * `ai_gateway.providers[].health_path` through the whole worker: providers on the fake origin's
 * /flaky/<id> (test/support/fake-origin.ts), whose checks are `/flaky/<id>/health`, told apart
 * from the traffic by path. The first AI request gives each provider's object
 * (`ai-provider:<name>`) its spec with the circuit refresh, which starts the rounds; each
 * runDurableObjectAlarm after the first round is one more round (each re-arms the next 15 s
 * later, so none runs by itself between them).
 */
import { runDurableObjectAlarm } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { beforeAll, describe, expect, it, vi } from "vitest";
import type { CircuitBreaker } from "../../durable-objects/circuit-breaker";
import { admin, putConfig, send } from "./admin-harness";

const hex = (n: number) => [...crypto.getRandomValues(new Uint8Array(n))].map((byte) => byte.toString(16).padStart(2, "0")).join("");
/** Ids of this run, so the fake origin's counters start at 0. */
const run = hex(4);
const id = (name: string) => `${run}-hc-${name}`;
const flaky = (name: string) => `https://${name}.test/flaky/${id(name)}`;
const setStatus = async (name: string, status: number) =>
  expect((await fetch(`https://origin.test/flaky-status/${id(name)}/${status}`)).status).toBe(204);

interface Origin {
  paths: Record<string, number>;
  authorization: string | null;
}
const origin = async (name: string) => (await fetch(`https://origin.test/hits/${id(name)}`)).json<Origin>();
/** Requests the provider got on the API path (not its checks). */
const served = async (name: string) => (await origin(name)).paths[`/flaky/${id(name)}/v1/chat/completions`] ?? 0;
const checks = async (name: string) => (await origin(name)).paths[`/flaky/${id(name)}/health`] ?? 0;

const stub = (name: string): DurableObjectStub<CircuitBreaker> => env.CIRCUIT_BREAKER.getByName(`ai-provider:${name}`);

const chat = () => ({ model: "gpt-4o-mini", messages: [{ role: "user", content: "Say hello." }] });
const post = (path = "/ai/v1/chat/completions") =>
  send(`https://gw.test${path}`, { method: "POST", headers: { "Content-Type": "application/json" }, body: JSON.stringify(chat()) });

/** `count` requests; the statuses and which provider answered each (the fake origin's body names it). */
async function answered(count: number, path?: string): Promise<string[]> {
  const names: string[] = [];
  for (let i = 0; i < count; i++) {
    const res = await post(path);
    names.push(`${res.status} ${(await res.text()).replace(/^flaky [0-9a-f]+-hc-(\w+): \d+$/, "$1")}`);
  }
  return names;
}

async function rounds(name: string, count: number): Promise<void> {
  for (let i = 0; i < count; i++) expect(await runDurableObjectAlarm(stub(name))).toBe(true);
}

/** Waits out the isolate's trust in its copies (2 s, on the real clock), then sends the request that refreshes them. */
async function refreshed(): Promise<void> {
  await scheduler.wait(2_100);
  await post();
}

/** The `ai_provider_health_checks` of GET /admin/circuits. */
async function verdicts(): Promise<{ provider: string; down: boolean }[]> {
  const res = await admin("/circuits");
  expect(res.status).toBe(200);
  return ((await res.json()) as { ai_provider_health_checks: { provider: string; down: boolean }[] }).ai_provider_health_checks;
}

beforeAll(async () => {
  const result = await putConfig({
    ai_gateway: {
      providers: [
        {
          name: "first",
          provider: "openai_compatible",
          endpoint: flaky("first"),
          api_key: "${DEMO_API_KEY}",
          priority: 0,
          health_path: "/health",
        },
        { name: "second", provider: "local", endpoint: flaky("second"), priority: 1, health_path: "/health" },
      ],
      routing_strategy: "priority",
    },
    routes: [
      { id: "all", path: "/ai/*", ai: true, strip_prefix: true },
      { id: "pinned", path: "/pinned/*", ai: { provider: "first" }, strip_prefix: true },
    ],
  });
  expect(result.warnings).toEqual([]);
  // The first request starts the rounds: wait for the first round of both checked providers.
  expect(await answered(1)).toEqual(["200 first"]);
  await vi.waitFor(async () => expect([await checks("first"), await checks("second")]).toEqual([1, 1]));
});

describe("a provider with health_path", () => {
  it("is checked by an object of its own, with its ${VAR} key; a provider without a key is checked without one", async () => {
    expect((await origin("first")).authorization).toBe("Bearer demo-key-123");
    expect((await origin("second")).authorization).toBeNull();
    expect(await verdicts()).toEqual([
      { provider: "first", down: false, path: "/health", interval_ms: 15_000, healthy_threshold: 2, unhealthy_threshold: 3 },
      { provider: "second", down: false, path: "/health", interval_ms: 15_000, healthy_threshold: 2, unhealthy_threshold: 3 },
    ]);
  });

  it("gets no traffic once its checks fail 3 times in a row while another is up, and gets it back after 2 passes", async () => {
    await setStatus("first", 503);
    await rounds("first", 2);
    await refreshed();
    // Two failures are no verdict yet: the first is still tried (and falls back on its 503).
    const before = await served("first");
    expect(await answered(2)).toEqual(["200 second", "200 second"]);
    expect(await served("first")).toBe(before + 2);

    await rounds("first", 1);
    await refreshed();
    const down = await served("first");
    expect(await answered(3)).toEqual(["200 second", "200 second", "200 second"]);
    expect(await served("first")).toBe(down);
    expect((await verdicts()).map(({ down }) => down)).toEqual([true, false]);

    await setStatus("first", 200);
    await rounds("first", 1);
    await refreshed();
    expect(await answered(1)).toEqual(["200 second"]);
    await rounds("first", 1);
    await refreshed();
    expect(await answered(2)).toEqual(["200 first", "200 first"]);
    expect((await verdicts()).map(({ down }) => down)).toEqual([false, false]);
  }, 15_000);

  it("is still the last fallback while down, and a pinned route still sends to it", async () => {
    await setStatus("first", 503);
    await rounds("first", 3);
    await setStatus("second", 500);
    await refreshed();
    // Order: second, then the down first, whose 503 is the last answer.
    const before = [await served("first"), await served("second")];
    expect(await answered(1)).toEqual(["503 first"]);
    expect([await served("first"), await served("second")]).toEqual([before[0]! + 1, before[1]! + 1]);
    expect(await answered(1, "/pinned/v1/chat/completions")).toEqual(["503 first"]);
    await setStatus("second", 200);
  });

  it("fails open when every provider is down: they are all tried, in the strategy's order", async () => {
    await setStatus("second", 503);
    await rounds("second", 3);
    // Answering again, but no round has passed: both are still down.
    await setStatus("first", 200);
    await setStatus("second", 200);
    await refreshed();
    expect((await verdicts()).map(({ down }) => down)).toEqual([true, true]);
    expect(await answered(2)).toEqual(["200 first", "200 first"]);
    await setStatus("first", 500);
    const before = await served("first");
    expect(await answered(1)).toEqual(["200 second"]);
    expect(await served("first")).toBe(before + 1);
  });
});
