import { describe, expect, it } from "vitest";
import { providerTargets, type ProviderTarget } from "./providers";
import { providerRouting } from "./routing";
import type { AiProvider } from "./schema";

const provider = (name: string, extra: Partial<AiProvider> = {}): AiProvider => ({
  name,
  provider: "openai_compatible",
  endpoint: `https://${name}.test`,
  weight: 1,
  priority: 0,
  headers: {},
  ...extra,
});

const names = (order: readonly ProviderTarget[]) => order.map((target) => target.name);

describe("routing strategies", () => {
  const targets = providerTargets(
    [
      provider("a", { priority: 2, cost_per_1k: 0.5, weight: 1 }),
      provider("b", { priority: 1, weight: 3 }),
      provider("c", { priority: 1, cost_per_1k: 0.1, weight: 6 }),
    ],
    30_000,
  );

  it("priority: lowest first, ties in list order", () => {
    expect(names(providerRouting("priority", targets, Math.random).order())).toEqual(["b", "c", "a"]);
  });

  it("round_robin: each request starts one further along the list, the rest following", () => {
    const routing = providerRouting("round_robin", targets, Math.random);
    expect([1, 2, 3, 4].map(() => names(routing.order()))).toEqual([
      ["a", "b", "c"],
      ["b", "c", "a"],
      ["c", "a", "b"],
      ["a", "b", "c"],
    ]);
  });

  it("weighted: the first drawn in proportion to weight, the rest by priority", () => {
    // Weights 1, 3, 6 of 10: [0, 0.1) a, [0.1, 0.4) b, [0.4, 1) c.
    const draws = [0, 0.09, 0.1, 0.39, 0.4, 0.99];
    const queue = [...draws];
    const routing = providerRouting("weighted", targets, () => queue.shift()!);
    expect(draws.map(() => names(routing.order()))).toEqual([
      ["a", "b", "c"],
      ["a", "b", "c"],
      ["b", "c", "a"],
      ["b", "c", "a"],
      ["c", "b", "a"],
      ["c", "b", "a"],
    ]);
  });

  it("cost_optimized: cheapest first, a provider without a cost last", () => {
    expect(names(providerRouting("cost_optimized", targets, Math.random).order())).toEqual(["c", "a", "b"]);
  });

  it("latency_optimized: unmeasured first, then the lowest moving average; a failure counts as the timeout", () => {
    const routing = providerRouting("latency_optimized", targets, Math.random);
    const [a, b, c] = targets as [ProviderTarget, ProviderTarget, ProviderTarget];
    expect(names(routing.order())).toEqual(["b", "c", "a"]);
    routing.measured(b, 500);
    expect(names(routing.order())).toEqual(["c", "a", "b"]);
    routing.measured(c, 100);
    routing.measured(a, 300);
    expect(names(routing.order())).toEqual(["c", "a", "b"]);
    // c fails once (its whole timeout): 100 + 0.3 × (30000 - 100) is now the slowest.
    routing.measured(c, 30_000);
    expect(names(routing.order())).toEqual(["a", "b", "c"]);
    // Several fast answers bring it back.
    for (let i = 0; i < 20; i++) routing.measured(c, 50);
    expect(names(routing.order())[0]).toBe("c");
  });

  it("measures nothing for the other strategies", () => {
    const routing = providerRouting("priority", targets, Math.random);
    routing.measured(targets[1]!, 99_999);
    expect(names(routing.order())).toEqual(["b", "c", "a"]);
  });
});

describe("provider targets", () => {
  it("send the key in each API's header, and org_id only to OpenAI-style APIs", () => {
    const [openai, azure, anthropic] = providerTargets(
      [
        provider("o", { provider: "openai", org_id: "org-1", api_key: "${OPENAI_KEY}", headers: { "X-Team": "t" } }),
        provider("z", { provider: "azure", org_id: "org-2", api_key: "vault:azure" }),
        provider("n", { provider: "anthropic", timeout: 5_000 }),
      ],
      30_000,
    );
    expect(openai).toMatchObject({
      key: { from: "variable", ref: "${OPENAI_KEY}" },
      headers: [
        ["X-Team", "t"],
        ["OpenAI-Organization", "org-1"],
      ],
    });
    expect(azure).toMatchObject({ key: { from: "vault", provider: "azure" }, headers: [], timeout: 30_000 });
    expect(anthropic).toMatchObject({ key: { from: "none" }, timeout: 5_000 });
    expect(openai!.endpoint).toEqual({ origin: "https://o.test", basePath: "" });
  });
});
