import { createExecutionContext, waitOnExecutionContext } from "cloudflare:test";
import { Hono, type Context } from "hono";
import * as jose from "jose";
import { afterEach, beforeAll, describe, expect, it, vi } from "vitest";
import { validateConfig } from "../../config/parse";
import type { AppEnv, Env } from "../../env";
import { handleError } from "../../gateway/error-handler";
import type { MatchedRoute } from "../../gateway/router";
import { authenticate, gatewayCredentials, identityHeaderNames, type AuthenticateOptions, type AuthFailureEvent, type JwksFetch } from ".";
import { publicKeyAlgorithms } from "./public-key";
import { authSchema, routeAuthSchema } from "./schema";

// ---------------------------------------------------------------- harness

const SECRETS: Record<string, string> = {
  API_KEY_1: "ak_live_first_0123456789abcdef",
  API_KEY_2: "ak_live_second_0123456789abcdef",
  HS_SECRET: "hs-secret-for-tests-0123456789abcdef-0123456789abcdef-0123456789",
  SHORT_SECRET: "too-short",
  ADMIN_PASSWORD: "pässwörd:with:colons",
};

type Auth = Parameters<typeof authSchema.parse>[0];
type RouteAuth = Parameters<typeof routeAuthSchema.parse>[0];

/**
 * The headers the proxy sends for this request: the client's, without the identity headers only
 * the gateway asserts, then the verified ones (proxy.ts; the real pipeline is exercised in
 * test/runtime/consumers.test.ts).
 */
function upstreamView(c: Context<AppEnv>, identityNames: readonly string[]): Record<string, string> {
  const headers = new Headers(c.req.raw.headers);
  for (const name of identityNames) headers.delete(name);
  for (const [name, value] of c.var.identityHeaders ?? []) headers.set(name, value);
  return Object.fromEntries(headers);
}

/** A tiny gateway: route id = first path segment, then `authenticate`, then an echo "upstream". */
function gateway(
  config: { auth?: Auth; routes?: Record<string, RouteAuth | undefined> },
  extra: Omit<AuthenticateOptions, "auth" | "routes" | "onFailure"> = {},
  secrets: Record<string, string> = SECRETS,
) {
  const events: AuthFailureEvent[] = [];
  const auth = config.auth === undefined ? undefined : authSchema.parse(config.auth);
  const routes = Object.entries(config.routes ?? {}).map(([id, routeAuth]) => ({
    id,
    auth: routeAuth === undefined ? undefined : routeAuthSchema.parse(routeAuth),
  }));
  const identityNames = identityHeaderNames(auth, ...routes.map((route) => route.auth));
  const app = new Hono<AppEnv>();
  app.onError(handleError);
  app.use(async (c, next) => {
    c.set("requestId", "test");
    c.set("clientIp", c.req.header("CF-Connecting-IP") ?? "");
    c.set("route", { id: new URL(c.req.url).pathname.split("/")[1]! } as MatchedRoute);
    await next();
  });
  app.use(
    authenticate({
      ...extra,
      auth,
      routes,
      onFailure: (event) => {
        events.push(event);
      },
    }),
  );
  app.all("*", (c) =>
    c.json({
      scheme: c.var.authScheme ?? null,
      consumer: c.var.consumer ?? null,
      tenant: c.var.tenant ?? null,
      jwt: c.var.jwt ?? null,
      consumerRateLimit: c.var.consumerRateLimit ?? null,
      headers: upstreamView(c, identityNames),
    }),
  );
  return {
    events,
    async fetch(path: string, init: RequestInit & { cf?: unknown } = {}): Promise<Response> {
      const ctx = createExecutionContext();
      // Only these secrets: the test environment's own (.dev.vars) must not mask an unset one.
      const response = await app.fetch(new Request(`https://gw.test${path}`, init as RequestInit), secrets as unknown as Env, ctx);
      await waitOnExecutionContext(ctx);
      return response;
    },
  };
}

type Echo = {
  scheme: string | null;
  consumer: string | null;
  tenant: string | null;
  jwt: jose.JWTPayload | null;
  consumerRateLimit: Record<string, number> | null;
  headers: Record<string, string>;
};
const echo = (response: Response) => response.json() as Promise<Echo>;

const bearer = (token: string) => ({ headers: { Authorization: `Bearer ${token}` } });
const basic = (user: string, password: string) => {
  const bytes = new TextEncoder().encode(`${user}:${password}`);
  return { headers: { Authorization: `Basic ${btoa(String.fromCharCode(...bytes))}` } };
};

afterEach(() => {
  vi.useRealTimers();
  vi.restoreAllMocks();
});

// ---------------------------------------------------------------- precedence and config

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

