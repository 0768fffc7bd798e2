import { describe, expect, it } from "vitest";
import { validateConfig } from "../config/parse";

const upstreams = [{ name: "llm", endpoints: ["https://api.openai.com"] }];
const withRoute = (credential: unknown) => ({ routes: [{ id: "chat", path: "/v1/*", upstream: "llm", credential }], upstreams });

function issues(document: unknown): { path: string; message: string }[] {
  const result = validateConfig(document, {});
  if (result.ok) throw new Error("expected the config to be refused");
  return result.issues;
}

describe("a route's credential", () => {
  it("reads the shorthand `credential: openai` as Authorization: Bearer {secret}", () => {
    const result = validateConfig(withRoute("openai"), {});
    expect(result.ok && result.config.routes[0]!.credential).toEqual({
      provider: "openai",
      header: "Authorization",
      format: "Bearer {secret}",
    });
    expect(result.ok && result.document).toMatchObject({ routes: [{ credential: "openai" }] });
  });

  it("accepts a header and a format of its own", () => {
    const result = validateConfig(withRoute({ provider: "anthropic", header: "x-api-key", format: "{secret}" }), {});
    expect(result.ok && result.config.routes[0]!.credential).toEqual({ provider: "anthropic", header: "x-api-key", format: "{secret}" });
  });

  it("is optional", () => {
    const result = validateConfig({ routes: [{ id: "chat", path: "/v1/*", upstream: "llm" }], upstreams }, {});
    expect(result.ok && result.config.routes[0]!.credential).toBeUndefined();
  });

  it.each([
    ["an upper-case provider", "OpenAI", "routes[0].credential"],
    ["a literal key", "sk-proj-abcdefghijklmnop", "routes[0].credential"],
    ["a provider with a dot", { provider: "open.ai" }, "routes[0].credential.provider"],
    ["the Host header", { provider: "openai", header: "Host" }, "routes[0].credential.header"],
    ["an X-Forwarded header", { provider: "openai", header: "X-Forwarded-For" }, "routes[0].credential.header"],
    ["Content-Length", { provider: "openai", header: "content-length" }, "routes[0].credential.header"],
    ["a format without {secret}", { provider: "openai", format: "Bearer" }, "routes[0].credential.format"],
    ["{secret} twice", { provider: "openai", format: "{secret}{secret}" }, "routes[0].credential.format"],
    ["a line break in the format", { provider: "openai", format: "Bearer {secret}\r\nX-Evil: 1" }, "routes[0].credential.format"],
    ["an unknown field", { provider: "openai", secret: "x" }, "routes[0].credential"],
  ])("refuses %s", (_name, credential, path) => {
    expect(issues(withRoute(credential)).map((issue) => issue.path)).toContain(path);
  });
});

describe("the save-time warning", () => {
  const warningsOf = (document: unknown) => {
    const result = validateConfig(document, {});
    if (!result.ok) throw new Error("expected a valid config");
    return result.warnings.filter((warning) => warning.includes("tenant_required"));
  };

  it("says when a route with a credential cannot be called by anyone with a tenant", () => {
    expect(warningsOf(withRoute("openai"))).toEqual([expect.stringMatching(/^routes\[0\]\.credential: /)]);
    expect(
      warningsOf({ ...withRoute("openai"), middleware: { auth: { type: "jwt", secret: "${JWT_SECRET}", algorithms: ["HS256"] } } }),
    ).toHaveLength(1);
  });

  it("stays quiet when the route accepts consumers' API keys", () => {
    expect(warningsOf({ ...withRoute("openai"), middleware: { auth: { type: "api_key" } } })).toEqual([]);
    const own = { routes: [{ id: "chat", path: "/v1/*", upstream: "llm", credential: "openai", auth: [{ type: "api_key" }] }], upstreams };
    expect(warningsOf(own)).toEqual([]);
  });
});
