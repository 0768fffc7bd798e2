/**
 * Loom's own reference config (`configs/loom.yaml`, test/fixtures/loom-reference.yaml, the file
 * in ../shared/examples as Loom ships it) through `PUT /admin/config` of a real `wrangler dev`,
 * serving real origins on 127.0.0.1. Only what cannot exist on this machine is replaced, as
 * text: the four upstream endpoints (`api-1.internal:8080`, …, `cdn.internal:80`) become local
 * origins, and the jwt-auth plugin's `jwks_url` a local key set (the issuer stays
 * `https://auth.example.com`). Every block and key is otherwise Loom's.
 *
 * Saving answers with warnings only for what the edge cannot do, each recognised below; then the
 * routes serve as Loom means them: priorities, methods, jwt-auth, strip_prefix, round_robin over
 * three endpoints with retries past a dead one, the code dialect's CORS and rate-limit headers.
 */
import { readFileSync } from "node:fs";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import * as jose from "jose";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { marker, startGateway, startOrigin, type Gateway, type Origin } from "./harness";

const referenceYaml = readFileSync(fileURLToPath(new URL("../fixtures/loom-reference.yaml", import.meta.url)), "utf8");

let gateway: Gateway;
let backends: Origin[];
let cdn: Origin;
let jwks: Server;
let token: string;
let warnings: string[];
let privateKey: jose.CryptoKey;

/** What each warning of the reference config may say: things the edge cannot do, local addresses, and security advice. */
const EXPECTED_WARNINGS = [
  /^listeners\[\d\]\.address: ignored at the edge/,
  /^listeners\[1\]\.tls\.(cert|key)_file: ignored at the edge/,
  /^listeners http, https, grpc: at the edge all listeners share one entry point/,
  /^listeners\[2\]\.protocol: grpc: native gRPC cannot pass through a Worker/,
  /^plugins\[\d\]\.path: ignored at the edge: there is no file system/,
  /^plugins\[\d\] \((jwt-auth|rate-limit|request-logger)\): served by the/,
  /^admin\.address: ignored at the edge/,
  /^metrics: accepted and stored, but not enforced/,
  /^rate_limit\.cleanup_interval: ignored at the edge/,
  /^tracing\.batch_timeout: ignored at the edge/,
  /^tracing\.endpoint: port 4317 is OTLP\/gRPC/,
  /^tracing\.endpoint: otel-collector/,
  // The test's stand-ins for Loom's hosts: local addresses, said to be local.
  /^upstreams\[\d\]\.endpoints\[\d\]: 127\.0\.0\.1 is a private or loopback address/,
  /^plugins\[0\]\.config\.jwks_uri: plain http to a loopback host, for local development only/,
  // Security advice on Loom's own settings: the edge enforces them as written, and says what they leave open.
  /^plugins\[0\]\.config: no audience .* is checked/,
  /^tracing\.endpoint: plain http: spans .* cross the network in clear/,
];

async function serveJwks(set: jose.JSONWebKeySet): Promise<Server> {
  const body = JSON.stringify(set);
  const server = createServer((_req, res) => res.writeHead(200, { "Content-Type": "application/jwk-set+json" }).end(body));
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return server;
}

const sign = (claims: Record<string, unknown>, issuer = "https://auth.example.com") =>
  new jose.SignJWT(claims)
    .setProtectedHeader({ alg: "RS256", kid: "ref" })
    .setIssuer(issuer)
    .setIssuedAt()
    .setExpirationTime("10m")
    .sign(privateKey);

beforeAll(async () => {
  const pair = await jose.generateKeyPair("RS256");
  privateKey = pair.privateKey;
  jwks = await serveJwks({ keys: [{ ...(await jose.exportJWK(pair.publicKey)), kid: "ref", alg: "RS256", use: "sig" }] });
  token = await sign({ sub: "loom-user" });
  backends = await Promise.all([startOrigin(), startOrigin(), startOrigin()]);
  cdn = await startOrigin();
  gateway = await startGateway();
  const jwksPort = (jwks.address() as AddressInfo).port;
  const config = referenceYaml
    .replace('"api-1.internal:8080"', `"${backends[0]!.endpoint}"`)
    .replace('"api-2.internal:8080"', `"${backends[1]!.endpoint}"`)
    .replace('"api-3.internal:8080"', `"${backends[2]!.endpoint}"`)
    .replace('"cdn.internal:80"', `"${cdn.endpoint}"`)
    .replace('"https://auth.example.com/.well-known/jwks.json"', `"http://127.0.0.1:${jwksPort}/.well-known/jwks.json"`);
  expect(config).not.toMatch(/\.internal:|auth\.example\.com\/\.well-known/);
  const res = await gateway.putConfig(config);
  const body = (await res.json()) as { warnings?: string[] };
  expect(res.status, JSON.stringify(body)).toBe(200);
  warnings = body.warnings ?? [];
}, 120_000);

