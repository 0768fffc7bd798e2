/** `ai_gateway` in both dialects and a route's `ai`, read into one shape (schema.ts), through the config's own validation. */
import { describe, expect, it } from "vitest";
import { parse as parseYaml } from "yaml";
import loomPolicyYaml from "../../../test/fixtures/loom-security-policy.yaml?raw";
import { validateConfig, type ValidationResult } from "../../config/parse";

const validate = (document: Record<string, unknown>, env: Record<string, unknown> = {}): ValidationResult => validateConfig(document, env);

function accepted(document: Record<string, unknown>, env: Record<string, unknown> = {}) {
  const result = validate(document, env);
  if (!result.ok) throw new Error(`refused: ${JSON.stringify(result.issues)}`);
  return result;
}

function issues(document: Record<string, unknown>): { path: string; message: string }[] {
  const result = validate(document);
  if (result.ok) throw new Error("expected the config to be refused");
  return result.issues;
}

const aiRoute = { id: "ai", path: "/ai/*", ai: true, strip_prefix: true };
const openai = { name: "openai", provider: "openai", api_key: "${OPENAI_API_KEY}" };

describe("ai_gateway of earlier releases", () => {
  it("reads a provider's `credential` (a vault provider's name, or { provider }) as api_key vault:<provider>", () => {
    const { config } = accepted({
      ai_gateway: {
        providers: [
          { name: "openai", credential: "openai" },
          { name: "anthropic", credential: { provider: "claude-team", header: "x-api-key" } },
        ],
      },
    });
    expect(config.ai_gateway?.providers.map((provider) => [provider.name, provider.api_key])).toEqual([
      ["openai", "vault:openai"],
      ["anthropic", "vault:claude-team"],
    ]);
    expect(config.ai_gateway?.providers[0]).not.toHaveProperty("credential");
  });
});

describe("ai_gateway in Loom's code dialect", () => {
  it("loads `enabled: true` and every key of LOOM-CONFIG.md, with their defaults", () => {
    const { config } = accepted({
      ai_gateway: {
        enabled: true,
        providers: [
          {
            name: "openai",
            provider: "openai",
            api_key: "${OPENAI_API_KEY}",
            org_id: "org-1",
            model: "gpt-4o",
            weight: 3,
            priority: 1,
            cost_per_1k: 0.01,
            rate_limit: 600,
            timeout: "20s",
            health_path: "/v1/models",
            headers: { "X-Team": "search" },
          },
          { name: "claude", type: "anthropic", api_key: "vault:anthropic" },
          { name: "ollama", provider: "local", base_url: "http://localhost:11434/" },
        ],
        routing_strategy: "cost_optimized",
        request_timeout: "45s",
        max_tokens_per_request: 4096,
        token_counting: true,
        prompt_guard: { enabled: true, block_on_detection: true },
        cache: {
          enabled: true,
          max_size: "100MB",
          default_ttl: "10m",
          semantic_matching: true,
          similarity_threshold: 0.9,
          vary_by_headers: ["X-User"],
        },
      },
      routes: [aiRoute],
    });
    const ai = config.ai_gateway!;
    expect(ai).toMatchObject({ enabled: true, routing_strategy: "cost_optimized", request_timeout: 45_000, token_counting: true });
    expect(ai.providers[0]).toMatchObject({
      provider: "openai",
      endpoint: "https://api.openai.com",
      timeout: 20_000,
      weight: 3,
      priority: 1,
    });
    expect(ai.providers[1]).toMatchObject({
      name: "claude",
      provider: "anthropic",
      endpoint: "https://api.anthropic.com",
      weight: 1,
      priority: 0,
    });
    expect(ai.providers[1]).not.toHaveProperty("type");
    expect(ai.providers[2]).toMatchObject({ provider: "local", endpoint: "http://localhost:11434", headers: {} });
    expect(ai.providers[2]).not.toHaveProperty("base_url");
    expect(ai.security.prompt_injection_detection).toEqual({ enabled: true, action: "block", threshold: 0.5 });
    expect(ai.security.max_tokens_per_request).toBe(4096);
    expect(ai).not.toHaveProperty("prompt_guard");
    expect(ai).not.toHaveProperty("max_tokens_per_request");
    expect(config.routes[0]!.ai).toEqual({});
    expect(config.routes[0]!.upstream).toBeUndefined();
  });

  it("reads prompt_guard without block_on_detection as a check that logs", () => {
    const { config } = accepted({ ai_gateway: { prompt_guard: { enabled: true } } });
    expect(config.ai_gateway!.security.prompt_injection_detection).toEqual({ enabled: true, action: "log", threshold: 0.5 });
  });

  it("defaults to enabled, priority routing, 30s, no checks", () => {
    const { config } = accepted({ ai_gateway: {} });
    expect(config.ai_gateway).toEqual({
      enabled: true,
      providers: [],
      routing_strategy: "priority",
      request_timeout: 30_000,
      token_counting: false,
      security: {
        prompt_injection_detection: { enabled: false, action: "block", threshold: 0.5 },
        content_filtering: { enabled: false, action: "block", deny_list: [], categories: undefined },
        pii_detection: false,
        pii_action: "mask",
        pii_responses: false,
      },
    });
  });
});

