import { describe, expect, it } from "vitest";
import { PROVIDER_HEALTH, providerHealthSpec, upFirst } from "./health";
import { providerTargets, type ProviderTarget } from "./providers";
import type { AiProvider } from "./schema";

const provider = (name: string, extra: Partial<AiProvider> = {}): AiProvider => ({
  name,
  provider: "openai_compatible",
  endpoint: `https://${name}.test/base/`,
  weight: 1,
  priority: 0,
  headers: {},
  health_path: "/health",
  ...extra,
});

describe("a provider's health check spec", () => {
  it("checks <endpoint><health_path> with the fixed schedule, the provider's name as its endpoint", () => {
    expect(providerHealthSpec(provider("local", { provider: "local" }))).toEqual({
      ...PROVIDER_HEALTH,
      targets: [{ endpoint: "local", url: "https://local.test/base/health" }],
    });
  });

  it("carries a ${VAR} key as the variable's name in the provider's key header, never its value", () => {
    const credential = (extra: Partial<AiProvider>) =>
      providerHealthSpec(provider("p", { api_key: "${AI_KEY}", ...extra }))!.targets[0]!.credential;
    expect(credential({})).toEqual({ header: "Authorization", prefix: "Bearer ", variable: "AI_KEY" });
    expect(credential({ provider: "anthropic" })).toEqual({ header: "x-api-key", prefix: "", variable: "AI_KEY" });
    expect(credential({ provider: "azure" })).toEqual({ header: "api-key", prefix: "", variable: "AI_KEY" });
  });

  it("sends what the API needs on every request and holds no secret, never the provider's headers", () => {
    const headers = (extra: Partial<AiProvider>) =>
      providerHealthSpec(provider("p", { headers: { "X-Tenant-Token": "resolved-secret" }, ...extra }))!.targets[0]!.headers;
    expect(headers({ provider: "anthropic" })).toEqual([["anthropic-version", "2023-06-01"]]);
    expect(headers({ provider: "openai", org_id: "org-1" })).toEqual([["OpenAI-Organization", "org-1"]]);
    expect(headers({ provider: "azure", org_id: "org-1" })).toBeUndefined();
    expect(headers({})).toBeUndefined();
  });

  it("checks a vault-keyed provider without a key (the key is one tenant's), and none without health_path", () => {
    expect(providerHealthSpec(provider("v", { api_key: "vault:openai" }))!.targets[0]!.credential).toBeUndefined();
    expect(providerHealthSpec(provider("n", { health_path: undefined }))).toBeUndefined();
  });
});

describe("routing around providers that are down", () => {
  const targets = providerTargets([provider("a"), provider("b"), provider("c")], 30_000);
  const names = (order: readonly ProviderTarget[]) => order.map((target) => target.name);
  const downAre =
    (...down: string[]) =>
    (name: string) =>
      down.includes(name);

  it("moves the providers that are down last, keeping the strategy's order among each", () => {
    expect(names(upFirst(targets, downAre()))).toEqual(["a", "b", "c"]);
    expect(names(upFirst(targets, downAre("a")))).toEqual(["b", "c", "a"]);
    expect(names(upFirst([...targets].reverse(), downAre("c", "a")))).toEqual(["b", "c", "a"]);
  });

  it("keeps the strategy's order when every provider is down (fails open)", () => {
    expect(names(upFirst(targets, downAre("a", "b", "c")))).toEqual(["a", "b", "c"]);
  });
});