describe("api_key", () => {
  const twoKeys = { auth: { type: "api_key" as const, keys: ["${API_KEY_1}", "${API_KEY_2}"] } };

  it("admits each configured key and names the consumer after its variable", async () => {
    const gw = gateway(twoKeys);
    for (const name of ["API_KEY_1", "API_KEY_2"]) {
      const response = await gw.fetch("/r/x", { headers: { "x-api-key": SECRETS[name]! } });
      expect(await echo(response)).toMatchObject({ scheme: "api_key", consumer: name });
    }
  });

  it("refuses a wrong key and a missing key with 401, and never reports the key", async () => {
    const gw = gateway(twoKeys);
    const wrong = await gw.fetch("/r/x", {
      headers: { "X-API-Key": "ak_live_guess", "User-Agent": "probe/1.0", "CF-Connecting-IP": "192.0.2.9" },
    });
    expect(wrong.status).toBe(401);
    expect(wrong.headers.get("WWW-Authenticate")).toBe('ApiKey realm="loom-edge"');
    expect(await wrong.json()).toEqual({ error: "unauthorized", message: "valid credentials are required for this route" });
    expect((await gw.fetch("/r/x")).status).toBe(401);
    expect(gw.events).toEqual([
      { route: "r", scheme: "api_key", reason: "invalid_key", ip: "192.0.2.9", userAgent: "probe/1.0" },
      { route: "r", scheme: "api_key", reason: "missing_credentials", ip: "", userAgent: "" },
    ]);
    expect(JSON.stringify(gw.events)).not.toContain("ak_live_guess");
  });

  it("compares the digest with every key, without stopping at the first match", async () => {
    const spy = vi.spyOn(crypto.subtle, "timingSafeEqual");
    const gw = gateway(twoKeys);
    expect((await gw.fetch("/r/x", { headers: { "X-API-Key": SECRETS.API_KEY_1! } })).status).toBe(200);
    expect(spy).toHaveBeenCalledTimes(2);
    for (const [a, b] of spy.mock.calls) {
      expect((a as ArrayBuffer).byteLength).toBe(32); // SHA-256 digests, never the keys themselves
      expect((b as ArrayBuffer).byteLength).toBe(32);
    }
  });

  it("stops accepting a key once its reference is removed from the config (revoked)", async () => {
    const gw = gateway({ auth: { type: "api_key", keys: ["${API_KEY_2}"] } });
    expect((await gw.fetch("/r/x", { headers: { "X-API-Key": SECRETS.API_KEY_1! } })).status).toBe(401);
  });

  it("refuses a key that is valid only for another route's scheme", async () => {
    const gw = gateway({ routes: { a: { type: "api_key", keys: ["${API_KEY_1}"] }, b: { type: "api_key", keys: ["${API_KEY_2}"] } } });
    expect((await gw.fetch("/a/x", { headers: { "X-API-Key": SECRETS.API_KEY_2! } })).status).toBe(401);
    expect((await gw.fetch("/b/x", { headers: { "X-API-Key": SECRETS.API_KEY_2! } })).status).toBe(200);
  });

  it("fails closed with 500 when a key's secret is not set, whatever key is presented", async () => {
    const { API_KEY_2: _unset, ...withoutKey2 } = SECRETS;
    const gw = gateway(twoKeys, {}, withoutKey2);
    for (const key of [SECRETS.API_KEY_1!, "anything"]) {
      const response = await gw.fetch("/r/x", { headers: { "X-API-Key": key } });
      expect(response.status).toBe(500);
      expect(await response.json()).toMatchObject({ error: "secret_unavailable" });
    }
    expect(gw.events).toEqual([]);
    expect((await gw.fetch("/r/x")).status).toBe(401); // no key presented: nothing to compare
  });

  it("reads the query parameter only when configured", async () => {
    const key = encodeURIComponent(SECRETS.API_KEY_1!);
    expect((await gateway(twoKeys).fetch(`/r/x?api_key=${key}`)).status).toBe(401);
    const withQuery = gateway({ auth: { ...twoKeys.auth, query_param: "api_key" } });
    expect((await withQuery.fetch(`/r/x?api_key=${key}`)).status).toBe(200);
  });

  it("uses a configured header name, case-insensitively", async () => {
    const gw = gateway({ auth: { type: "api_key", header: "X-Gateway-Key", keys: ["${API_KEY_1}"] } });
    expect((await gw.fetch("/r/x", { headers: { "x-gateway-key": SECRETS.API_KEY_1! } })).status).toBe(200);
    expect((await gw.fetch("/r/x", { headers: { "X-API-Key": SECRETS.API_KEY_1! } })).status).toBe(401);
  });

  it("falls back to the consumer store by SHA-256 digest, and sets consumer and tenant", async () => {
    const stored = "ck_consumer_key_0123456789";
    const digest = [...new Uint8Array(await crypto.subtle.digest("SHA-256", new TextEncoder().encode(stored)))]
      .map((b) => b.toString(16).padStart(2, "0"))
      .join("");
    const lookups: string[] = [];
    const gw = gateway(twoKeys, {
      lookupKeyHash: async (hash) => {
        lookups.push(hash);
        return hash === digest ? { consumer: "acme-app", tenant: "acme" } : undefined;
      },
    });
    expect(await echo(await gw.fetch("/r/x", { headers: { "X-API-Key": stored } }))).toMatchObject({
      scheme: "api_key",
      consumer: "acme-app",
      tenant: "acme",
    });
    expect((await gw.fetch("/r/x", { headers: { "X-API-Key": "ck_unknown" } })).status).toBe(401);
    expect(lookups[0]).toBe(digest);
    expect(lookups).toHaveLength(2);
  });

  it("hands the lookup the request's env, and fails closed when it throws", async () => {
    let seen: unknown;
    const gw = gateway(twoKeys, {
      lookupKeyHash: async (_hash, env) => {
        seen = env;
        throw new Error("D1 down");
      },
    });
    vi.spyOn(console, "error").mockImplementation(() => {});
    expect((await gw.fetch("/r/x", { headers: { "X-API-Key": "ck_any" } })).status).toBe(500);
    expect(seen).toMatchObject({ API_KEY_1: SECRETS.API_KEY_1 });
  });

  it("exposes a stored consumer's rate limit and confines it to its allowed routes (403, reported)", async () => {
    const gw = gateway(
      { auth: twoKeys.auth, routes: { orders: undefined, billing: undefined, open: "none" } },
      {
        lookupKeyHash: async () => ({
          consumer: "narrow",
          tenant: "t",
          allowedRoutes: ["orders"],
          rateLimit: { requests_per_second: 2, burst: 4 },
        }),
      },
    );
    const key = { headers: { "X-API-Key": "ck_narrow", "CF-Connecting-IP": "192.0.2.7" } };
    expect(await echo(await gw.fetch("/orders/1", key))).toMatchObject({
      consumer: "narrow",
      consumerRateLimit: { requests_per_second: 2, burst: 4 },
    });
    const refused = await gw.fetch("/billing/1", key);
    expect(refused.status).toBe(403);
    expect(await refused.json()).toMatchObject({ error: "route_not_allowed" });
    expect(refused.headers.get("WWW-Authenticate")).toBeNull();
    expect((await gw.fetch("/open/1", key)).status).toBe(200);
    expect(gw.events).toEqual([{ route: "billing", scheme: "api_key", reason: "route_not_allowed", ip: "192.0.2.7", userAgent: "" }]);
  });

  it("sets no rate limit and no restriction for configured keys", async () => {
    const gw = gateway({ auth: twoKeys.auth, routes: { any: undefined } });
    expect(await echo(await gw.fetch("/any/x", { headers: { "X-API-Key": SECRETS.API_KEY_1! } }))).toMatchObject({
      consumer: "API_KEY_1",
      consumerRateLimit: null,
    });
  });

  it("passes consumer and tenant upstream in consumer_headers, removing client copies on every route", async () => {
    const auth = { ...twoKeys.auth, consumer_headers: { consumer: "X-Consumer-Id", tenant: "X-Tenant-Id" } };
    const gw = gateway({ auth, routes: { open: "none" } }, { lookupKeyHash: async () => ({ consumer: "acme-app", tenant: "acme" }) });
    const forged = { "X-Consumer-Id": "root", "X-Tenant-Id": "other" };
    const stored = await echo(await gw.fetch("/r/x", { headers: { "X-API-Key": "ck_stored", ...forged } }));
    expect(stored.headers).toMatchObject({ "x-consumer-id": "acme-app", "x-tenant-id": "acme" });
    const configured = await echo(await gw.fetch("/r/x", { headers: { "X-API-Key": SECRETS.API_KEY_2!, ...forged } }));
    expect(configured.headers["x-consumer-id"]).toBe("API_KEY_2");
    expect(configured.headers).not.toHaveProperty("x-tenant-id");
    const open = await echo(await gw.fetch("/open/x", { headers: forged }));
    expect(open.headers).not.toHaveProperty("x-consumer-id");
    expect(open.headers).not.toHaveProperty("x-tenant-id");
  });

  it.each([
    [{ consumer: "X-Who", tenant: "x-who" }, "consumer_headers.tenant"],
    [{ consumer: "X-API-Key" }, "consumer_headers.consumer"],
    [{ tenant: "X-Forwarded-User" }, "consumer_headers.tenant"],
    [{ consumer: "Authorization" }, "consumer_headers.consumer"],
    [{ user: "X-User" }, "consumer_headers"],
  ])("refuses consumer_headers %j", (consumerHeaders, path) => {
    const result = authSchema.safeParse({ type: "api_key", keys: ["${API_KEY_1}"], consumer_headers: consumerHeaders });
    expect(result.success).toBe(false);
    expect(result.error!.issues.map((issue) => issue.path.join("."))).toContain(path);
  });
});