describe("ai_gateway in the security policy's dialect", () => {
  it("loads the policy file as it is, its booleans read as objects, and warns that no route uses it", () => {
    const result = accepted(parseYaml(loomPolicyYaml, { merge: true }) as Record<string, unknown>);
    const ai = result.config.ai_gateway!;
    expect(ai.providers[0]).toMatchObject({ name: "openai", provider: "openai", endpoint: "https://api.openai.com" });
    expect(ai.security).toMatchObject({
      prompt_injection_detection: { enabled: true, action: "block" },
      content_filtering: { enabled: true, action: "block", deny_list: [] },
      pii_detection: true,
      pii_action: "mask",
      max_tokens_per_request: 4096,
      max_tokens_per_minute: 100_000,
    });
    expect(result.warnings).toContainEqual(expect.stringMatching(/^ai_gateway\.security: no route has `ai`, so it protects nothing/));
  });

  it("drops the warning once a route goes through the AI gateway", () => {
    const document = { ai_gateway: { providers: [openai], security: { pii_detection: true } } };
    expect(accepted(document).warnings.join("\n")).toMatch(/no route has `ai`/);
    expect(accepted({ ...document, routes: [aiRoute] }).warnings.join("\n")).not.toMatch(/no route has `ai`/);
  });

  it("takes the object forms and the new keys", () => {
    const { config } = accepted({
      ai_gateway: {
        security: {
          prompt_injection_detection: { enabled: true, action: "log", threshold: 0.7 },
          content_filtering: { action: "log", deny_list: ["forbidden phrase"], categories: ["violence"] },
          pii_detection: true,
          pii_action: "block",
          pii_responses: true,
        },
        quotas: { consumer: { daily_tokens: 100_000 }, tenant: { daily_tokens: 1_000_000, daily_cost: 50 } },
        allowed_models: ["gpt-4o-mini"],
      },
    });
    expect(config.ai_gateway!.security).toMatchObject({
      prompt_injection_detection: { enabled: true, action: "log", threshold: 0.7 },
      content_filtering: { enabled: true, action: "log", deny_list: ["forbidden phrase"], categories: ["violence"] },
      pii_action: "block",
      pii_responses: true,
    });
    expect(config.ai_gateway!.quotas).toEqual({ consumer: { daily_tokens: 100_000 }, tenant: { daily_tokens: 1_000_000, daily_cost: 50 } });
    expect(config.ai_gateway!.allowed_models).toEqual(["gpt-4o-mini"]);
  });

  it("takes one max_tokens_per_request written in both places with the same value", () => {
    const { config } = accepted({ ai_gateway: { max_tokens_per_request: 100, security: { max_tokens_per_request: 100 } } });
    expect(config.ai_gateway!.security.max_tokens_per_request).toBe(100);
  });
});

