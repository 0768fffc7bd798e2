/**
 * The AI gateway over real HTTP: `wrangler dev` in front of a recording fake provider
 * (fake-provider.ts) on 127.0.0.1 that answers with OpenAI- and Anthropic-shaped JSON and event
 * streams, or fails (500, 429, a hang, a closed connection), and a port nothing listens on.
 */
import { randomBytes } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { startFakeProvider, type FakeProvider } from "./fake-provider";
import { freePorts, startGateway, type Gateway } from "./harness";

let gateway: Gateway;
let provider: FakeProvider;
/** A port nothing listens on: connections to it are refused. */
let closedPort: number;

const VAULT_ROOT_KEY = randomBytes(32).toString("base64url");

const chat = (extra: Record<string, unknown> = {}) =>
  JSON.stringify({ model: "gpt-4o-mini", messages: [{ role: "user", content: "Say hello." }], ...extra });

const post = (path: string, body: string, headers: Record<string, string> = {}) =>
  gateway.fetch(path, { method: "POST", headers: { "Content-Type": "application/json", ...headers }, body });

async function saveConfig(config: object): Promise<void> {
  const saved = await gateway.putConfig(config);
  expect(saved.status, await saved.text()).toBe(200);
}

function mainConfig() {
  const p = (name: string, mode: string, extra: Record<string, unknown> = {}) => ({
    name,
    provider: "openai_compatible",
    endpoint: provider.endpoint(name, mode),
    ...extra,
  });
  return {
    middleware: { auth: { type: "api_key" } },
    ai_gateway: {
      providers: [
        { name: "refused", provider: "local", endpoint: `http://127.0.0.1:${closedPort}`, priority: 0 },
        p("err500", "status/500", { priority: 1 }),
        p("err429", "status/429", { priority: 2 }),
        p("hang", "hang", { priority: 3, timeout: "500ms" }),
        p("closer", "close", { priority: 4 }),
        p("good", "json", { priority: 5, api_key: "${DEMO_API_KEY}" }),
        { name: "claude", provider: "anthropic", endpoint: provider.endpoint("claude", "json"), api_key: "${DEMO_API_KEY}", priority: 9 },
        p("streamer", "sse", { priority: 9 }),
        { name: "claude-stream", provider: "anthropic", endpoint: provider.endpoint("claude-stream", "sse"), priority: 9 },
        p("vaulted", "json", { priority: 9, api_key: "vault:openai" }),
        p("timed", "hang", { priority: 9, timeout: "500ms" }),
      ],
      routing_strategy: "priority",
      max_tokens_per_request: 2000,
    },
    routes: [
      { id: "chain", path: "/chain/*", ai: true, strip_prefix: true, auth: "none" },
      { id: "openai", path: "/openai/*", ai: { provider: "good", allowed_models: ["gpt-4o-mini"] }, strip_prefix: true, auth: "none" },
      { id: "claude", path: "/claude/*", ai: { provider: "claude" }, strip_prefix: true, auth: "none" },
      { id: "stream", path: "/stream/*", ai: { provider: "streamer" }, strip_prefix: true, auth: "none" },
      { id: "claude-stream", path: "/claude-stream/*", ai: { provider: "claude-stream" }, strip_prefix: true, auth: "none" },
      { id: "pinned-fail", path: "/pinned-fail/*", ai: { provider: "err500" }, strip_prefix: true, auth: "none" },
      { id: "pinned-hang", path: "/pinned-hang/*", ai: { provider: "timed" }, strip_prefix: true, auth: "none" },
      { id: "vault", path: "/vault/*", ai: { provider: "vaulted" }, strip_prefix: true },
      { id: "vault-open", path: "/vault-open/*", ai: { provider: "vaulted" }, strip_prefix: true, auth: "none" },
    ],
  };
}

beforeAll(async () => {
  [closedPort] = (await freePorts(1)) as [number];
  provider = await startFakeProvider();
  gateway = await startGateway({ vars: { VAULT_ROOT_KEY } });
  await saveConfig(mainConfig());
});
afterAll(async () => {
  await gateway?.stop();
  await provider?.stop();
});