// ---------------------------------------------------------------- basic

describe("basic", () => {
  const config = { auth: { type: "basic" as const, username: "admin", password: "${ADMIN_PASSWORD}" } };

  it("admits the user-id and UTF-8 password, with any case of the scheme name", async () => {
    const gw = gateway(config);
    expect(await echo(await gw.fetch("/r/x", basic("admin", SECRETS.ADMIN_PASSWORD!)))).toMatchObject({
      scheme: "basic",
      consumer: "admin",
    });
    const lower = basic("admin", SECRETS.ADMIN_PASSWORD!).headers.Authorization.replace("Basic", "basic");
    expect((await gw.fetch("/r/x", { headers: { Authorization: lower } })).status).toBe(200);
  });

  it.each([
    ["a wrong password", basic("admin", "password").headers.Authorization, "invalid_credentials"],
    ["a wrong user-id", basic("root", SECRETS.ADMIN_PASSWORD!).headers.Authorization, "invalid_credentials"],
    ["no colon", `Basic ${btoa("admin")}`, "malformed_credentials"],
    ["bad base64", "Basic !!!!", "malformed_credentials"],
    ["not UTF-8", `Basic ${btoa("admin:\xff\xfe")}`, "malformed_credentials"],
    ["a bearer token", "Bearer abc", "missing_credentials"],
  ])("refuses %s with the RFC 7617 challenge", async (_name, authorization, reason) => {
    const gw = gateway(config);
    const response = await gw.fetch("/r/x", { headers: { Authorization: authorization } });
    expect(response.status).toBe(401);
    expect(response.headers.get("WWW-Authenticate")).toBe('Basic realm="loom-edge", charset="UTF-8"');
    expect(gw.events[0]!.reason).toBe(reason);
  });

  it("fails closed with 500 when the password secret is not set", async () => {
    const { ADMIN_PASSWORD: _unset, ...rest } = SECRETS;
    expect((await gateway(config, {}, rest).fetch("/r/x", basic("admin", ""))).status).toBe(500);
  });
});

// ---------------------------------------------------------------- mtls

describe("mtls", () => {
  const FINGERPRINT = "ab".repeat(32);
  const verified = {
    certPresented: "1",
    certVerified: "SUCCESS",
    certRevoked: "0",
    certSubjectDN: "CN=client-1,O=Acme",
    certSubjectDNRFC2253: "CN=client-1,O=Acme",
    certFingerprintSHA256: FINGERPRINT,
  };
  const placeholder = {
    certPresented: "0",
    certVerified: "NONE",
    certRevoked: "0",
    certSubjectDN: "",
    certSubjectDNRFC2253: "",
    certFingerprintSHA256: "",
  };
  const config = { auth: { type: "mtls" as const, subject_header: "X-Client-Subject", fingerprint_header: "X-Client-Fingerprint" } };

  it.each([
    ["no cf object", undefined, "cert_not_presented"],
    ["no tlsClientAuth", { tlsVersion: "TLSv1.3" }, "cert_not_presented"],
    ["no certificate (placeholder values)", { tlsClientAuth: placeholder }, "cert_not_presented"],
    [
      "a certificate that failed verification",
      { tlsClientAuth: { ...verified, certVerified: "FAILED:self signed certificate" } },
      "cert_not_verified",
    ],
    ["an expired certificate", { tlsClientAuth: { ...verified, certVerified: "FAILED:certificate has expired" } }, "cert_not_verified"],
    ["a revoked certificate", { tlsClientAuth: { ...verified, certRevoked: "1" } }, "cert_revoked"],
    ["a revocation status that is missing", { tlsClientAuth: { ...verified, certRevoked: undefined } }, "cert_revoked"],
  ])("refuses %s with 403", async (_name, cf, reason) => {
    const gw = gateway(config);
    const response = await gw.fetch("/r/x", { cf });
    expect(response.status).toBe(403);
    expect(response.headers.get("WWW-Authenticate")).toBeNull();
    expect(await response.json()).toMatchObject({ error: "client_certificate_required" });
    expect(gw.events).toEqual([expect.objectContaining({ scheme: "mtls", reason })]);
  });

  it("admits a verified, unrevoked certificate and passes subject and fingerprint upstream, replacing client copies", async () => {
    const gw = gateway(config);
    const response = await gw.fetch("/r/x", {
      cf: { tlsClientAuth: verified },
      headers: { "X-Client-Subject": "CN=admin", "X-Client-Fingerprint": "forged" },
    });
    expect(response.status).toBe(200);
    const body = await echo(response);
    expect(body.scheme).toBe("mtls");
    expect(body.headers["x-client-subject"]).toBe("CN=client-1,O=Acme");
    expect(body.headers["x-client-fingerprint"]).toBe(FINGERPRINT);
  });

  it("percent-encodes a subject that is not printable ASCII", async () => {
    const gw = gateway(config);
    const cf = { tlsClientAuth: { ...verified, certSubjectDNRFC2253: "CN=Zoë,O=100%" } };
    expect((await echo(await gw.fetch("/r/x", { cf }))).headers["x-client-subject"]).toBe("CN=Zo%C3%AB,O=100%25");
  });

  it("checks the fingerprint allow-list (colon-separated, any case in the config)", async () => {
    const listed = gateway({ auth: { type: "mtls", fingerprints: [FINGERPRINT.toUpperCase().match(/../g)!.join(":")] } });
    expect((await listed.fetch("/r/x", { cf: { tlsClientAuth: verified } })).status).toBe(200);
    const other = gateway({ auth: { type: "mtls", fingerprints: ["cd".repeat(32)] } });
    expect((await other.fetch("/r/x", { cf: { tlsClientAuth: verified } })).status).toBe(403);
    expect(other.events[0]!.reason).toBe("cert_not_allowed");
  });

  it("removes client copies of identity headers on every route, those without auth included", async () => {
    const gw = gateway({ routes: { m: config.auth, open: "none" } });
    const body = await echo(await gw.fetch("/open/x", { headers: { "X-Client-Subject": "CN=admin", "X-Other": "kept" } }));
    expect(body.headers["x-client-subject"]).toBeUndefined();
    expect(body.headers["x-other"]).toBe("kept");
  });

  it("answers 401 with the other schemes' challenges when mTLS is one of several", async () => {
    const gw = gateway({ routes: { r: [{ type: "mtls" }, { type: "api_key", keys: ["${API_KEY_1}"] }] } });
    expect((await gw.fetch("/r/x", { headers: { "X-API-Key": SECRETS.API_KEY_1! } })).status).toBe(200);
    expect((await gw.fetch("/r/x", { cf: { tlsClientAuth: verified } })).status).toBe(200);
    const refused = await gw.fetch("/r/x");
    expect(refused.status).toBe(401);
    expect(refused.headers.get("WWW-Authenticate")).toBe('ApiKey realm="loom-edge"');
  });
});