describe("refusals, each with its path", () => {
  it.each([
    [{ ai_gateway: { max_tokens_per_request: 100, security: { max_tokens_per_request: 200 } } }, "ai_gateway.max_tokens_per_request"],
    [{ ai_gateway: { prompt_guard: { enabled: true }, security: { prompt_injection_detection: true } } }, "ai_gateway.prompt_guard"],
    [{ ai_gateway: { providers: [{ ...openai, type: "openai" }] } }, "ai_gateway.providers[0].type"],
    [
      { ai_gateway: { providers: [{ name: "x", provider: "azure", endpoint: "https://a.test", base_url: "https://b.test" }] } },
      "ai_gateway.providers[0].base_url",
    ],
    [{ ai_gateway: { providers: [{ name: "mistral" }] } }, "ai_gateway.providers[0].provider"],
    [{ ai_gateway: { providers: [{ name: "az", provider: "azure" }] } }, "ai_gateway.providers[0].endpoint"],
    [{ ai_gateway: { providers: [{ name: "x", provider: "local", endpoint: "ftp://x.test" }] } }, "ai_gateway.providers[0].endpoint"],
    [
      { ai_gateway: { providers: [{ name: "x", provider: "local", endpoint: "https://x.test/?a=1" }] } },
      "ai_gateway.providers[0].endpoint",
    ],
    [{ ai_gateway: { providers: [{ name: "x", provider: "local", endpoint: "https://u:p@x.test" }] } }, "ai_gateway.providers[0].endpoint"],
    [
      { ai_gateway: { providers: [{ name: "x", provider: "openai_compatible", endpoint: "http://llm.example.com", api_key: "${K}" }] } },
      "ai_gateway.providers[0].endpoint",
    ],
    [{ ai_gateway: { providers: [{ ...openai, api_key: "sk-live-123" }] } }, "ai_gateway.providers[0].api_key"],
    [{ ai_gateway: { providers: [{ ...openai, api_key: "vault:Open AI" }] } }, "ai_gateway.providers[0].api_key"],
    [{ ai_gateway: { providers: [{ ...openai, headers: { "X-Bad": "a\r\nInjected: 1" } }] } }, "ai_gateway.providers[0].headers.X-Bad"],
    [{ ai_gateway: { providers: [{ ...openai, headers: { Host: "evil.test" } }] } }, "ai_gateway.providers[0].headers.Host"],
    [{ ai_gateway: { providers: [openai, { ...openai, api_key: undefined }] } }, "ai_gateway.providers[1].name"],
    // The check's URL is built as a forwarded request's: a path that is not in normal form could leave the base path.
    [{ ai_gateway: { providers: [{ ...openai, health_path: "/v1/../../admin" }] } }, "ai_gateway.providers[0].health_path"],
    [{ ai_gateway: { providers: [{ ...openai, health_path: "//evil.test/health" }] } }, "ai_gateway.providers[0].health_path"],
    [{ ai_gateway: { providers: [{ ...openai, health_path: "health" }] } }, "ai_gateway.providers[0].health_path"],
    [{ ai_gateway: { providers: [{ ...openai, credential: "openai" }] } }, "ai_gateway.providers[0].credential"],
    [{ ai_gateway: { providers: [{ name: "openai", credential: "Open AI" }] } }, "ai_gateway.providers[0].credential"],
    [{ ai_gateway: { routing_strategy: "fastest" } }, "ai_gateway.routing_strategy"],
    [{ ai_gateway: { security: { pii_action: "redact" } } }, "ai_gateway.security.pii_action"],
    [
      { ai_gateway: { security: { prompt_injection_detection: { threshold: 0 } } } },
      "ai_gateway.security.prompt_injection_detection.threshold",
    ],
    [{ ai_gateway: { providers: [openai] }, routes: [{ ...aiRoute, ai: { provider: "claude" } }] }, "routes[0].ai.provider"],
    [{ ai_gateway: {}, routes: [aiRoute] }, "routes[0].ai"],
    [
      {
        ai_gateway: { providers: [openai] },
        routes: [{ ...aiRoute, upstream: "backend" }],
        upstreams: [{ name: "backend", endpoints: ["https://o.test"] }],
      },
      "routes[0].upstream",
    ],
    [{ ai_gateway: { providers: [openai] }, routes: [{ ...aiRoute, credential: "openai" }] }, "routes[0].credential"],
    [{ routes: [{ id: "plain", path: "/p" }] }, "routes[0].upstream"],
    [{ ai_gateway: { providers: [openai] }, routes: [{ ...aiRoute, timeout: "5s" }] }, "routes[0].timeout"],
    [{ ai_gateway: { providers: [openai] }, routes: [{ ...aiRoute, cache: true }] }, "routes[0].cache"],
    [{ ai_gateway: { providers: [openai] }, routes: [{ ...aiRoute, ai: { provider: "${PROVIDER}" } }] }, "routes[0].ai.provider"],
  ])("%j at %s", (document, path) => {
    expect(issues(document as Record<string, unknown>).map((issue) => issue.path)).toContain(path);
  });

  it("accepts a disabled gateway's routes without providers: they answer 503", () => {
    expect(accepted({ ai_gateway: { enabled: false }, routes: [aiRoute] }).config.routes[0]!.ai).toEqual({});
  });

  it("reads `ai: false` as no AI gateway (then the route needs upstream)", () => {
    const { config } = accepted({
      routes: [{ id: "r", path: "/r", upstream: "b", ai: false }],
      upstreams: [{ name: "b", endpoints: ["https://o.test"] }],
    });
    expect(config.routes[0]!.ai).toBeUndefined();
  });

  it("warns that the cache's max_size is ignored, and nothing about a provider's health_path (enforced)", () => {
    const { warnings } = accepted({
      ai_gateway: { providers: [{ ...openai, health_path: "/health" }], token_counting: true, cache: { enabled: true, max_size: "1GB" } },
      routes: [aiRoute],
    });
    expect(warnings).toEqual(expect.arrayContaining([expect.stringMatching(/^ai_gateway\.cache\.max_size: ignored at the edge: /)]));
    expect(warnings.join("\n")).not.toMatch(/token_counting|ai_gateway\.cache:|health_path/);
  });

  it("warns about an unset ${VAR} key as about every secret", () => {
    expect(accepted({ ai_gateway: { providers: [openai] }, routes: [aiRoute] }).warnings.join("\n")).toMatch(
      /ai_gateway\.providers\[0\]\.api_key: secret OPENAI_API_KEY is not set/,
    );
  });
});
