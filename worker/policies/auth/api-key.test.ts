/**
 * The api_key scheme: `${VAR}` keys and consumer keys, headers and query parameters, what reaches
 * the upstream.
 */
import { afterEach, describe, expect, it, vi } from "vitest";
import { SECRETS, gateway, echo, basic } from "./auth-harness.test-helper";
import { authSchema } from "./schema";

afterEach(() => {
  vi.useRealTimers();
  vi.restoreAllMocks();
});

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
    expect(await wrong.json()).toEqual({
      error: "unauthorized",
      message: "valid credentials are required for this route",
      request_id: "test",
    });
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