// ---------------------------------------------------------------- jwt

const ISSUER = "https://id.test/";
const AUDIENCE = "api://loom";
const JWKS_URI = "https://id.test/.well-known/jwks.json";
const ASYMMETRIC = ["RS256", "PS256", "ES256", "ES384", "EdDSA"] as const;
type Asymmetric = (typeof ASYMMETRIC)[number];

const keys = {} as Record<Asymmetric, CryptoKeyPair>;
let jwks: jose.JSONWebKeySet;
let rsaPem: string;
let attacker: CryptoKeyPair;

beforeAll(async () => {
  for (const alg of ASYMMETRIC) keys[alg] = await jose.generateKeyPair(alg, { extractable: true });
  jwks = {
    keys: await Promise.all(
      ASYMMETRIC.map(async (alg) => ({ ...(await jose.exportJWK(keys[alg].publicKey)), kid: `key-${alg}`, alg, use: "sig" })),
    ),
  };
  rsaPem = await jose.exportSPKI(keys.RS256.publicKey);
  attacker = await jose.generateKeyPair("RS256", { extractable: true });
});

const hmacKey = (secret = SECRETS.HS_SECRET!) => new TextEncoder().encode(secret);

function claims(extra: jose.JWTPayload = {}): jose.JWTPayload {
  const now = Math.floor(Date.now() / 1000);
  return { sub: "user-1", iss: ISSUER, aud: AUDIENCE, iat: now, exp: now + 300, ...extra };
}

async function sign(
  alg: string,
  key: CryptoKey | Uint8Array,
  payload = claims(),
  header: jose.JWTHeaderParameters | Record<string, unknown> = {},
): Promise<string> {
  return new jose.SignJWT(payload).setProtectedHeader({ alg, kid: `key-${alg}`, ...header } as jose.JWTHeaderParameters).sign(key);
}

const b64url = (value: unknown) => jose.base64url.encode(typeof value === "string" ? value : JSON.stringify(value));

/** An HS256 token built by hand, for headers jose refuses to sign. */
async function handmadeHs256(header: Record<string, unknown>, payload: jose.JWTPayload = claims()): Promise<string> {
  const input = `${b64url(header)}.${b64url(payload)}`;
  const key = await crypto.subtle.importKey("raw", hmacKey(), { name: "HMAC", hash: "SHA-256" }, false, ["sign"]);
  const signature = new Uint8Array(await crypto.subtle.sign("HMAC", key, new TextEncoder().encode(input)));
  return `${input}.${jose.base64url.encode(signature)}`;
}

/** A JWKS endpoint the test controls. */
function identityProvider() {
  const state = {
    jwks: undefined as jose.JSONWebKeySet | undefined,
    mode: "up" as "up" | "down" | "unreachable" | "slow" | "garbage",
    calls: [] as string[],
  };
  const fetchJwks: JwksFetch = async (url, init) => {
    state.calls.push(url);
    switch (state.mode) {
      case "down":
        return new Response("maintenance", { status: 503 });
      case "unreachable":
        throw new TypeError("Network connection lost.");
      case "garbage":
        return new Response("<html>", { status: 200 });
      case "slow":
        return new Promise<Response>((_, reject) => init.signal!.addEventListener("abort", () => reject(init.signal!.reason)));
      case "up":
        return Response.json(state.jwks ?? jwks);
    }
  };
  return { state, fetchJwks };
}

const jwksAuth = {
  type: "jwt" as const,
  jwks_uri: JWKS_URI,
  algorithms: [...ASYMMETRIC],
  issuer: ISSUER,
  audience: AUDIENCE,
  required_claims: ["sub"],
  jwks_timeout: "100ms",
};
const hmacAuth = { type: "jwt" as const, secret: "${HS_SECRET}", algorithms: ["HS256" as const, "HS384" as const, "HS512" as const] };
const pemAuth = { type: "jwt" as const, public_key: "${JWT_PUBLIC_KEY}", algorithms: ["RS256" as const] };

function jwksGateway(auth: Auth = jwksAuth) {
  const idp = identityProvider();
  return { idp, gw: gateway({ auth }, { fetchJwks: idp.fetchJwks }) };
}

const pemGateway = (auth: Auth = pemAuth) => gateway({ auth }, {}, { ...SECRETS, JWT_PUBLIC_KEY: rsaPem });

/** Every refusal of a presented token looks the same to the client. */
async function expectInvalidToken(response: Response) {
  expect(response.status).toBe(401);
  expect(response.headers.get("WWW-Authenticate")).toBe('Bearer realm="loom-edge", error="invalid_token"');
  expect(await response.json()).toEqual({ error: "unauthorized", message: "valid credentials are required for this route" });
}