describe("forwarding", () => {
  it("keeps the path after the prefix and the query, sends the body and the ${VAR} key, never the client's credentials", async () => {
    const body = chat();
    const res = await post("/openai/v1/chat/completions?x=1", body, { Authorization: "Bearer client-token", "X-Api-Key": "client-key" });
    expect(res.status).toBe(200);
    expect(await res.json()).toMatchObject({ object: "chat.completion", usage: { total_tokens: 16 } });
    const [call] = provider.callsTo("good").slice(-1);
    expect(call).toMatchObject({ method: "POST", path: "/v1/chat/completions?x=1", body });
    expect(call!.headers.authorization).toBe(`Bearer ${gateway.secrets.DEMO_API_KEY}`);
    expect(call!.headers).not.toHaveProperty("x-api-key");
  });

  it("speaks Anthropic: x-api-key and a default anthropic-version", async () => {
    const body = JSON.stringify({ model: "claude-sonnet", max_tokens: 100, messages: [{ role: "user", content: "Hi" }] });
    const res = await post("/claude/v1/messages", body, { Authorization: "Bearer client-token" });
    expect(await res.json()).toMatchObject({ type: "message", usage: { output_tokens: 7 } });
    const [call] = provider.callsTo("claude").slice(-1);
    expect(call!.path).toBe("/v1/messages");
    expect(call!.headers["x-api-key"]).toBe(gateway.secrets.DEMO_API_KEY);
    expect(call!.headers["anthropic-version"]).toBe("2023-06-01");
    expect(call!.headers).not.toHaveProperty("authorization");
  });

  it("refuses max_tokens over the limit and other models before any provider sees them", async () => {
    const before = provider.calls.length;
    const tooMany = await post("/openai/v1/chat/completions", chat({ max_tokens: 2001 }));
    expect(tooMany.status).toBe(400);
    expect(await tooMany.json()).toMatchObject({ error: "ai_token_limit", limit: 2000, requested: 2001 });
    const model = await post("/openai/v1/chat/completions", chat({ model: "gpt-5" }));
    expect(model.status).toBe(403);
    expect(await model.json()).toMatchObject({ error: "ai_model_not_allowed" });
    expect(provider.calls.length).toBe(before);
  });
});

describe("fallback", () => {
  it("goes past a refused connection, a 500, a 429, a timeout and a closed connection to the provider that answers", async () => {
    const marker = randomBytes(6).toString("hex");
    const res = await post("/chain/v1/chat/completions", chat({ user: marker }));
    expect(res.status).toBe(200);
    expect(await res.json()).toMatchObject({ object: "chat.completion" });
    // Each failing provider got the request once, with the same bytes as the one that answered.
    const received = (name: string) => provider.callsTo(name).filter((call) => call.body.includes(marker));
    for (const name of ["err500", "err429", "hang", "closer", "good"]) expect(received(name), name).toHaveLength(1);
    expect(new Set(["err500", "err429", "hang", "closer", "good"].map((name) => received(name)[0]!.body)).size).toBe(1);
  });

  it("never falls back from a pinned provider: its 500 is passed on, its silence is 504", async () => {
    const before = provider.callsTo("good").length;
    expect((await post("/pinned-fail/v1/chat/completions", chat())).status).toBe(500);
    const hang = await post("/pinned-hang/v1/chat/completions", chat());
    expect(hang.status).toBe(504);
    expect(await hang.json()).toMatchObject({ error: "upstream_timeout" });
    expect(provider.callsTo("good").length).toBe(before);
  });
});

describe("streams", () => {
  /** Reads the body until `text` has arrived; returns what came. */
  async function readUntil(reader: ReadableStreamDefaultReader<Uint8Array>, text: string): Promise<string> {
    const decoder = new TextDecoder();
    let seen = "";
    while (!seen.includes(text)) {
      const { done, value } = await reader.read();
      if (done) break;
      seen += decoder.decode(value, { stream: true });
    }
    return seen;
  }

  it.each([
    ["OpenAI", "/stream/v1/chat/completions", "streamer", '"content":"Hel"', "data: [DONE]"],
    ["Anthropic", "/claude-stream/v1/messages", "claude-stream", "event: message_start", "event: message_stop"],
  ])(
    "passes %s's events through one by one: the first arrives before the provider sends the next",
    async (_api, path, name, first, last) => {
      const res = await post(path, chat({ stream: true }), { "Accept-Encoding": "identity" });
      expect(res.status).toBe(200);
      expect(res.headers.get("content-type")).toBe("text/event-stream");
      const reader = res.body!.getReader();
      const head = await readUntil(reader, first);
      expect(head).toContain(first);
      expect(provider.released(name)).toBe(false);
      provider.release(name);
      const rest = await readUntil(reader, last);
      expect(rest).toContain(last);
    },
  );
});

describe("keys from the vault", () => {
  async function consumerKey(id: string, tenant: string): Promise<string> {
    const created = await gateway.admin("/consumers", {
      method: "POST",
      headers: { "Content-Type": "application/json" },
      body: JSON.stringify({ id, tenant }),
    });
    expect(created.status, await created.clone().text()).toBe(201);
    const issued = await gateway.admin(`/consumers/${id}/keys`, { method: "POST" });
    return ((await issued.json()) as { key: string }).key;
  }

  async function storeSecret(tenant: string, secret: string): Promise<void> {
    const stored = await gateway.admin(`/tenants/${tenant}/credentials/openai`, {
      method: "PUT",
      headers: { "Content-Type": "application/json" },
      body: JSON.stringify({ secret }),
    });
    expect(stored.status, await stored.clone().text()).toBe(201);
  }

  it("sends each tenant's own key; without a consumer, 403", async () => {
    const secrets = { a: `TenantASecret${randomBytes(12).toString("hex")}`, b: `TenantBSecret${randomBytes(12).toString("hex")}` };
    await storeSecret("tenant-a", secrets.a);
    await storeSecret("tenant-b", secrets.b);
    const keyA = await consumerKey("app-a", "tenant-a");
    const keyB = await consumerKey("app-b", "tenant-b");
    for (const [key, secret] of [
      [keyA, secrets.a],
      [keyB, secrets.b],
    ]) {
      const res = await post("/vault/v1/chat/completions", chat(), { "X-API-Key": key! });
      expect(res.status).toBe(200);
      const [call] = provider.callsTo("vaulted").slice(-1);
      expect(call!.headers.authorization).toBe(`Bearer ${secret}`);
      expect(call!.headers).not.toHaveProperty("x-api-key");
    }
    const before = provider.callsTo("vaulted").length;
    const open = await post("/vault-open/v1/chat/completions", chat());
    expect(open.status).toBe(403);
    expect(await open.json()).toMatchObject({ error: "tenant_required" });
    expect(provider.callsTo("vaulted").length).toBe(before);
  });
});

