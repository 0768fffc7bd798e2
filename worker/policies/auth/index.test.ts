/**
 * Choosing the scheme per route (precedence, lists, `none`), the save-time checks of auth blocks,
 * and the reporting of refusals. Each scheme has its own file beside this one.
 */
import { afterEach, describe, expect, it, vi } from "vitest";
import { createExecutionContext, waitOnExecutionContext } from "cloudflare:test";
import { Hono } from "hono";
import * as jose from "jose";
import { validateConfig } from "../../config/parse";
import type { AppEnv, Env } from "../../env";
import { errorHandler } from "../../http/error-handler";
import { log } from "../../observability/logger";
import { SECRETS, type RouteAuth, gateway, echo, bearer } from "./auth-harness.test-helper";
import { authenticate, gatewayCredentials } from ".";
import { authSchema, routeAuthSchema } from "./schema";

afterEach(() => {
  vi.useRealTimers();
  vi.restoreAllMocks();
});

describe("choosing the scheme per route", () => {
  const config = {
    auth: { type: "api_key" as const, keys: ["${API_KEY_1}"] },
    routes: {
      public: "none" as const,
      jwt: { type: "jwt" as const, secret: "${HS_SECRET}", algorithms: ["HS256" as const] },
      either: [
        { type: "jwt" as const, secret: "${HS_SECRET}", algorithms: ["HS256" as const] },
        { type: "api_key" as const, header: "X-Other-Key", keys: ["${API_KEY_2}"] },
      ],
      typenone: { type: "none" as const },
      default: undefined,
    },
  };

  it("applies middleware.auth to routes without their own auth, and to unknown route ids", async () => {
    const gw = gateway(config);
    expect((await gw.fetch("/default/x")).status).toBe(401);
    expect((await gw.fetch("/unlisted/x")).status).toBe(401);
    const ok = await gw.fetch("/default/x", { headers: { "X-API-Key": SECRETS.API_KEY_1! } });
    expect(ok.status).toBe(200);
    expect(await echo(ok)).toMatchObject({ scheme: "api_key", consumer: "API_KEY_1" });
  });

  it("lets `auth: none` (string or block) through without credentials", async () => {
    const gw = gateway(config);
    expect((await gw.fetch("/public/x")).status).toBe(200);
    expect((await gw.fetch("/typenone/x")).status).toBe(200);
    expect(gw.events).toEqual([]);
  });

  it("replaces middleware.auth with the route's scheme: the global key does not open a jwt route", async () => {
    const gw = gateway(config);
    const response = await gw.fetch("/jwt/x", { headers: { "X-API-Key": SECRETS.API_KEY_1! } });
    expect(response.status).toBe(401);
    expect(response.headers.get("WWW-Authenticate")).toBe('Bearer realm="loom-edge"');
  });

  it("accepts any one scheme of a list, and challenges with all of them", async () => {
    const gw = gateway(config);
    const token = await new jose.SignJWT({ sub: "u" })
      .setProtectedHeader({ alg: "HS256" })
      .setExpirationTime("5m")
      .sign(new TextEncoder().encode(SECRETS.HS_SECRET));
    expect(await echo(await gw.fetch("/either/x", bearer(token)))).toMatchObject({ scheme: "jwt" });
    expect(await echo(await gw.fetch("/either/x", { headers: { "X-Other-Key": SECRETS.API_KEY_2! } }))).toMatchObject({
      scheme: "api_key",
      consumer: "API_KEY_2",
    });
    const refused = await gw.fetch("/either/x", { headers: { "X-Other-Key": "wrong" } });
    expect(refused.status).toBe(401);
    expect(refused.headers.get("WWW-Authenticate")).toBe('Bearer realm="loom-edge", ApiKey realm="loom-edge"');
    expect(gw.events.at(-1)).toMatchObject({ route: "either", scheme: "jwt,api_key", reason: "invalid_key" });
  });

  it("lists every credential header and query parameter for the proxy to strip", () => {
    const parse = (auth: RouteAuth) => routeAuthSchema.parse(auth);
    expect(
      gatewayCredentials(
        authSchema.parse({ type: "api_key", keys: [], query_param: "api_key" }),
        parse("none"),
        parse([
          { type: "jwt", secret: "${S}", algorithms: ["HS256"], query_param: "access_token" },
          { type: "basic", username: "u", password: "${P}" },
          { type: "mtls" },
        ]),
        undefined,
      ),
    ).toEqual({ credentialHeaders: ["x-api-key", "authorization"], credentialQueryParams: ["api_key", "access_token"] });
  });

  it.each([
    ["a literal key", { type: "api_key", keys: ["sk-live-123"] }],
    ["a JWKS over plain http", { type: "jwt", jwks_uri: "http://id.example.com/jwks" }],
    ["both public_key and jwks_uri", { type: "jwt", public_key: "${PEM}", jwks_uri: "https://id.example.com/jwks" }],
    ["an HMAC algorithm without secret", { type: "jwt", jwks_uri: "https://id.example.com/jwks", algorithms: ["HS256"] }],
    ["a secret no algorithm uses", { type: "jwt", secret: "${S}", public_key: "${PEM}", algorithms: ["RS256"] }],
    ["the `none` algorithm", { type: "jwt", secret: "${S}", algorithms: ["none"] }],
    ["a realm with a quote", { type: "basic", username: "u", password: "${P}", realm: 'a"b' }],
    ["a user-id with a colon", { type: "basic", username: "a:b", password: "${P}" }],
    ["a bad fingerprint", { type: "mtls", fingerprints: ["abc"] }],
    ["an identity header the proxy owns", { type: "mtls", subject_header: "X-Forwarded-User" }],
    ["a token larger than 64KB", { type: "jwt", secret: "${S}", algorithms: ["HS256"], max_token_size: "1MB" }],
  ])("refuses %s", (_name, block) => {
    expect(authSchema.safeParse(block).success).toBe(false);
  });

  it("refuses `none` inside a list of schemes", () => {
    expect(routeAuthSchema.safeParse([{ type: "none" }]).success).toBe(false);
  });

  it("is part of the config: route auth, cors and ip_rules beside middleware cors and ip_rules", () => {
    const upstreams = [{ name: "backend", endpoints: ["https://origin.example.com"] }];
    const result = validateConfig(
      {
        middleware: {
          auth: { type: "api_key", keys: ["${API_KEY_1}"] },
          cors: { origins: ["https://app.example.com"] },
          ip_rules: { deny: ["203.0.113.0/24"] },
        },
        routes: [
          { id: "public", path: "/public/*", upstream: "backend", auth: "none", cors: { origins: ["*"] } },
          {
            id: "partners",
            path: "/partners/*",
            upstream: "backend",
            auth: [{ type: "mtls" }, { type: "jwt", jwks_uri: "https://id.example.com/jwks", algorithms: ["ES256"] }],
            ip_rules: { allow: ["2001:db8::/32"] },
          },
        ],
        upstreams,
      },
      { API_KEY_1: "set" },
    );
    expect(result.ok).toBe(true);
    const refused = validateConfig(
      { routes: [{ id: "r", path: "/r", upstream: "backend", auth: [{ type: "mtls" }, { type: "basic", username: "u" }] }], upstreams },
      {},
    );
    expect(refused.ok || refused.issues).toEqual([
      { path: "routes[0].auth", message: "[1].password: Invalid input: expected string, received undefined" },
    ]);
  });
});

// ---------------------------------------------------------------- api_key

describe("auth_failure reporting", () => {
  it("reports through waitUntil and survives a failing reporter", async () => {
    const app = new Hono<AppEnv>();
    app.onError(errorHandler(log.error));
    app.use(async (c, next) => {
      c.set("clientIp", "");
      await next();
    });
    app.use(
      authenticate({
        auth: authSchema.parse({ type: "api_key", keys: ["${API_KEY_1}"] }),
        onFailure: async () => {
          throw new Error("audit database unavailable");
        },
      }),
    );
    app.get("*", (c) => c.text("ok"));
    const errors = vi.spyOn(console, "error").mockImplementation(() => {});
    const ctx = createExecutionContext();
    const response = await app.fetch(new Request("https://gw.test/x"), SECRETS as unknown as Env, ctx);
    await waitOnExecutionContext(ctx);
    expect(response.status).toBe(401);
    expect(errors).toHaveBeenCalledWith(expect.stringContaining("auth_failure_report_failed"));
  });
});