describe("jwt: valid tokens", () => {
  it.each(ASYMMETRIC)("admits %s via the JWKS and exposes the claims", async (alg) => {
    const { gw, idp } = jwksGateway();
    const response = await gw.fetch("/r/x", bearer(await sign(alg, keys[alg].privateKey)));
    expect(response.status).toBe(200);
    expect(await echo(response)).toMatchObject({ scheme: "jwt", jwt: { sub: "user-1", iss: ISSUER } });
    expect(idp.state.calls).toEqual([JWKS_URI]);
  });

  it.each(["HS256", "HS384", "HS512"])("admits %s with the secret", async (alg) => {
    expect((await gateway({ auth: hmacAuth }).fetch("/r/x", bearer(await sign(alg, hmacKey())))).status).toBe(200);
  });

  it.each(["RS256", "PS256"] as const)("admits %s with a PEM public key", async (alg) => {
    const gw = pemGateway({ ...pemAuth, algorithms: ["RS256", "PS256"] });
    const { privateKey } =
      alg === "RS256"
        ? keys.RS256
        : await (async () => {
            // PS256 with the same RSA key pair: re-import the RS256 private key for RSA-PSS.
            const pkcs8 = await jose.exportPKCS8(keys.RS256.privateKey);
            return { privateKey: await jose.importPKCS8(pkcs8, "PS256") };
          })();
    expect((await gw.fetch("/r/x", bearer(await sign(alg, privateKey)))).status).toBe(200);
  });

  it("admits ES256 and EdDSA PEM keys, each only for its own algorithm", async () => {
    for (const alg of ["ES256", "EdDSA"] as const) {
      const pem = await jose.exportSPKI(keys[alg].publicKey);
      const gw = gateway(
        { auth: { type: "jwt", public_key: "${JWT_PUBLIC_KEY}", algorithms: ["ES256", "EdDSA", "RS256"] } },
        {},
        { ...SECRETS, JWT_PUBLIC_KEY: pem },
      );
      expect((await gw.fetch("/r/x", bearer(await sign(alg, keys[alg].privateKey)))).status).toBe(200);
    }
  });

  it("accepts the Bearer scheme name in any case", async () => {
    const gw = gateway({ auth: hmacAuth });
    const token = await sign("HS256", hmacKey());
    for (const scheme of ["bearer", "BEARER", "bEaReR"]) {
      expect((await gw.fetch("/r/x", { headers: { Authorization: `${scheme} ${token}` } })).status).toBe(200);
    }
  });

  it("tolerates clock skew within clock_tolerance", async () => {
    const now = Math.floor(Date.now() / 1000);
    const gw = gateway({ auth: hmacAuth });
    expect(
      (await gw.fetch("/r/x", bearer(await sign("HS256", hmacKey(), claims({ exp: now - 10, nbf: now + 10, iat: now + 10 }))))).status,
    ).toBe(200);
  });

  it("reads a token from the query only where the route allows it", async () => {
    const token = await sign("HS256", hmacKey());
    const gw = gateway({ auth: hmacAuth, routes: { ws: { ...hmacAuth, query_param: "access_token" } } });
    expect((await gw.fetch(`/ws/x?access_token=${token}`)).status).toBe(200);
    const elsewhere = await gw.fetch(`/api/x?access_token=${token}`);
    expect(elsewhere.status).toBe(401);
    expect(elsewhere.headers.get("WWW-Authenticate")).toBe('Bearer realm="loom-edge"');
  });

  it("passes configured claims upstream and removes client copies", async () => {
    const gw = gateway({ auth: { ...hmacAuth, claim_headers: { sub: "X-User-Id", admin: "X-User-Admin", roles: "X-User-Roles" } } });
    const token = await sign("HS256", hmacKey(), claims({ admin: false, roles: ["a"] }));
    const body = await echo(await gw.fetch("/r/x", { headers: { Authorization: `Bearer ${token}`, "X-User-Roles": "admin" } }));
    expect(body.headers["x-user-id"]).toBe("user-1");
    expect(body.headers["x-user-admin"]).toBe("false");
    expect(body.headers["x-user-roles"]).toBeUndefined(); // not a scalar claim: not passed, and the forged copy is gone
  });

  it("reads a bare token from a custom header", async () => {
    const gw = gateway({ auth: { ...hmacAuth, header: "X-Token" } });
    expect((await gw.fetch("/r/x", { headers: { "X-Token": await sign("HS256", hmacKey()) } })).status).toBe(200);
  });
});

describe("jwt: missing token", () => {
  it.each([
    ["no Authorization header", {}],
    ["another scheme in Authorization", basic("user", "pass")],
  ])("answers %s with a bare Bearer challenge (RFC 6750 §3.1)", async (_name, init) => {
    const gw = gateway({ auth: hmacAuth });
    const response = await gw.fetch("/r/x", init);
    expect(response.status).toBe(401);
    expect(response.headers.get("WWW-Authenticate")).toBe('Bearer realm="loom-edge"');
    expect(gw.events[0]!.reason).toBe("missing_credentials");
  });
});

