/**
 * Loom's code dialect over real HTTP against `wrangler dev` and a real origin on 127.0.0.1:
 * the top-level `rate_limit { enabled, rate, burst, cleanup_interval }` (Loom's X-RateLimit
 * headers beside the IETF ones, Retry-After on the 429) and `middleware.auth {type: jwt, secret}`
 * without `algorithms` (HS256).
 */
import { createHmac } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { marker, startE2E, type E2E } from "./harness";

let e2e: E2E;
beforeAll(async () => {
  e2e = await startE2E();
});
afterAll(() => e2e?.stop());

async function putOk(config: string): Promise<string[]> {
  const res = await e2e.gateway.putConfig(config);
  const body = await res.text();
  expect(res.status, body).toBe(200);
  return (JSON.parse(body) as { warnings: string[] }).warnings;
}

const b64url = (value: string | Buffer) => Buffer.from(value).toString("base64url");

/** An HS256 JWT (RFC 7519) signed with `secret`, built by hand so the test depends on no JWT library. */
function hs256(secret: string, claims: Record<string, unknown>): string {
  const input = `${b64url(JSON.stringify({ alg: "HS256", typ: "JWT" }))}.${b64url(JSON.stringify(claims))}`;
  return `${input}.${b64url(createHmac("sha256", secret).update(input).digest())}`;
}

describe("Loom's code-dialect rate_limit", () => {
  it("limits with Loom's burst and answers X-RateLimit-Limit/Remaining, then 429 with Retry-After", async () => {
    const warnings = await putOk(`
rate_limit:
  enabled: true
  rate: 0.1
  burst: 2
  cleanup_interval: 5m
routes:
  - id: limited
    path: /limited/*
    upstream: origin
upstreams:
  - name: origin
    endpoints: ["${e2e.origin.endpoint}"]
`);
    expect(warnings.join("\n")).toMatch(/rate_limit\.cleanup_interval: ignored at the edge/);
    const path = `/limited/${marker()}`;
    const first = await e2e.gateway.fetch(path);
    expect(first.status).toBe(200);
    expect(first.headers.get("x-ratelimit-limit")).toBe("2");
    expect(Number(first.headers.get("x-ratelimit-remaining"))).toBeLessThanOrEqual(1);
    expect(first.headers.get("ratelimit-policy")).toBe('"burst";q=2;w=20');
    expect((await e2e.gateway.fetch(path)).status).toBe(200);
    const refused = await e2e.gateway.fetch(path);
    expect(refused.status).toBe(429);
    expect(Number(refused.headers.get("retry-after"))).toBeGreaterThanOrEqual(1);
    expect(refused.headers.get("x-ratelimit-limit")).toBe("2");
    expect(refused.headers.get("x-ratelimit-remaining")).toBe("0");
    expect(e2e.origin.requests.filter((request) => request.path === path)).toHaveLength(2);
  });
});

describe("Loom's jwt without algorithms", () => {
  it("verifies HS256 with the secret and refuses a token signed with another key", async () => {
    // Any Worker secret of this run serves as the HMAC key; DEMO_API_KEY is one of 32 random bytes.
    await putOk(`
middleware:
  auth:
    type: jwt
    secret: \${DEMO_API_KEY}
routes:
  - id: jwt
    path: /jwt/*
    upstream: origin
upstreams:
  - name: origin
    endpoints: ["${e2e.origin.endpoint}"]
`);
    const now = Math.floor(Date.now() / 1000);
    const claims = { sub: "loom-user", iat: now, exp: now + 300 };
    const path = `/jwt/${marker()}`;
    const good = await e2e.gateway.fetch(path, {
      headers: { Authorization: `Bearer ${hs256(e2e.gateway.secrets.DEMO_API_KEY!, claims)}` },
    });
    expect(good.status).toBe(200);
    const forged = await e2e.gateway.fetch(path, {
      headers: { Authorization: `Bearer ${hs256("not-the-secret-at-all-0123456789", claims)}` },
    });
    expect(forged.status).toBe(401);
    expect(e2e.origin.requests.filter((request) => request.path === path)).toHaveLength(1);
  });
});
