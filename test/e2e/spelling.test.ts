/**
 * One route per resource, whatever the spelling, over real HTTP: raw request targets sent
 * through `wrangler dev` to a real origin, which records what it received. Each refused
 * spelling must never reach the origin; each admitted one arrives as the spelling that was
 * matched. Preflight-shaped OPTIONS requests are preflights only where a CORS policy answers.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { marker, rawRequest, startE2E, type E2E } from "./harness";

let e2e: E2E;
let key: string;

beforeAll(async () => {
  e2e = await startE2E();
  key = e2e.gateway.secrets.DEMO_API_KEY!;
  const res = await e2e.gateway.putConfig(`
routes:
  - { id: admin-area, path: /api/admin/*, upstream: origin, auth: { type: api_key, keys: ["\${DEMO_API_KEY}"] } }
  - { id: settings, path: /api/settings, upstream: origin, auth: { type: api_key, keys: ["\${DEMO_API_KEY}"] } }
  - { id: open, path: /api/*, upstream: origin, auth: none }
  - { id: public, path: /public/*, methods: [GET], upstream: origin, auth: none }
upstreams:
  - { name: origin, endpoints: ["${e2e.origin.endpoint}"] }
`);
  expect(res.status).toBe(200);
}, 120_000);

afterAll(async () => {
  await e2e?.stop();
});

describe("spellings of a protected path", () => {
  it.each(["/api/admin;x/users", "/api/ADMIN/users", "/api/settings/", "/api/settings;x"])(
    "%s never reaches the origin without the key",
    async (path) => {
      const m = marker();
      const res = await rawRequest(e2e.gateway.url, { path: `${path}?m=${m}` });
      expect([400, 401]).toContain(res.status);
      expect(e2e.origin.received(m)).toHaveLength(0);
    },
  );

  it.each([
    ["/api/ADMIN/users", "/api/admin/users"],
    ["/api/settings/", "/api/settings"],
  ])("%s with the key reaches the origin as %s", async (path, expected) => {
    const m = marker();
    const res = await rawRequest(e2e.gateway.url, { path: `${path}?m=${m}`, headers: { "X-API-Key": key } });
    expect(res.status).toBe(200);
    const [received] = e2e.origin.received(m);
    expect(received?.path).toBe(expected);
  });

  it("refuses a ; path parameter with 400 bad_path", async () => {
    const res = await rawRequest(e2e.gateway.url, { path: "/api/settings;jsessionid=1" });
    expect(res.status).toBe(400);
    expect(res.json()).toMatchObject({ error: "bad_path" });
  });
});

describe("preflight-shaped OPTIONS without a CORS policy", () => {
  it("is routed as OPTIONS: a GET-only public route answers 405 and the origin sees nothing", async () => {
    const m = marker();
    const res = await rawRequest(e2e.gateway.url, {
      method: "OPTIONS",
      path: `/public/x?m=${m}`,
      headers: { Origin: "https://app.example.com", "Access-Control-Request-Method": "GET" },
    });
    expect(res.status).toBe(405);
    expect(e2e.origin.received(m)).toHaveLength(0);
  });
});
