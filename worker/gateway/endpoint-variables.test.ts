/** Endpoints with `${VAR}` references resolved and checked as a literal endpoint is; problems name variables, never values. */
import { describe, expect, it } from "vitest";
import { addressOf, resolveUpstream } from "./endpoint-variables";

const upstream = (...endpoints: string[]) => ({ name: "backend", endpoints: endpoints.map((endpoint) => ({ endpoint, weight: 1 })) });

describe("resolveUpstream", () => {
  it("gives each templated endpoint its address and keeps the written endpoint as its name", () => {
    const resolution = resolveUpstream(upstream("${BACKEND_HOST}:${BACKEND_PORT}", "https://${API_HOST}/v1", "literal.test:80"), {
      BACKEND_HOST: "127.0.0.1",
      BACKEND_PORT: "8080",
      API_HOST: "api.example.com",
    });
    expect(resolution.ok).toBe(true);
    if (!resolution.ok) return;
    expect(resolution.upstream.endpoints).toEqual([
      { endpoint: "${BACKEND_HOST}:${BACKEND_PORT}", weight: 1, address: "127.0.0.1:8080" },
      { endpoint: "https://${API_HOST}/v1", weight: 1, address: "https://api.example.com/v1" },
      { endpoint: "literal.test:80", weight: 1 },
    ]);
    expect(resolution.upstream.endpoints.map(addressOf)).toEqual(["127.0.0.1:8080", "https://api.example.com/v1", "literal.test:80"]);
  });

  it("reports unset variables per endpoint", () => {
    const resolution = resolveUpstream(upstream("ok.test:80", "${BACKEND_HOST}:${BACKEND_PORT}"), { BACKEND_PORT: "" });
    expect(resolution).toEqual({
      ok: false,
      problems: [{ endpoint: 1, message: expect.stringContaining("variables BACKEND_HOST, BACKEND_PORT are not set"), unset: true }],
    });
  });

  it.each([
    ["not an address", { BACKEND_HOST: "not a host", BACKEND_PORT: "80" }],
    ["a port out of range", { BACKEND_HOST: "example.com", BACKEND_PORT: "99999" }],
    ["userinfo smuggled in", { BACKEND_HOST: "user:pw@example.com", BACKEND_PORT: "80" }],
    ["a query smuggled in", { BACKEND_HOST: "example.com", BACKEND_PORT: "80/?x=1" }],
  ])("refuses a resolved value that is not a valid endpoint (%s), without quoting it", (_case, env) => {
    const resolution = resolveUpstream(upstream("${BACKEND_HOST}:${BACKEND_PORT}"), env);
    expect(resolution.ok).toBe(false);
    if (resolution.ok) return;
    expect(resolution.problems).toHaveLength(1);
    expect(resolution.problems[0]!.unset).toBe(false);
    expect(resolution.problems[0]!.message).toMatch(/^with BACKEND_HOST, BACKEND_PORT resolved, the endpoint is not valid/);
    for (const value of Object.values(env)) expect(resolution.problems[0]!.message).not.toContain(value);
  });
});