afterAll(async () => {
  await Promise.all([gateway?.stop(), ...(backends ?? []).map((origin) => origin.stop()), cdn?.stop()]);
  jwks?.close();
});

const withToken = (init: RequestInit = {}, bearer = token): RequestInit => ({
  ...init,
  headers: { ...(init.headers as Record<string, string>), Authorization: `Bearer ${bearer}` },
});

describe("Loom's reference config at the edge", () => {
  it("loads with warnings only for what the edge cannot do", () => {
    expect(warnings.length).toBeGreaterThan(5);
    const unexpected = warnings.filter((warning) => !EXPECTED_WARNINGS.some((pattern) => pattern.test(warning)));
    expect(unexpected).toEqual([]);
  });

  it("serves /health first (priority 200) from the backend pool, without plugins", async () => {
    const res = await gateway.fetch("/health");
    expect(res.status).toBe(200);
    const echo = (await res.json()) as { path: string };
    expect(echo.path).toBe("/health");
  });

  it("authenticates /api/v1 with the jwt-auth plugin: no token and a foreign issuer are 401, never forwarded", async () => {
    const mark = marker();
    expect((await gateway.fetch(`/api/v1/${mark}`)).status).toBe(401);
    expect((await gateway.fetch(`/api/v1/${mark}`, withToken({}, await sign({ sub: "x" }, "https://evil.example")))).status).toBe(401);
    expect(backends.flatMap((origin) => origin.received(mark))).toEqual([]);
  });

  it("forwards /api/v1 with a valid token round-robin over the three endpoints, the path unchanged", async () => {
    const mark = marker();
    for (let i = 0; i < 6; i++) {
      const res = await gateway.fetch(`/api/v1/items/${mark}`, withToken());
      expect(res.status).toBe(200);
      expect(res.headers.get("X-RateLimit-Limit")).not.toBeNull();
      await res.arrayBuffer();
    }
    const counts = backends.map((origin) => origin.received(mark).length);
    expect(counts).toEqual([2, 2, 2]);
    expect(backends[0]!.received(mark)[0]!.path).toBe(`/api/v1/items/${mark}`);
    // The credential is the gateway's to check, not the origin's to see.
    expect(backends[0]!.received(mark)[0]!.headers.authorization).toBeUndefined();
  });

  it("admits each route's methods only: PATCH on /api/v2, not on /api/v1", async () => {
    const mark = marker();
    expect((await gateway.fetch(`/api/v2/items/${mark}`, withToken({ method: "PATCH", body: "{}" }))).status).toBe(200);
    const refused = await gateway.fetch(`/api/v1/items/${mark}`, withToken({ method: "PATCH", body: "{}" }));
    expect(refused.status).toBe(405);
    expect(backends.flatMap((origin) => origin.received(mark))).toHaveLength(1);
  });

  it("strips /public from static-content requests (strip_prefix) and admits GET only", async () => {
    const mark = marker();
    const res = await gateway.fetch(`/public/assets/${mark}.js`);
    expect(res.status).toBe(200);
    expect(cdn.received(mark).map((record) => record.path)).toEqual([`/assets/${mark}.js`]);
    expect((await gateway.fetch(`/public/assets/${mark}.js`, { method: "POST", body: "x" })).status).toBe(405);
    expect(cdn.received(mark)).toHaveLength(1);
  });

  it("answers CORS as the code dialect's block says: any origin, preflights with its methods and max_age", async () => {
    const res = await gateway.fetch("/health", { headers: { Origin: "https://app.example.org" } });
    expect(res.headers.get("Access-Control-Allow-Origin")).toBe("*");
    expect(res.headers.get("Access-Control-Expose-Headers")).toMatch(/X-Request-ID/i);
    const preflight = await gateway.fetch("/api/v2/items/1", {
      method: "OPTIONS",
      headers: { Origin: "https://app.example.org", "Access-Control-Request-Method": "PATCH" },
    });
    expect(preflight.status).toBe(204);
    expect(preflight.headers.get("Access-Control-Allow-Methods")).toMatch(/PATCH/);
    expect(preflight.headers.get("Access-Control-Max-Age")).toBe("86400");
  });

  it("retries past a dead endpoint (retry.max_retries), so every request of a round still succeeds", async () => {
    await backends[1]!.stop();
    const mark = marker();
    for (let i = 0; i < 6; i++) {
      const res = await gateway.fetch(`/api/v1/items/${mark}`, withToken());
      expect(res.status).toBe(200);
      await res.arrayBuffer();
    }
    expect(backends[0]!.received(mark).length + backends[2]!.received(mark).length).toBe(6);
  });
});
