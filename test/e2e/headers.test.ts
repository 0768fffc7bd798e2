/**
 * Headers an upstream trusts, over real HTTP: what the origin behind `wrangler dev` receives
 * when a client sends identity, address, host and override headers in the spellings CGI, WSGI
 * and Rack read as the gateway's own. Requests go out through node:http, which sends header
 * names exactly as written (underscores, case).
 *
 * Under `wrangler dev` the Worker's `CF-Connecting-IP` is 127.0.0.1, set by the local runtime;
 * on Cloudflare the edge sets it (SECURITY.md, "Outbound calls").
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { marker, rawRequest, startE2E, type E2E, type OriginRequest } from "./harness";

let e2e: E2E;

function gatewayConfig(underscoresInHeaders: boolean): string {
  return `
middleware:
  request_validation:
    allowed_methods: [GET, HEAD, POST, PUT, DELETE]
    underscores_in_headers: ${underscoresInHeaders}
routes:
  - id: keyed
    path: /keyed/*
    upstream: origin
    auth:
      type: api_key
      keys: ["\${DEMO_API_KEY}"]
      consumer_headers: { consumer: X-Consumer-Id }
  - id: legacy
    path: /legacy/*
    methods: [GET, POST]
    upstream: origin
    forward_override_headers: true
  - id: api
    path: /api/*
    upstream: origin
upstreams:
  - name: origin
    endpoints: ["${e2e.origin.endpoint}"]
`;
}

async function saveConfig(underscoresInHeaders: boolean): Promise<void> {
  const saved = await e2e.gateway.putConfig(gatewayConfig(underscoresInHeaders));
  expect(saved.status, await saved.text()).toBe(200);
}

beforeAll(async () => {
  e2e = await startE2E();
  await saveConfig(false);
});
afterAll(() => e2e?.stop());

/** The one request with this marker the origin received. */
function originSaw(m: string): OriginRequest {
  const seen = e2e.origin.received(m);
  expect(seen).toHaveLength(1);
  return seen[0]!;
}

/** Sends a GET with exactly these header names and returns what the origin received. */
async function forwarded(path: string, headers: Record<string, string>): Promise<OriginRequest["headers"]> {
  const m = marker();
  const res = await rawRequest(e2e.gateway.url, { path: `${path}?m=${m}`, headers });
  expect(res.status, res.text).toBe(200);
  return originSaw(m).headers;
}

const underscoreNames = (headers: OriginRequest["headers"]) => Object.keys(headers).filter((name) => name.includes("_"));

/** Identity, credential, forwarding and override headers in the spellings a CGI server merges. */
const SMUGGLED = {
  X_Consumer_Id: "admin",
  "X-Consumer_Id": "admin",
  X_API_Key: "guess",
  X_Forwarded_For: "203.0.113.66",
  X_Real_IP: "203.0.113.66",
  X_Request_Id: "client-chosen",
  True_Client_IP: "203.0.113.66",
  X_HTTP_Method_Override: "DELETE",
};

describe("underscore spellings (underscores_in_headers: false, the default)", () => {
  it("reach the origin in no spelling: the identity header is the gateway's alone", async () => {
    const headers = await forwarded("/keyed/echo", {
      "X-API-Key": e2e.gateway.secrets.DEMO_API_KEY!,
      "X-CONSUMER-ID": "admin",
      ...SMUGGLED,
      X_Custom: "1",
    });
    expect(headers["x-consumer-id"]).toBe("DEMO_API_KEY");
    expect(underscoreNames(headers)).toEqual([]);
    expect(headers["x-api-key"]).toBeUndefined();
    expect(headers["x-forwarded-for"]).toBe("127.0.0.1");
  });

  it("are refused nothing but dropped: a route without auth still answers", async () => {
    const headers = await forwarded("/api/echo", { ...SMUGGLED, "X-Kept": "yes" });
    expect(underscoreNames(headers)).toEqual([]);
    expect(headers["x-kept"]).toBe("yes");
    expect(headers["x-consumer-id"]).toBeUndefined();
  });
});

