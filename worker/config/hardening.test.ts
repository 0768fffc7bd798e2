/**
 * Save-time checks of issue 12 (JWT, vault): what a config is refused for, by path, and the
 * warnings that say what a config accepts.
 */
import { describe, expect, it } from "vitest";
import { validateConfig } from "./parse";
import { pluginObjects } from "./plugin-names";

const upstreams = [{ name: "backend", endpoints: ["https://origin.example.com"] }];
const jwt = { type: "jwt", secret: "${HS_SECRET}", algorithms: ["HS256"] };
const ENV = { HS_SECRET: "set" };

function warningsOf(document: Record<string, unknown>): string[] {
  const result = validateConfig({ upstreams, ...document }, ENV);
  if (!result.ok) throw new Error(JSON.stringify(result.issues));
  return result.warnings;
}

function issuesOf(document: Record<string, unknown>): { path: string; message: string }[] {
  const result = validateConfig(document, ENV);
  if (result.ok) throw new Error("expected the config to be refused");
  return result.issues;
}

describe("jwt warnings: what a jwt block accepts", () => {
  it("says that a block without issuer and audience accepts every token its keys verify", () => {
    expect(warningsOf({ middleware: { auth: jwt } })).toEqual([
      "middleware.auth: no issuer (any `iss`) and no audience (any `aud`, tokens issued for other services included) is checked: every token its keys verify is accepted, whoever it was issued by or for (RFC 8725 §3.8, §3.9); set `issuer` and `audience`",
    ]);
  });

  it.each([
    ["issuer", { issuer: "https://id.example.com/" }, "no audience (any `aud`"],
    ["audience", { audience: "api://orders" }, "no issuer (any `iss`)"],
  ])("names what is missing when only %s is set", (_name, set, says) => {
    const [warning, ...rest] = warningsOf({ middleware: { auth: { ...jwt, ...set } } });
    expect(rest).toEqual([]);
    expect(warning).toContain(`middleware.auth: ${says}`);
  });

  it("says nothing with issuer and audience set", () => {
    expect(warningsOf({ middleware: { auth: { ...jwt, issuer: "https://id.example.com/", audience: "api://orders" } } })).toEqual([]);
  });

  it("finds jwt blocks in routes and in scheme lists, by path", () => {
    const complete = { ...jwt, issuer: "i", audience: "a" };
    const warnings = warningsOf({
      middleware: { auth: complete },
      routes: [
        { id: "a", path: "/a", upstream: "backend", auth: jwt },
        { id: "b", path: "/b", upstream: "backend", auth: [{ type: "api_key" }, { ...complete, require_exp: false }] },
        { id: "c", path: "/c", upstream: "backend", auth: "none" },
      ],
    });
    expect(warnings).toEqual([
      expect.stringMatching(/^routes\[0\]\.auth: no issuer/),
      "routes[1].auth[1].require_exp: false: tokens without `exp` are accepted and never expire, so a leaked one works until its key is rotated",
    ]);
  });

  it("warns about a loopback http jwks_uri, not about an https one", () => {
    const jwks = { type: "jwt", jwks_uri: "http://127.0.0.1:9000/jwks", algorithms: ["RS256"], issuer: "i", audience: "a" };
    expect(warningsOf({ middleware: { auth: jwks } })).toEqual([
      expect.stringMatching(/^middleware\.auth\.jwks_uri: plain http to a loopback host, for local development only/),
    ]);
    expect(warningsOf({ middleware: { auth: { ...jwks, jwks_uri: "https://id.example.com/jwks" } } })).toEqual([]);
  });

  it("refuses a plain-http jwks_uri to another host, by path", () => {
    const issues = issuesOf({ middleware: { auth: { type: "jwt", jwks_uri: "http://id.example.com/jwks", algorithms: ["RS256"] } } });
    expect(issues).toEqual([{ path: "middleware.auth.jwks_uri", message: expect.stringContaining("https") }]);
  });
});

describe("vault credentials never go to a plain-http upstream except a loopback one", () => {
  const route = { id: "llm", path: "/llm/*", upstream: "llm", credential: "openai", auth: { type: "api_key" } };
  const config = (...endpoints: string[]) => ({ routes: [route], upstreams: [{ name: "llm", endpoints }] });

  it.each([["http://api.example.com"], ["api.example.com:8080"], ["10.0.0.5:80"], ["http://localhost.example.com"]])(
    "refuses the endpoint %s",
    (endpoint) => {
      expect(issuesOf(config(endpoint))).toEqual([
        { path: "routes[0].credential", message: expect.stringContaining(`plain-http endpoint ${endpoint}`) },
      ]);
    },
  );

  it("refuses an upstream with one plain-http endpoint among https ones", () => {
    expect(issuesOf(config("https://a.example.com", "http://b.example.com"))[0]!.path).toBe("routes[0].credential");
  });

  it.each([["https://api.example.com"], ["http://127.0.0.1:8788"], ["127.0.0.1:8788"], ["localhost:8788"], ["http://[::1]:8788"]])(
    "accepts the endpoint %s",
    (endpoint) => {
      expect(validateConfig(config(endpoint), ENV).ok).toBe(true);
    },
  );

  it("accepts plain http on routes without a credential", () => {
    expect(
      validateConfig(
        { routes: [{ ...route, credential: undefined }], upstreams: [{ name: "llm", endpoints: ["http://api.example.com"] }] },
        ENV,
      ).ok,
    ).toBe(true);
  });
});

describe("request-validator max_body_size", () => {
  const withValidator = (config: Record<string, unknown>) => ({
    routes: [{ id: "r", path: "/r", upstream: "backend", plugins: [{ name: "request-validator", config: { schema: {}, ...config } }] }],
    upstreams,
  });

  it("defaults to 1 MiB", () => {
    const result = validateConfig(withValidator({}), ENV);
    expect(result.ok && pluginObjects(result.config.routes[0]!.plugins)[0]!.config.max_body_size).toBe(1024 * 1024);
  });

  it.each(["0B", "33MB"])("refuses %s", (max_body_size) => {
    expect(issuesOf(withValidator({ max_body_size }))[0]!.path).toBe("routes[0].plugins[0].config.max_body_size");
  });
});
