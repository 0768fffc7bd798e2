/**
 * Loom's plugins through the whole worker: routes naming plugins in Loom's list form, the
 * built-in jwt-auth authenticating from its top-level entry's config, rate-limit as the route's
 * override, request-logger served by the access log, and a WASM plugin the edge cannot run
 * answering 503 plugin_unavailable without the origin being contacted.
 */
import { env } from "cloudflare:workers";
import { SignJWT } from "jose";
import { beforeAll, describe, expect, it } from "vitest";
import { putConfig, send } from "./admin-harness";

const JWT_SECRET = "an HMAC key of at least 32 bytes for HS256 (plugins test)";
const withSecret = { ...env, JWT_SECRET };

const CONFIG = {
  // The code dialect's global limit, high enough never to be met here: rate-limit overrides it.
  rate_limit: { enabled: true, rate: 1000, burst: 2000 },
  plugins: [
    { name: "jwt-auth", path: "/etc/loom/plugins/jwt-auth.wasm", config: { secret: "${JWT_SECRET}", issuer: "https://auth.test" } },
    { name: "rate-limit", path: "/etc/loom/plugins/rate-limit.wasm", config: { requests_per_second: 0.1, burst: 1 } },
    { name: "request-logger", path: "/etc/loom/plugins/logger.wasm", phase: "on_log", config: { format: "json" } },
    { name: "geo-block", path: "/etc/loom/plugins/geo.wasm", phase: "on_request_headers", memory_limit: "8MB", timeout: "50ms" },
  ],
  routes: [
    { id: "signed", path: "/signed/*", upstream: "origin", plugins: ["jwt-auth", "request-logger"] },
    { id: "limited", path: "/limited/*", upstream: "origin", plugins: ["rate-limit"] },
    { id: "wasm", path: "/flaky/*", upstream: "origin", plugins: ["request-logger", "geo-block"] },
    { id: "hits", path: "/hits/*", upstream: "origin" },
  ],
  upstreams: [{ name: "origin", endpoints: ["https://origin.test"] }],
};

const token = (issuer: string) =>
  new SignJWT({ sub: "alice" })
    .setProtectedHeader({ alg: "HS256" })
    .setIssuer(issuer)
    .setIssuedAt()
    .setExpirationTime("5m")
    .sign(new TextEncoder().encode(JWT_SECRET));

const bearer = async (issuer: string) => ({ headers: { Authorization: `Bearer ${await token(issuer)}` }, env: withSecret });

let warnings: string[] = [];

beforeAll(async () => {
  ({ warnings } = await putConfig(CONFIG));
});

describe("routes[].plugins as names", () => {
  it("is saved with a warning per entry that says what the edge does", () => {
    expect(warnings.filter((warning) => /^plugins\[\d\] /.test(warning))).toEqual([
      expect.stringContaining("plugins[0] (jwt-auth): served by the built-in jwt scheme"),
      expect.stringContaining("plugins[1] (rate-limit): served by the built-in rate limiter"),
      expect.stringContaining("plugins[2] (request-logger): served by the access log"),
      expect.stringContaining("plugins[3] (geo-block): a WASM plugin Loom Edge cannot run"),
    ]);
  });

  it("jwt-auth authenticates with its entry's config: no token or another issuer is 401, a good token reaches the origin", async () => {
    expect((await send("/signed/echo", { env: withSecret })).status).toBe(401);
    expect((await send("/signed/echo", await bearer("https://elsewhere.test"))).status).toBe(401);
    const res = await send("/signed/echo", await bearer("https://auth.test"));
    expect(res.status).toBe(200);
    expect(((await res.json()) as { url: string }).url).toContain("/signed/echo");
  });

  it("rate-limit is the route's override: its burst of 1, then 429", async () => {
    const from = { headers: { "CF-Connecting-IP": "198.51.100.61" } };
    expect((await send("/limited/echo", from)).status).toBe(200);
    const refused = await send("/limited/echo", from);
    expect(refused.status).toBe(429);
    expect(refused.headers.get("Retry-After")).not.toBeNull();
  });

  it("a WASM plugin answers 503 plugin_unavailable, and the origin never sees the request", async () => {
    const res = await send("/flaky/plugins-wasm/x");
    expect(res.status).toBe(503);
    expect(await res.json()).toEqual({
      error: "plugin_unavailable",
      message: expect.stringContaining("geo-block"),
      request_id: res.headers.get("X-Request-Id"),
    });
    expect(await (await send("/hits/plugins-wasm")).json()).toMatchObject({ hits: 0 });
  });
});