describe("jwt: the attack suite", () => {
  it("refuses alg: none, signed or not", async () => {
    const { gw } = jwksGateway();
    const unsecured = `${b64url({ alg: "none", typ: "JWT" })}.${b64url(claims())}.`;
    await expectInvalidToken(await gw.fetch("/r/x", bearer(unsecured)));
    await expectInvalidToken(await gw.fetch("/r/x", bearer(`${unsecured}c2lnbmF0dXJl`)));
    for (const alg of ["none", "None", "NONE"]) {
      await expectInvalidToken(await gw.fetch("/r/x", bearer(`${b64url({ alg })}.${b64url(claims())}.AAAA`)));
    }
    expect(gw.events.map((event) => event.reason)).toEqual([
      "malformed_token",
      "algorithm_not_allowed",
      "algorithm_not_allowed",
      "algorithm_not_allowed",
      "algorithm_not_allowed",
    ]);
  });

  it("refuses HS256 signed with the RS256 public key (algorithm confusion)", async () => {
    const forged = await sign("HS256", new TextEncoder().encode(rsaPem));
    // RS256 only: HS256 is not on the allow-list.
    await expectInvalidToken(await pemGateway().fetch("/r/x", bearer(forged)));
    // HS256 and RS256 both allowed: an HS token is checked with `secret`, never with the public key.
    const both = pemGateway({ type: "jwt", secret: "${HS_SECRET}", public_key: "${JWT_PUBLIC_KEY}", algorithms: ["HS256", "RS256"] });
    await expectInvalidToken(await both.fetch("/r/x", bearer(forged)));
    const jwkSecret = await sign("HS256", new TextEncoder().encode(JSON.stringify(jwks.keys[0])));
    await expectInvalidToken(await both.fetch("/r/x", bearer(jwkSecret)));
    expect(both.events.map((event) => event.reason)).toEqual(["bad_signature", "bad_signature"]);
    // And the JWKS never serves a symmetric key, whatever it contains.
    const { gw, idp } = jwksGateway({ ...jwksAuth, secret: "${HS_SECRET}", algorithms: ["HS256", "RS256"] });
    idp.state.jwks = { keys: [{ kty: "oct", k: jose.base64url.encode(new TextEncoder().encode(rsaPem)), kid: "key-HS256" }] };
    await expectInvalidToken(await gw.fetch("/r/x", bearer(forged)));
  });

  it("refuses a public key used for an algorithm of another key type", async () => {
    const gw = pemGateway({ type: "jwt", public_key: "${JWT_PUBLIC_KEY}", algorithms: ["RS256", "EdDSA", "ES256"] });
    await expectInvalidToken(await gw.fetch("/r/x", bearer(await sign("EdDSA", keys.EdDSA.privateKey))));
    await expectInvalidToken(await gw.fetch("/r/x", bearer(await sign("ES256", keys.ES256.privateKey))));
    expect(gw.events.map((event) => event.reason)).toEqual(["key_type_mismatch", "key_type_mismatch"]);
  });

  it("refuses an unknown kid, refreshing the JWKS at most once per cooldown", async () => {
    const { gw, idp } = jwksGateway();
    await expectInvalidToken(await gw.fetch("/r/x", bearer(await sign("RS256", attacker.privateKey, claims(), { kid: "key-unknown" }))));
    await expectInvalidToken(await gw.fetch("/r/x", bearer(await sign("RS256", attacker.privateKey, claims(), { kid: "key-unknown-2" }))));
    expect(idp.state.calls).toHaveLength(1); // the first download; the unknown kids come within the cooldown
    expect(gw.events.map((event) => event.reason)).toEqual(["unknown_key", "unknown_key"]);
  });

  it.each([
    "../../../../../../dev/null",
    "/etc/passwd",
    "key-RS256/../key-RS256",
    "key-RS256\u0000",
    "key-RS256' OR '1'='1",
    "https://evil.test/key",
    "",
  ])("refuses kid %j (path and injection tricks)", async (kid) => {
    const { gw, idp } = jwksGateway();
    await expectInvalidToken(await gw.fetch("/r/x", bearer(await sign("RS256", attacker.privateKey, claims(), { kid }))));
    expect(idp.state.calls.every((url) => url === JWKS_URI)).toBe(true);
  });

  it("refuses a token that brings its own key (jwk, jku, x5u) and never fetches those URLs", async () => {
    const { gw, idp } = jwksGateway();
    const jwk = await jose.exportJWK(attacker.publicKey);
    for (const header of [
      { jwk },
      { jku: "https://evil.test/jwks.json" },
      { x5u: "https://evil.test/cert.pem" },
      { jwk, kid: "key-RS256" },
    ]) {
      await expectInvalidToken(await gw.fetch("/r/x", bearer(await sign("RS256", attacker.privateKey, claims(), header))));
    }
    expect(idp.state.calls.every((url) => url === JWKS_URI)).toBe(true);
  });

  it.each([
    ["expired", { exp: -3600 }, "expired"],
    ["not yet valid", { nbf: 3600 }, "not_yet_valid"],
    ["issued in the future", { iat: 3600 }, "issued_in_future"],
    ["a non-numeric exp", { exp: "tomorrow" }, "claim_mismatch:exp"],
  ])("refuses a token that is %s", async (_name, offsets, reason) => {
    const now = Math.floor(Date.now() / 1000);
    const payload = claims(
      Object.fromEntries(Object.entries(offsets).map(([claim, value]) => [claim, typeof value === "number" ? now + value : value])),
    );
    const { gw } = jwksGateway();
    await expectInvalidToken(await gw.fetch("/r/x", bearer(await sign("ES256", keys.ES256.privateKey, payload))));
    expect(gw.events[0]!.reason).toBe(reason);
  });

  it.each([
    ["a wrong issuer", { iss: "https://evil.test/" }, "claim_mismatch:iss"],
    ["a wrong audience", { aud: "api://other" }, "claim_mismatch:aud"],
    ["no audience", { aud: undefined }, "missing_claim"],
    ["a missing required claim", { sub: undefined }, "missing_claim"],
  ])("refuses %s", async (_name, extra, reason) => {
    const { gw } = jwksGateway();
    await expectInvalidToken(await gw.fetch("/r/x", bearer(await sign("ES256", keys.ES256.privateKey, claims(extra)))));
    expect(gw.events[0]!.reason).toBe(reason);
  });

  it("refuses a tampered payload", async () => {
    const { gw } = jwksGateway();
    const [header, , signature] = (await sign("RS256", keys.RS256.privateKey)).split(".");
    await expectInvalidToken(await gw.fetch("/r/x", bearer(`${header}.${b64url(claims({ sub: "admin" }))}.${signature}`)));
    expect(gw.events[0]!.reason).toBe("bad_signature");
  });

  it("refuses truncated tokens", async () => {
    const { gw } = jwksGateway();
    const token = await sign("ES256", keys.ES256.privateKey);
    for (const truncated of [
      token.slice(0, -4),
      token.slice(0, token.lastIndexOf(".")),
      token.slice(0, token.lastIndexOf(".") + 1),
      token.split(".")[0]!,
    ]) {
      await expectInvalidToken(await gw.fetch("/r/x", bearer(truncated)));
    }
  });

  it("refuses an oversized token before parsing it", async () => {
    const { gw, idp } = jwksGateway({ ...jwksAuth, max_token_size: "1KB" });
    const token = await sign("ES256", keys.ES256.privateKey, claims({ padding: "x".repeat(2000) }));
    await expectInvalidToken(await gw.fetch("/r/x", bearer(token)));
    expect(gw.events[0]!.reason).toBe("token_too_large");
    expect(idp.state.calls).toEqual([]);
  });

  it("refuses critical header parameters it does not understand, b64 included", async () => {
    const gw = gateway({ auth: hmacAuth });
    await expectInvalidToken(await gw.fetch("/r/x", bearer(await handmadeHs256({ alg: "HS256", crit: ["exp"], exp: 1 }))));
    await expectInvalidToken(
      await gw.fetch("/r/x", bearer(await handmadeHs256({ alg: "HS256", crit: ["x-policy"], "x-policy": "skip-checks" }))),
    );
    await expectInvalidToken(await gw.fetch("/r/x", bearer(await handmadeHs256({ alg: "HS256", crit: ["b64"], b64: false }))));
    // The same hand-made token without `crit` passes: the refusals above are about `crit`.
    expect((await gw.fetch("/r/x", bearer(await handmadeHs256({ alg: "HS256" })))).status).toBe(200);
  });

  it("refuses a JWE where a JWS is expected", async () => {
    const gw = gateway({ auth: hmacAuth });
    const jwe = await new jose.EncryptJWT(claims()).setProtectedHeader({ alg: "dir", enc: "A256GCM" }).encrypt(hmacKey().slice(0, 32));
    await expectInvalidToken(await gw.fetch("/r/x", bearer(jwe)));
    const rsaJwe = await new jose.EncryptJWT(claims())
      .setProtectedHeader({ alg: "RSA-OAEP-256", enc: "A128GCM" })
      .encrypt((await jose.generateKeyPair("RSA-OAEP-256")).publicKey);
    await expectInvalidToken(await gw.fetch("/r/x", bearer(rsaJwe)));
    expect(gw.events.map((event) => event.reason)).toEqual(["encrypted_token", "encrypted_token"]);
  });

  it("refuses garbage in every part", async () => {
    const gw = gateway({ auth: hmacAuth });
    for (const token of [
      "a.b.c",
      "e30.e30.e30",
      `${b64url({ alg: "HS256" })}.bm90IGpzb24.AAAA`,
      "Bearer",
      "....",
      "a b c",
      `${b64url("[]")}.${b64url(claims())}.AAAA`,
    ]) {
      await expectInvalidToken(await gw.fetch("/r/x", bearer(token)));
    }
  });

  it("never reports the token itself", async () => {
    const { gw } = jwksGateway();
    const token = await sign("RS256", attacker.privateKey);
    await gw.fetch("/r/x", bearer(token));
    const reported = JSON.stringify(gw.events);
    for (const part of token.split(".")) expect(reported).not.toContain(part);
  });
});

