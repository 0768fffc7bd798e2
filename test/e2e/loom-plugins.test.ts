/**
 * Loom's plugins over real HTTP against `wrangler dev` and a real origin on 127.0.0.1: routes
 * naming plugins in Loom's list form, with top-level entries written as in Loom's reference
 * config (WASM paths, phases, limits). jwt-auth and rate-limit are served by the built-ins;
 * a WASM plugin the edge cannot run answers 503 plugin_unavailable and never reaches the origin.
 */
import { createHmac } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { marker, startE2E, type E2E } from "./harness";

let e2e: E2E;
let warnings: string[] = [];

const b64url = (value: string | Buffer) => Buffer.from(value).toString("base64url");

/** An HS256 JWT (RFC 7519) signed with `secret`, built by hand so the test depends on no JWT library. */
function hs256(secret: string, claims: Record<string, unknown>): string {
  const input = `${b64url(JSON.stringify({ alg: "HS256", typ: "JWT" }))}.${b64url(JSON.stringify(claims))}`;
  return `${input}.${b64url(createHmac("sha256", secret).update(input).digest())}`;
}

beforeAll(async () => {
  e2e = await startE2E();
  // Any Worker secret of this run serves as the HMAC key; DEMO_API_KEY is one of 32 random bytes.
  const res = await e2e.gateway.putConfig(`
rate_limit:
  enabled: true
  rate: 1000
  burst: 2000
plugins:
  - name: jwt-auth
    path: /etc/loom/plugins/jwt-auth.wasm
    phase: on_request_headers
    priority: 100
    config:
      issuer: "https://auth.example.com"
      secret: \${DEMO_API_KEY}
    memory_limit: 16MB
    timeout: 50ms
  - name: rate-limit
    path: /etc/loom/plugins/rate-limit.wasm
    config:
      requests_per_second: 0.1
      burst: 1
  - name: request-logger
    path: /etc/loom/plugins/logger.wasm
    phase: on_log
    config: { format: json, include_body: false }
  - name: waf
    path: /etc/loom/plugins/waf.wasm
    phase: on_request_body
    memory_limit: 8MB
    timeout: 10ms
routes:
  - id: api
    path: /api/*
    upstream: backend
    plugins: [jwt-auth, request-logger]
  - id: limited
    path: /limited/*
    upstream: backend
    plugins: [rate-limit]
  - id: guarded
    path: /guarded/*
    upstream: backend
    plugins: [request-logger, waf]
upstreams:
  - name: backend
    endpoints: ["${e2e.origin.endpoint}"]
`);
  const body = await res.text();
  expect(res.status, body).toBe(200);
  warnings = (JSON.parse(body) as { warnings: string[] }).warnings;
});
afterAll(() => e2e?.stop());

describe("Loom's plugins at the edge", () => {
  it("saves the config with a warning per entry", () => {
    expect(warnings.join("\n")).toMatch(/plugins\[3\] \(waf\): a WASM plugin Loom Edge cannot run/);
    expect(warnings.join("\n")).toMatch(/plugins\[0\]\.path: ignored at the edge/);
  });

  it("jwt-auth: a token from the configured issuer reaches the origin; none, or another issuer's, is 401", async () => {
    const now = Math.floor(Date.now() / 1000);
    const path = `/api/${marker()}`;
    const sign = (iss: string) => hs256(e2e.gateway.secrets.DEMO_API_KEY!, { sub: "u", iss, iat: now, exp: now + 300 });
    expect((await e2e.gateway.fetch(path)).status).toBe(401);
    expect((await e2e.gateway.fetch(path, { headers: { Authorization: `Bearer ${sign("https://evil.example")}` } })).status).toBe(401);
    expect((await e2e.gateway.fetch(path, { headers: { Authorization: `Bearer ${sign("https://auth.example.com")}` } })).status).toBe(200);
    expect(e2e.origin.requests.filter((request) => request.path === path)).toHaveLength(1);
  });

  it("rate-limit: the route's own burst of 1, then 429", async () => {
    const path = `/limited/${marker()}`;
    expect((await e2e.gateway.fetch(path)).status).toBe(200);
    expect((await e2e.gateway.fetch(path)).status).toBe(429);
    expect(e2e.origin.requests.filter((request) => request.path === path)).toHaveLength(1);
  });

  it("a WASM plugin: 503 plugin_unavailable, the origin never contacted", async () => {
    const path = `/guarded/${marker()}`;
    const res = await e2e.gateway.fetch(path, { method: "POST", body: "{}", headers: { "Content-Type": "application/json" } });
    expect(res.status).toBe(503);
    expect(((await res.json()) as { error: string }).error).toBe("plugin_unavailable");
    expect(e2e.origin.requests.filter((request) => request.path === path)).toHaveLength(0);
  });
});