describe("spreading", () => {
  const spreadConfig = (strategy: string) => ({
    ai_gateway: {
      providers: ["spread-a", "spread-b"].map((name, i) => ({
        name,
        provider: "local",
        endpoint: provider.endpoint(`${strategy}-${name}`, "json"),
        weight: i === 0 ? 1 : 3,
      })),
      routing_strategy: strategy,
    },
    routes: [{ id: "spread", path: "/spread/*", ai: true, strip_prefix: true }],
  });

  /** How many of `requests` requests each provider got under `strategy`. */
  async function spread(strategy: string, requests: number): Promise<number[]> {
    await saveConfig(spreadConfig(strategy));
    for (let i = 0; i < requests; i++) expect((await post("/spread/v1/chat/completions", chat())).status).toBe(200);
    return ["spread-a", "spread-b"].map((name) => provider.callsTo(`${strategy}-${name}`).length);
  }

  it("round_robin takes the providers in turn", async () => {
    const counts = await spread("round_robin", 8);
    expect(counts[0]! + counts[1]!).toBe(8);
    // The dev server may run more than one isolate, each with its own turn: both get some, none all.
    expect(Math.min(...counts)).toBeGreaterThan(0);
  });

  it("weighted sends to both providers, each request to one", async () => {
    const counts = await spread("weighted", 40);
    expect(counts[0]! + counts[1]!).toBe(40);
    // Weight 1 against 3: the chance that either gets none in 40 draws is below 1e-4.
    expect(Math.min(...counts)).toBeGreaterThan(0);
  });
});

describe("health checks (health_path)", () => {
  const healthConfig = () => ({
    ai_gateway: {
      providers: [
        {
          name: "sick",
          provider: "openai_compatible",
          endpoint: provider.endpoint("sick", "health"),
          api_key: "${DEMO_API_KEY}",
          health_path: "/health",
          priority: 0,
        },
        { name: "spare", provider: "local", endpoint: provider.endpoint("spare", "json"), priority: 1 },
      ],
      routing_strategy: "priority",
    },
    routes: [{ id: "checked", path: "/checked/*", ai: true, strip_prefix: true }],
  });
  /** The checks run every 15 s: a verdict takes 3 rounds (down) or 2 (up), then isolates refresh within 2 s. */
  const POLL = { timeout: 120_000, interval: 1_000 };

  const served = (name: string) => provider.callsTo(name).filter((call) => call.path === "/v1/chat/completions").length;
  const checks = () => provider.callsTo("sick").filter((call) => call.path === "/health");
  /** Which provider each of `count` requests in a row reached. */
  async function reached(count: number): Promise<string[]> {
    const names: string[] = [];
    for (let i = 0; i < count; i++) {
      const before = { sick: served("sick"), spare: served("spare") };
      expect((await post("/checked/v1/chat/completions", chat())).status).toBe(200);
      names.push(served("sick") > before.sick ? "sick" : served("spare") > before.spare ? "spare" : "none");
    }
    return names;
  }

  beforeAll(() => saveConfig(healthConfig()));
  afterAll(() => saveConfig(mainConfig()));

  it("moves traffic off a provider whose health path fails (though it still answers), and back when it passes again", async () => {
    // The first request starts the checks, which carry the provider's ${VAR} key.
    expect(await reached(1)).toEqual(["sick"]);
    await vi.waitFor(() => expect(checks().length).toBeGreaterThan(0), POLL);
    expect(checks()[0]!.headers.authorization).toBe(`Bearer ${gateway.secrets.DEMO_API_KEY}`);

    provider.setHealthy("sick", false);
    await vi.waitFor(async () => expect(await reached(4)).toEqual(["spare", "spare", "spare", "spare"]), POLL);
    const down = await gateway.admin("/circuits");
    expect(await down.json()).toMatchObject({ ai_provider_health_checks: [{ provider: "sick", down: true, path: "/health" }] });

    provider.setHealthy("sick", true);
    await vi.waitFor(async () => expect(await reached(4)).toEqual(["sick", "sick", "sick", "sick"]), POLL);
  }, 300_000);
});