describe("jwt: secrets", () => {
  it("fails closed with 500 when the HMAC secret or the public key is not set", async () => {
    const token = await sign("HS256", hmacKey());
    const { HS_SECRET: _unset, ...rest } = SECRETS;
    expect((await gateway({ auth: hmacAuth }, {}, rest).fetch("/r/x", bearer(token))).status).toBe(500);
    expect((await gateway({ auth: pemAuth }).fetch("/r/x", bearer(await sign("RS256", keys.RS256.privateKey)))).status).toBe(500);
  });

  it("refuses to use an HMAC secret shorter than the hash (RFC 7518 §3.2)", async () => {
    const gw = gateway({ auth: { type: "jwt", secret: "${SHORT_SECRET}", algorithms: ["HS256"] } });
    const response = await gw.fetch("/r/x", bearer(await sign("HS256", hmacKey(SECRETS.SHORT_SECRET))));
    expect(response.status).toBe(500);
    expect(await response.json()).toMatchObject({ error: "secret_unavailable" });
  });

  it("fails closed with 500 when the public key is not a PEM public key", async () => {
    const gw = gateway(
      { auth: pemAuth },
      {},
      { ...SECRETS, JWT_PUBLIC_KEY: "-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----" },
    );
    expect((await gw.fetch("/r/x", bearer(await sign("RS256", keys.RS256.privateKey)))).status).toBe(500);
  });

  it("tells key types apart from the SPKI itself", async () => {
    expect(publicKeyAlgorithms(rsaPem)).toEqual(["RS256", "RS384", "RS512", "PS256", "PS384", "PS512"]);
    expect(publicKeyAlgorithms(await jose.exportSPKI(keys.ES384.publicKey))).toEqual(["ES384"]);
    expect(publicKeyAlgorithms(await jose.exportSPKI(keys.EdDSA.publicKey))).toEqual(["EdDSA"]);
    expect(() => publicKeyAlgorithms("not a pem")).toThrow(TypeError);
  });
});

describe("jwt: the JWKS endpoint", () => {
  it.each(["down", "unreachable", "garbage", "slow"] as const)(
    "refuses tokens (401) while the JWKS is %s and nothing is cached",
    async (mode) => {
      const { gw, idp } = jwksGateway();
      idp.state.mode = mode;
      await expectInvalidToken(await gw.fetch("/r/x", bearer(await sign("RS256", keys.RS256.privateKey))));
      expect(gw.events[0]!.reason).toBe("jwks_unavailable");
      // No new download within the cooldown: a dead endpoint is not hammered, and requests do not wait on it.
      await expectInvalidToken(await gw.fetch("/r/x", bearer(await sign("RS256", keys.RS256.privateKey))));
      expect(idp.state.calls).toHaveLength(1);
    },
  );

  it("recovers after the cooldown once the JWKS is back", async () => {
    const { gw, idp } = jwksGateway();
    idp.state.mode = "down";
    expect((await gw.fetch("/r/x", bearer(await sign("RS256", keys.RS256.privateKey)))).status).toBe(401);
    idp.state.mode = "up";
    vi.setSystemTime(Date.now() + 31_000);
    expect((await gw.fetch("/r/x", bearer(await sign("RS256", keys.RS256.privateKey)))).status).toBe(200);
    expect(idp.state.calls).toHaveLength(2);
  });

  it("keeps serving cached keys through an outage after they expire", async () => {
    const { gw, idp } = jwksGateway();
    expect((await gw.fetch("/r/x", bearer(await sign("ES256", keys.ES256.privateKey)))).status).toBe(200);
    for (const mode of ["down", "slow", "unreachable"] as const) {
      idp.state.mode = mode;
      vi.setSystemTime(Date.now() + 11 * 60_000); // past the 10m cache age
      expect((await gw.fetch("/r/x", bearer(await sign("ES256", keys.ES256.privateKey)))).status).toBe(200);
      expect((await gw.fetch("/r/x", bearer(await sign("EdDSA", keys.EdDSA.privateKey)))).status).toBe(200);
    }
    expect(idp.state.calls).toHaveLength(4); // one attempt per expiry, none for the second request
  });

  it("picks up a rotated key by its new kid, at most once per cooldown", async () => {
    const { gw, idp } = jwksGateway();
    expect((await gw.fetch("/r/x", bearer(await sign("RS256", keys.RS256.privateKey)))).status).toBe(200);
    const rotated = await jose.generateKeyPair("RS256", { extractable: true });
    idp.state.jwks = { keys: [...jwks.keys, { ...(await jose.exportJWK(rotated.publicKey)), kid: "key-2026", alg: "RS256" }] };
    const token = await sign("RS256", rotated.privateKey, claims(), { kid: "key-2026" });
    expect((await gw.fetch("/r/x", bearer(token))).status).toBe(401); // within the cooldown of the first download
    vi.setSystemTime(Date.now() + 31_000);
    expect((await gw.fetch("/r/x", bearer(token))).status).toBe(200);
    expect(idp.state.calls).toHaveLength(2);
  });

  it("drops a key removed from the JWKS once the cache expires", async () => {
    const { gw, idp } = jwksGateway();
    expect((await gw.fetch("/r/x", bearer(await sign("PS256", keys.PS256.privateKey)))).status).toBe(200);
    idp.state.jwks = { keys: jwks.keys.filter((key) => key.kid !== "key-PS256") };
    vi.setSystemTime(Date.now() + 11 * 60_000);
    await expectInvalidToken(await gw.fetch("/r/x", bearer(await sign("PS256", keys.PS256.privateKey))));
  });

  it("refuses a JWKS larger than 256 KiB", async () => {
    const { gw, idp } = jwksGateway();
    idp.state.jwks = { keys: [...jwks.keys, ...Array.from({ length: 800 }, (_, i) => ({ ...jwks.keys[0]!, kid: `filler-${i}` }))] };
    await expectInvalidToken(await gw.fetch("/r/x", bearer(await sign("RS256", keys.RS256.privateKey))));
    expect(gw.events[0]!.reason).toBe("jwks_unavailable");
  });

  it("shares one cache between the routes that name the same JWKS", async () => {
    const idp = identityProvider();
    const gw = gateway({ auth: jwksAuth, routes: { a: jwksAuth, b: [jwksAuth] } }, { fetchJwks: idp.fetchJwks });
    for (const route of ["a", "b", "c"])
      expect((await gw.fetch(`/${route}/x`, bearer(await sign("ES384", keys.ES384.privateKey)))).status).toBe(200);
    expect(idp.state.calls).toHaveLength(1);
  });
});