describe("client addresses and host overrides", () => {
  it("never forward the client's address headers; X-Forwarded-For and X-Real-IP are the gateway's", async () => {
    const forged = {
      "X-Client-IP": "203.0.113.66",
      "True-Client-IP": "203.0.113.66",
      "Client-IP": "203.0.113.66",
      "X-Real-IP": "203.0.113.66",
      Forwarded: "for=203.0.113.66",
      "X-Forwarded-For": "203.0.113.66",
    };
    const headers = await forwarded("/api/echo", forged);
    for (const name of ["x-client-ip", "true-client-ip", "client-ip", "forwarded", "cf-connecting-ip"])
      expect(headers[name], name).toBeUndefined();
    expect(headers["x-forwarded-for"]).toBe("127.0.0.1");
    expect(headers["x-real-ip"]).toBe("127.0.0.1");
  });

  it("never forward a CF-Connecting-IP header: the platform alone sets it on a subrequest", async () => {
    // Locally a client's CF-Connecting-IP reaches the Worker as sent (DESIGN.md: on Cloudflare
    // the edge overwrites it), so it is the client address here; the origin still gets no copy.
    const headers = await forwarded("/api/echo", { "CF-Connecting-IP": "198.51.100.7" });
    expect(headers["cf-connecting-ip"]).toBeUndefined();
    expect(headers["x-real-ip"]).toBe(headers["x-forwarded-for"]);
  });

  it("never forward headers that move the host an upstream or a cache answers for", async () => {
    const headers = await forwarded("/api/echo", {
      "X-Forwarded-Host": "evil.example",
      "X-Forwarded-Scheme": "http",
      "X-Original-Host": "evil.example",
      "X-Host": "evil.example",
    });
    for (const name of ["x-forwarded-scheme", "x-original-host", "x-host"]) expect(headers[name], name).toBeUndefined();
    expect(headers["x-forwarded-host"]).toBe(new URL(e2e.gateway.url).host);
  });
});

describe("method and URL overrides", () => {
  const overrides = {
    "X-HTTP-Method-Override": "POST",
    "X-HTTP-Method": "POST",
    "X-Method-Override": "POST",
    "X-Original-URL": "/admin/users",
    "X-Rewrite-URL": "/admin/users",
  };

  it("are dropped on a route that does not forward them", async () => {
    const headers = await forwarded("/api/echo", overrides);
    for (const name of Object.keys(overrides)) expect(headers[name.toLowerCase()], name).toBeUndefined();
  });

  it("are forwarded on a route with forward_override_headers when they name a method it admits and a path of that route", async () => {
    const within = { ...overrides, "X-Original-URL": "/legacy/users", "X-Rewrite-URL": "/legacy/users" };
    const headers = await forwarded("/legacy/echo", within);
    for (const [name, value] of Object.entries(within)) expect(headers[name.toLowerCase()], name).toBe(value);
  });

  it("are refused with 400 there when a URL override reaches another route, before the origin", async () => {
    const m = marker();
    const res = await rawRequest(e2e.gateway.url, { path: `/legacy/echo?m=${m}`, headers: { "X-Original-URL": "/keyed/echo" } });
    expect(res.status, res.text).toBe(400);
    expect(res.json()).toMatchObject({ error: "override_outside_route" });
    expect(e2e.origin.received(m)).toHaveLength(0);
  });

  it("are refused with 405 there when they name a method the route does not admit, before the origin", async () => {
    const m = marker();
    const res = await rawRequest(e2e.gateway.url, {
      method: "POST",
      path: `/legacy/echo?m=${m}`,
      headers: { "X-HTTP-Method-Override": "DELETE", "Content-Length": "0" },
    });
    expect(res.status, res.text).toBe(405);
    expect(res.headers.allow).toBe("GET, HEAD, POST");
    expect(res.json()).toMatchObject({ error: "method_not_allowed", allow: ["GET", "HEAD", "POST"] });
    expect(e2e.origin.received(m)).toHaveLength(0);
  });
});

describe("underscores_in_headers: true", () => {
  beforeAll(() => saveConfig(true));
  afterAll(() => saveConfig(false));

  it("forwards underscore names except those that spell a header the gateway sets, strips or checks", async () => {
    const headers = await forwarded("/keyed/echo", { "X-API-Key": e2e.gateway.secrets.DEMO_API_KEY!, ...SMUGGLED, X_Custom: "1" });
    expect(underscoreNames(headers)).toEqual(["x_custom"]);
    expect(headers["x-consumer-id"]).toBe("DEMO_API_KEY");
    expect(headers["x-request-id"]).not.toBe("client-chosen");
  });
});