describe("jwt: verified tokens kept per scheme", () => {
  it("verifies the signature of a repeated token once", async () => {
    const { gw } = jwksGateway();
    const token = await sign("ES256", keys.ES256.privateKey);
    const verify = vi.spyOn(crypto.subtle, "verify");
    for (let i = 0; i < 3; i++) expect((await gw.fetch("/r/x", bearer(token))).status).toBe(200);
    expect(verify).toHaveBeenCalledTimes(1);
    const body = await echo(await gw.fetch("/r/x", bearer(token)));
    expect(body.jwt).toMatchObject({ sub: "user-1", iss: ISSUER });
  });

  it("refuses a kept token once it has expired", async () => {
    const gw = gateway({ auth: hmacAuth });
    const now = Math.floor(Date.now() / 1000);
    const token = await sign("HS256", hmacKey(), claims({ exp: now + 5 }));
    expect((await gw.fetch("/r/x", bearer(token))).status).toBe(200);
    vi.setSystemTime((now + 5 + 29) * 1000); // still within the 30 s clock_tolerance
    expect((await gw.fetch("/r/x", bearer(token))).status).toBe(200);
    vi.setSystemTime((now + 5 + 30) * 1000);
    await expectInvalidToken(await gw.fetch("/r/x", bearer(token)));
    expect(gw.events.at(-1)!.reason).toBe("expired");
  });

  it("refuses a kept token as soon as the secret that verified it changes", async () => {
    const secrets = { ...SECRETS };
    const gw = gateway({ auth: hmacAuth }, {}, secrets);
    const token = await sign("HS256", hmacKey());
    expect((await gw.fetch("/r/x", bearer(token))).status).toBe(200);
    secrets.HS_SECRET = "a-rotated-secret-0123456789abcdef-0123456789abcdef-0123456789ab";
    await expectInvalidToken(await gw.fetch("/r/x", bearer(token)));
    expect(gw.events.at(-1)!.reason).toBe("bad_signature");
  });

  it("refuses a kept token once a refreshed JWKS no longer holds its key", async () => {
    const { gw, idp } = jwksGateway();
    const token = await sign("RS256", keys.RS256.privateKey);
    expect((await gw.fetch("/r/x", bearer(token))).status).toBe(200);
    // The provider rotates RS256 out; a token with the new kid makes the gateway download again.
    const rotated = await jose.generateKeyPair("RS256", { extractable: true });
    idp.state.jwks = {
      keys: [
        ...jwks.keys.filter((key) => key.kid !== "key-RS256"),
        { ...(await jose.exportJWK(rotated.publicKey)), kid: "key-2026", alg: "RS256" },
      ],
    };
    vi.setSystemTime(Date.now() + 31_000);
    expect((await gw.fetch("/r/x", bearer(await sign("RS256", rotated.privateKey, claims(), { kid: "key-2026" })))).status).toBe(200);
    await expectInvalidToken(await gw.fetch("/r/x", bearer(token)));
    expect(idp.state.calls).toHaveLength(2);
  });

  it.each([
    ["1000 tokens", 1001, {}],
    ["512 Ki characters of tokens, however few", 100, { pad: "x".repeat(4500) }],
  ])("keeps at most %s, the oldest out first", async (_bound, count, extra) => {
    const gw = gateway({ auth: hmacAuth });
    const tokens = await Promise.all(
      Array.from({ length: count }, (_, i) => sign("HS256", hmacKey(), claims({ sub: `user-${i}`, ...extra }))),
    );
    for (const token of tokens) expect((await gw.fetch("/r/x", bearer(token))).status).toBe(200);
    const verify = vi.spyOn(crypto.subtle, "verify");
    expect((await gw.fetch("/r/x", bearer(tokens.at(-1)!))).status).toBe(200);
    expect(verify).not.toHaveBeenCalled();
    expect((await gw.fetch("/r/x", bearer(tokens[0]!))).status).toBe(200);
    expect(verify).toHaveBeenCalledTimes(1);
  });

  it("keeps nothing it refused: a bad token stays refused", async () => {
    const gw = gateway({ auth: hmacAuth });
    const token = await sign("HS256", hmacKey("another-secret-0123456789abcdef-0123456789abcdef-012345"));
    for (let i = 0; i < 2; i++) await expectInvalidToken(await gw.fetch("/r/x", bearer(token)));
    expect(gw.events.map((event) => event.reason)).toEqual(["bad_signature", "bad_signature"]);
  });

  it("does not share kept tokens between routes with different rules", async () => {
    const gw = gateway({ auth: hmacAuth, routes: { strict: { ...hmacAuth, audience: "someone-else" } } });
    const token = await sign("HS256", hmacKey());
    expect((await gw.fetch("/r/x", bearer(token))).status).toBe(200);
    await expectInvalidToken(await gw.fetch("/strict/x", bearer(token)));
  });
});

describe("auth_failure reporting", () => {
  it("reports through waitUntil and survives a failing reporter", async () => {
    const app = new Hono<AppEnv>();
    app.onError(handleError);
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
