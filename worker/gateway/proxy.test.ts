import { Hono } from "hono";
import { describe, expect, it } from "vitest";
import { routeSchema, upstreamSchema } from "../config/schema";
import { authSchema } from "../policies/auth/schema";
import type { AppEnv } from "../env";
import { gatewayCredentials, identityHeaderNames } from "../policies/auth";
import { proxy, type Fetcher, type ProxyOptions } from "./proxy";
import { rawRequest } from "../http/raw-request.test-helper";
import { compileRouter, routeMatch } from "./router";
import { parseEndpoint, upstreamUrl, withoutQueryParams } from "../http/upstream-url";

// ---------------------------------------------------------------- a fake origin and a small gateway

type OriginHandler = (request: Request, endpoint: string) => Response | Promise<Response>;

/** Records every upstream request (URL, method, headers, body text) and answers with `handler`. */
function fakeOrigin(handler: OriginHandler = () => new Response("ok")) {
  const seen: { url: string; endpoint: string; method: string; headers: Headers; redirect: string }[] = [];
  const fetcher: Fetcher = async (request) => {
    const endpoint = new URL(request.url).host;
    seen.push({ url: request.url, endpoint, method: request.method, headers: request.headers, redirect: request.redirect });
    return handler(request, endpoint);
  };
  return { fetcher, seen };
}

interface GatewayOptions {
  upstream?: Record<string, unknown>;
  routes?: Record<string, unknown>[];
  proxyOptions?: ProxyOptions;
  /** `c.var.clientIp`; default 203.0.113.7. */
  clientIp?: string;
  /** `c.var.body`, as a policy that read the body whole within the body limit sets it. */
  bufferedBody?: Uint8Array;
}

/** requestContext stand-in → routeMatch → proxy, recording what the proxy set on c.var. */
function gateway(fetcher: Fetcher, options: GatewayOptions = {}) {
  const upstream = upstreamSchema.parse({ name: "backend", endpoints: ["origin-a.internal:8080"], ...options.upstream });
  const routes = (options.routes ?? [{ id: "api", path: "/api/*" }]).map((route) => routeSchema.parse({ upstream: "backend", ...route }));
  const vars: { upstream?: string; upstreamMs?: number }[] = [];
  const app = new Hono<AppEnv>();
  app.use(async (c, next) => {
    c.set("requestId", "req-123");
    c.set("clientIp", options.clientIp ?? "203.0.113.7");
    c.set("startedAt", Date.now());
    if (options.bufferedBody) c.set("body", options.bufferedBody);
    await next();
    vars.push({ upstream: c.var.upstream, upstreamMs: c.var.upstreamMs });
  });
  app.use(routeMatch(compileRouter(routes)));
  app.use(proxy([upstream], { ...options.proxyOptions, fetcher }));
  return { app, vars };
}

const refused: OriginHandler = () => {
  throw new TypeError("connect ECONNREFUSED 10.0.0.10:8080 (origin-a.internal)");
};

/** Never answers; rejects when the proxy aborts, as the runtime's fetch does. */
const hanging: OriginHandler = (request) =>
  new Promise((_, reject) => request.signal.addEventListener("abort", () => reject(new Error("The operation was aborted"))));

function chunks(count: number, size: number, onCancel?: () => void): ReadableStream<Uint8Array> {
  let sent = 0;
  return new ReadableStream<Uint8Array>({
    pull(controller) {
      if (sent++ < count) controller.enqueue(new Uint8Array(size).fill(120));
      else controller.close();
    },
    cancel: onCancel,
  });
}

/** Reads a body to its end or its error; returns the bytes received and whether it errored. */
async function drain(body: ReadableStream<Uint8Array> | null): Promise<{ bytes: number; errored: boolean }> {
  let bytes = 0;
  if (!body) return { bytes, errored: false };
  const reader = body.getReader();
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) return { bytes, errored: false };
      bytes += value.byteLength;
    }
  } catch {
    return { bytes, errored: true };
  }
}

async function errorOf(res: Response): Promise<string> {
  const text = await res.text();
  for (const secret of ["origin-a", "origin-b", "10.0.0.10", "ECONNREFUSED", "aborted", "8080"]) expect(text).not.toContain(secret);
  return (JSON.parse(text) as { error: string }).error;
}

// ---------------------------------------------------------------- header hygiene

describe("proxy: request headers", () => {
  it("removes hop-by-hop headers, including those Connection names (RFC 9110 §7.6.1)", async () => {
    const origin = fakeOrigin();
    const { app } = gateway(origin.fetcher);
    await app.request("http://gw.test/api/x", {
      headers: {
        Connection: "keep-alive, X-Hop-Secret, x-other-hop",
        "X-Hop-Secret": "1",
        "X-Other-Hop": "2",
        "Keep-Alive": "timeout=5",
        "Proxy-Connection": "keep-alive",
        TE: "trailers",
        Trailer: "Expires",
        Upgrade: "websocket",
        "Proxy-Authorization": "Basic cHJveHk6c2VjcmV0",
        "X-End-To-End": "kept",
        Cookie: "session=abc",
      },
    });
    const headers = origin.seen[0]!.headers;
    for (const name of [
      "connection",
      "x-hop-secret",
      "x-other-hop",
      "keep-alive",
      "proxy-connection",
      "te",
      "trailer",
      "upgrade",
      "proxy-authorization",
    ]) {
      expect(headers.has(name), name).toBe(false);
    }
    expect(headers.get("x-end-to-end")).toBe("kept");
    expect(headers.get("cookie")).toBe("session=abc");
  });

  it("ignores Connection tokens that are not header names instead of failing", async () => {
    const origin = fakeOrigin();
    const { app } = gateway(origin.fetcher);
    const res = await app.request("http://gw.test/api/x", { headers: { Connection: "close, not a token, , x-y" } });
    expect(res.status).toBe(200);
    expect(origin.seen[0]!.headers.has("connection")).toBe(false);
  });

  it("replaces client X-Forwarded-*, Forwarded and X-Real-IP with values from the edge", async () => {
    const origin = fakeOrigin();
    const { app } = gateway(origin.fetcher);
    await app.request("https://shop.example.com:8443/api/x", {
      headers: {
        "X-Forwarded-For": "6.6.6.6",
        "X-Forwarded-Host": "evil.example",
        "X-Forwarded-Proto": "http",
        "X-Forwarded-Port": "1",
        "X-Forwarded-Prefix": "/admin",
        Forwarded: "for=6.6.6.6;host=evil.example",
        "X-Real-IP": "6.6.6.6",
        "X-Request-Id": "client-chosen",
        Via: "1.1 client-proxy",
      },
    });
    const headers = origin.seen[0]!.headers;
    expect(headers.get("x-forwarded-for")).toBe("203.0.113.7");
    expect(headers.get("x-forwarded-proto")).toBe("https");
    expect(headers.get("x-forwarded-host")).toBe("shop.example.com:8443");
    expect(headers.get("x-request-id")).toBe("req-123");
    expect(headers.get("via")).toBe("1.1 client-proxy, 1.1 loom-edge");
    expect(headers.get("x-real-ip")).toBe("203.0.113.7");
    for (const name of ["x-forwarded-port", "x-forwarded-prefix", "forwarded"]) expect(headers.has(name), name).toBe(false);
  });

  it("sends no Host header of the client: the upstream URL decides the host", async () => {
    const origin = fakeOrigin();
    const { app } = gateway(origin.fetcher);
    await app.request("http://gw.test/api/x", { headers: { Host: "evil.example" } });
    expect(origin.seen[0]!.headers.has("host")).toBe(false);
    expect(new URL(origin.seen[0]!.url).host).toBe("origin-a.internal:8080");
  });

  it("does not forward the gateway credentials, as headers or in the query", async () => {
    const origin = fakeOrigin();
    const auth = authSchema.parse({ type: "api_key", header: "X-API-Key", query_param: "api_key", keys: ["${API_KEY_1}"] });
    const { app } = gateway(origin.fetcher, { proxyOptions: gatewayCredentials(auth) });
    await app.request("http://gw.test/api/x?api_key=secret&q=1&api%5Fkey=secret2&b=a%20b+c", {
      headers: { "X-API-Key": "secret", Authorization: "Bearer upstream-token" },
    });
    const seen = origin.seen[0]!;
    expect(seen.headers.has("x-api-key")).toBe(false);
    expect(seen.headers.get("authorization")).toBe("Bearer upstream-token");
    expect(new URL(seen.url).search).toBe("?q=1&b=a%20b+c");
  });
});

// ---------------------------------------------------------------- headers an upstream trusts

/** The header names the fake origin received, in lower case. */
const namesSeen = (origin: ReturnType<typeof fakeOrigin>, index = 0) => [...origin.seen[index]!.headers.keys()];

describe("proxy: headers an upstream trusts", () => {
  const auth = authSchema.parse({
    type: "api_key",
    header: "X-API-Key",
    keys: ["${API_KEY_1}"],
    consumer_headers: { consumer: "X-Consumer-Id", tenant: "X-Tenant" },
  });
  /** As compile.ts builds them: the credential and identity headers of the config, the vault's header. */
  const trusted = (extra: ProxyOptions = {}): ProxyOptions => ({
    ...gatewayCredentials(auth),
    credentialHeaders: [...gatewayCredentials(auth).credentialHeaders, ...identityHeaderNames(auth)],
    injectedHeaders: ["X-Provider-Key"],
    ...extra,
  });

  /** Every header the gateway sets, strips or checks, in an underscore (or mixed) spelling. */
  const UNDERSCORE_SPELLINGS = [
    "X_Consumer_Id",
    "x-consumer_id",
    "X_Tenant",
    "X_API_Key",
    "X_Forwarded_For",
    "X-Forwarded_Host",
    "X_Forwarded_Proto",
    "X_Real_IP",
    "X_Request_Id",
    "X_Client_IP",
    "True_Client_IP",
    "Client_IP",
    "CF_Connecting_IP",
    "X_Original_Host",
    "X_Host",
    "X_HTTP_Method_Override",
    "X_Original_URL",
    "X_Provider_Key",
    "Proxy_Authorization",
    "Transfer_Encoding",
  ];

  it("removes client copies of the identity headers in any case", async () => {
    const origin = fakeOrigin();
    const { app } = gateway(origin.fetcher, { proxyOptions: trusted() });
    await app.request("http://gw.test/api/x", { headers: { "X-CONSUMER-ID": "admin", "x-tenant": "other-tenant", "X-Api-KEY": "k" } });
    for (const name of ["x-consumer-id", "x-tenant", "x-api-key"]) expect(origin.seen[0]!.headers.has(name), name).toBe(false);
  });

  it("drops every header name with an underscore by default (nginx's underscores_in_headers off)", async () => {
    const origin = fakeOrigin();
    const { app } = gateway(origin.fetcher, { proxyOptions: trusted() });
    const headers = Object.fromEntries([...UNDERSCORE_SPELLINGS, "X_Custom_Flag"].map((name) => [name, "smuggled"]));
    const res = await app.request("http://gw.test/api/x", { headers: { ...headers, "X-Custom": "kept" } });
    expect(res.status).toBe(200);
    const seen = namesSeen(origin);
    expect(seen.filter((name) => name.includes("_"))).toEqual([]);
    expect(origin.seen[0]!.headers.get("x-custom")).toBe("kept");
  });

  it("with underscoresInHeaders, forwards underscore names except those that spell a guarded header", async () => {
    const origin = fakeOrigin();
    const { app } = gateway(origin.fetcher, { proxyOptions: trusted({ underscoresInHeaders: true }) });
    const headers = Object.fromEntries(UNDERSCORE_SPELLINGS.map((name) => [name, "smuggled"]));
    await app.request("http://gw.test/api/x", { headers: { ...headers, X_Custom_Flag: "kept", "X-Forwarded_Anything": "x" } });
    const seen = namesSeen(origin);
    expect(seen.filter((name) => name.includes("_"))).toEqual(["x_custom_flag"]);
    expect(origin.seen[0]!.headers.get("x_custom_flag")).toBe("kept");
    // The gateway's own values are untouched by the smuggled spellings.
    expect(origin.seen[0]!.headers.get("x-forwarded-for")).toBe("203.0.113.7");
    expect(origin.seen[0]!.headers.get("x-request-id")).toBe("req-123");
  });

  it("never forwards the client's address headers; X-Forwarded-For and X-Real-IP carry the edge's", async () => {
    const origin = fakeOrigin();
    const { app } = gateway(origin.fetcher);
    const forged = {
      "X-Client-IP": "6.6.6.6",
      "True-Client-IP": "6.6.6.6",
      "Client-IP": "6.6.6.6",
      "X-Real-IP": "6.6.6.6",
      Forwarded: "for=6.6.6.6",
      "CF-Connecting-IP": "6.6.6.6",
    };
    await app.request("http://gw.test/api/x", { headers: forged });
    const headers = origin.seen[0]!.headers;
    for (const name of ["x-client-ip", "true-client-ip", "client-ip", "forwarded", "cf-connecting-ip"])
      expect(headers.has(name), name).toBe(false);
    expect(headers.get("x-forwarded-for")).toBe("203.0.113.7");
    expect(headers.get("x-real-ip")).toBe("203.0.113.7");
  });

  it("sends no address at all when the edge reported none, rather than the client's", async () => {
    const origin = fakeOrigin();
    const { app } = gateway(origin.fetcher, { clientIp: "" });
    await app.request("http://gw.test/api/x", {
      headers: { "X-Real-IP": "6.6.6.6", "X-Forwarded-For": "6.6.6.6", "True-Client-IP": "6.6.6.6" },
    });
    const headers = origin.seen[0]!.headers;
    for (const name of ["x-real-ip", "x-forwarded-for", "true-client-ip"]) expect(headers.has(name), name).toBe(false);
  });

  it("never forwards headers that move the host an upstream or a cache answers for", async () => {
    const origin = fakeOrigin();
    const { app } = gateway(origin.fetcher);
    await app.request("https://shop.example.com/api/x", {
      headers: {
        "X-Forwarded-Host": "evil.example",
        "X-Forwarded-Scheme": "http",
        "X-Original-Host": "evil.example",
        "X-Host": "evil.example",
      },
    });
    const headers = origin.seen[0]!.headers;
    for (const name of ["x-forwarded-scheme", "x-original-host", "x-host"]) expect(headers.has(name), name).toBe(false);
    expect(headers.get("x-forwarded-host")).toBe("shop.example.com");
    expect(headers.get("x-forwarded-proto")).toBe("https");
  });

  const OVERRIDES = {
    "X-HTTP-Method-Override": "DELETE",
    "X-HTTP-Method": "DELETE",
    "X-Method-Override": "DELETE",
    "X-Original-URL": "/admin/users",
    "X-Rewrite-URL": "/admin/users",
  };

  it("drops method and URL overrides on a route that does not forward them", async () => {
    const origin = fakeOrigin();
    const { app } = gateway(origin.fetcher);
    await app.request("http://gw.test/api/x", { headers: OVERRIDES });
    for (const name of Object.keys(OVERRIDES)) expect(origin.seen[0]!.headers.has(name), name).toBe(false);
  });

  it("forwards them on a route with forward_override_headers, but never in an underscore spelling", async () => {
    const origin = fakeOrigin();
    const routes = [
      { id: "legacy", path: "/legacy/*", forward_override_headers: true },
      { id: "api", path: "/api/*" },
    ];
    const { app } = gateway(origin.fetcher, { routes, proxyOptions: { underscoresInHeaders: true } });
    await app.request("http://gw.test/legacy/x", { headers: { ...OVERRIDES, X_HTTP_Method_Override: "PUT", X_Rewrite_URL: "/other" } });
    await app.request("http://gw.test/api/x", { headers: OVERRIDES });
    const [legacy, api] = origin.seen;
    for (const [name, value] of Object.entries(OVERRIDES)) expect(legacy!.headers.get(name), name).toBe(value);
    expect(legacy!.headers.has("x_http_method_override")).toBe(false);
    expect(legacy!.headers.has("x_rewrite_url")).toBe(false);
    for (const name of Object.keys(OVERRIDES)) expect(api!.headers.has(name), name).toBe(false);
  });
});

describe("proxy: response headers", () => {
  it("removes hop-by-hop headers, Server and X-Powered-By; keeps the rest, every Set-Cookie included", async () => {
    const origin = fakeOrigin(() => {
      const headers = new Headers({
        Connection: "close, X-Internal-Hop",
        "X-Internal-Hop": "1",
        "Keep-Alive": "timeout=5",
        "Proxy-Authenticate": "Basic",
        Trailer: "Expires",
        Upgrade: "h2c",
        Server: "nginx/1.2.3",
        "X-Powered-By": "PHP/5.6",
        "Content-Type": "application/json",
        "Cache-Control": "max-age=60",
      });
      headers.append("Set-Cookie", "a=1");
      headers.append("Set-Cookie", "b=2");
      return new Response("{}", { status: 201, statusText: "Created", headers });
    });
    const { app } = gateway(origin.fetcher);
    const res = await app.request("http://gw.test/api/x");
    expect(res.status).toBe(201);
    for (const name of [
      "connection",
      "x-internal-hop",
      "keep-alive",
      "proxy-authenticate",
      "trailer",
      "upgrade",
      "server",
      "x-powered-by",
    ]) {
      expect(res.headers.has(name), name).toBe(false);
    }
    expect(res.headers.get("content-type")).toBe("application/json");
    expect(res.headers.get("cache-control")).toBe("max-age=60");
    expect(res.headers.getSetCookie()).toEqual(["a=1", "b=2"]);
  });

  it("passes redirects to the client instead of following them", async () => {
    const origin = fakeOrigin(() => new Response(null, { status: 302, headers: { Location: "http://origin-a.internal:8080/login" } }));
    const { app } = gateway(origin.fetcher);
    const res = await app.request("http://gw.test/api/x");
    expect(origin.seen[0]!.redirect).toBe("manual");
    expect(res.status).toBe(302);
    expect(res.headers.get("location")).toBe("http://origin-a.internal:8080/login");
  });
});

// ---------------------------------------------------------------- the upstream URL

describe("upstream URL", () => {
  it("parses host:port as http and keeps an endpoint's base path", () => {
    expect(parseEndpoint("10.0.0.10:8080")).toEqual({ origin: "http://10.0.0.10:8080", basePath: "" });
    expect(parseEndpoint("https://origin.example.com")).toEqual({ origin: "https://origin.example.com", basePath: "" });
    expect(parseEndpoint("https://origin.example.com:8443/base/v1/")).toEqual({
      origin: "https://origin.example.com:8443",
      basePath: "/base/v1",
    });
    expect(() => parseEndpoint("ftp://x")).toThrow();
    expect(() => parseEndpoint("https://u:p@x")).toThrow();
  });

  it("joins base path, forward path and query by concatenation", () => {
    const endpoint = parseEndpoint("https://origin.example.com/base");
    expect(upstreamUrl(endpoint, "/x/y", "?a=1")).toBe("https://origin.example.com/base/x/y?a=1");
    expect(upstreamUrl(endpoint, "/", "")).toBe("https://origin.example.com/base/");
    expect(upstreamUrl(parseEndpoint("h:81"), "/@evil.com", "?u=http://evil.com/")).toBe("http://h:81/@evil.com?u=http://evil.com/");
  });

  it.each([
    "//evil.com/x",
    "/../x",
    "/a/./b",
    "http://evil.com/",
    "\\\\evil.com",
    "/\\evil.com",
    "/a?b=1",
    "/a#f",
    "",
    "evil.com",
    "/%2f%2fevil.com",
    "/a%2e%2e",
  ])("refuses a forward path that is not in normal form: %j", (path) => {
    expect(() => upstreamUrl(parseEndpoint("origin.internal:8080"), path, "")).toThrow();
  });

  it("refuses a query that is not a query", () => {
    const endpoint = parseEndpoint("origin.internal:8080");
    expect(() => upstreamUrl(endpoint, "/x", "@evil.com")).toThrow();
    expect(() => upstreamUrl(endpoint, "/x", "?a#b")).toThrow();
  });

  it("removes only the named query parameters and keeps the others byte for byte", () => {
    const names = new Set(["key"]);
    expect(withoutQueryParams("?key=1", names)).toBe("");
    expect(withoutQueryParams("?a=%2F&key=1&b=x+y&key&c", names)).toBe("?a=%2F&b=x+y&c");
    expect(withoutQueryParams("?k%65y=1&a", names)).toBe("?a");
    expect(withoutQueryParams("?%zz=1&a", names)).toBe("?%zz=1&a");
    expect(withoutQueryParams("?a=1", new Set())).toBe("?a=1");
    expect(withoutQueryParams("", names)).toBe("");
  });

  describe("the client cannot change scheme, host or port", () => {
    const base = "https://origin.example.com:8443/base";
    it.each([
      ["http://gw.test//evil.com/x", `${base}/evil.com/x`],
      ["http://gw.test///evil.com", `${base}/evil.com`],
      ["http://gw.test/@evil.com", `${base}/@evil.com`],
      ["http://gw.test/api/@evil.com:666/x", `${base}/api/@evil.com:666/x`],
      ["http://gw.test/http://evil.com/x", `${base}/http:/evil.com/x`],
      ["http://gw.test/api/;@evil.com", 400],
      ["http://gw.test/api/%40evil.com:80", `${base}/api/%40evil.com:80`],
      ["http://gw.test/api/x?@evil.com", `${base}/api/x?@evil.com`],
      ["http://gw.test/api/x?u=//evil.com", `${base}/api/x?u=//evil.com`],
      ["http://gw.test/api/x#@evil.com", `${base}/api/x`],
      ["http://gw.test/api/https:%2f%2fevil.com", 400],
      ["http://gw.test/%2f%2fevil.com", 400],
      ["http://gw.test/api/..%2f..%2f/evil.com", 400],
      ["http://gw.test/\\\\evil.com", 400],
      ["http://gw.test/api/%5c%5cevil.com", 400],
      ["http://gw.test/..//evil.com", 400],
    ])("%s → %s", async (url, expected) => {
      const origin = fakeOrigin();
      const { app } = gateway(origin.fetcher, { upstream: { endpoints: [`${base}/`] }, routes: [{ id: "all", path: "/*" }] });
      const res = await app.fetch(rawRequest(url));
      if (expected === 400) {
        expect(res.status).toBe(400);
        expect(origin.seen).toHaveLength(0);
      } else {
        expect(res.status).toBe(200);
        expect(origin.seen[0]!.url).toBe(expected);
        expect(new URL(origin.seen[0]!.url).origin).toBe("https://origin.example.com:8443");
      }
    });
  });

  it("forwards the normal form of the path and the query unchanged", async () => {
    const origin = fakeOrigin();
    const { app } = gateway(origin.fetcher, { upstream: { endpoints: ["https://origin.example.com/base/"] } });
    await app.fetch(rawRequest("http://gw.test/api//v1/./%7Eusers/x/../42?b=2&a=%2F"));
    expect(origin.seen[0]!.url).toBe("https://origin.example.com/base/api/v1/~users/42?b=2&a=%2F");
  });

  it("forwards the part after the prefix with strip_prefix", async () => {
    const origin = fakeOrigin();
    const { app } = gateway(origin.fetcher, {
      upstream: { endpoints: ["origin.internal:8080"] },
      routes: [{ id: "svc", path: "/svc/*", strip_prefix: true }],
    });
    await app.request("http://gw.test/svc/orders/1?x=1");
    await app.request("http://gw.test/svc");
    expect(origin.seen.map((s) => s.url)).toEqual(["http://origin.internal:8080/orders/1?x=1", "http://origin.internal:8080/"]);
  });
});

// ---------------------------------------------------------------- bodies

describe("proxy: streaming", () => {
  it("streams the request body: the upstream reads it before the client has finished sending", async () => {
    let client!: ReadableStreamDefaultController<Uint8Array>;
    const body = new ReadableStream<Uint8Array>({ start: (controller) => void (client = controller) });
    client.enqueue(new TextEncoder().encode("first chunk"));
    const origin = fakeOrigin(async (request) => {
      const { value } = await request.body!.getReader().read();
      return new Response(`got ${new TextDecoder().decode(value)}`);
    });
    const { app } = gateway(origin.fetcher);
    // The client stream is never closed: a proxy that buffered the body would wait forever.
    const res = await app.request("http://gw.test/api/upload", { method: "POST", body });
    expect(await res.text()).toBe("got first chunk");
    client.close();
  });

  it("streams the response body: the client reads the first chunk before the upstream has finished", async () => {
    let upstream!: ReadableStreamDefaultController<Uint8Array>;
    const stream = new ReadableStream<Uint8Array>({ start: (controller) => void (upstream = controller) });
    upstream.enqueue(new TextEncoder().encode("hello"));
    const { app } = gateway(fakeOrigin(() => new Response(stream)).fetcher);
    const res = await app.request("http://gw.test/api/x");
    const reader = res.body!.getReader();
    const first = await reader.read();
    expect(new TextDecoder().decode(first.value)).toBe("hello");
    upstream.close();
    await reader.cancel();
  });

  it("forwards a POST body byte for byte", async () => {
    const origin = fakeOrigin(async (request) => new Response(await request.text()));
    const { app } = gateway(origin.fetcher);
    const res = await app.request("http://gw.test/api/x", { method: "POST", body: "é".repeat(10_000) });
    expect(await res.text()).toBe("é".repeat(10_000));
  });
});

describe("proxy: max_response_size", () => {
  it("answers 502 when Content-Length exceeds the limit, without passing or reading the body", async () => {
    let cancelled = false;
    const origin = fakeOrigin(
      () =>
        new Response(
          chunks(10, 1024, () => (cancelled = true)),
          { headers: { "Content-Length": "10240" } },
        ),
    );
    const { app } = gateway(origin.fetcher, { upstream: { max_response_size: "8KB" } });
    const res = await app.request("http://gw.test/api/x");
    expect(res.status).toBe(502);
    expect(await errorOf(res)).toBe("upstream_response_too_large");
    expect(cancelled).toBe(true);
  });

  it("cuts off a chunked body that grows past the limit: never more than the limit reaches the client", async () => {
    let cancelled = false;
    const origin = fakeOrigin(() => new Response(chunks(100, 1000, () => (cancelled = true))));
    const { app } = gateway(origin.fetcher, { upstream: { max_response_size: "10KB" } });
    const res = await app.request("http://gw.test/api/x");
    expect(res.status).toBe(200);
    const { bytes, errored } = await drain(res.body);
    expect(errored).toBe(true);
    expect(bytes).toBeLessThanOrEqual(10 * 1024);
    expect(cancelled).toBe(true);
  });

  it("counts a compressed body even when its Content-Length is small (it is decoded on the way)", async () => {
    const origin = fakeOrigin(() => new Response(chunks(100, 1000), { headers: { "Content-Encoding": "gzip", "Content-Length": "500" } }));
    const { app } = gateway(origin.fetcher, { upstream: { max_response_size: "10KB" } });
    const res = await app.request("http://gw.test/api/x");
    const { bytes, errored } = await drain(res.body);
    expect(errored).toBe(true);
    expect(bytes).toBeLessThanOrEqual(10 * 1024);
  });

  it("passes a body of exactly the limit whole, with or without Content-Length", async () => {
    for (const headers of [{}, { "Content-Length": "10240" }] as Record<string, string>[]) {
      const origin = fakeOrigin(() => new Response(chunks(10, 1024), { headers }));
      const { app } = gateway(origin.fetcher, { upstream: { max_response_size: "10KB" } });
      const res = await app.request("http://gw.test/api/x");
      expect(res.status).toBe(200);
      expect(await drain(res.body)).toEqual({ bytes: 10 * 1024, errored: false });
    }
  });

  it("does not apply the limit to HEAD, whose Content-Length describes a body that is not sent", async () => {
    const origin = fakeOrigin(() => new Response(null, { headers: { "Content-Length": "99999999" } }));
    const { app } = gateway(origin.fetcher, { upstream: { max_response_size: "1KB" } });
    const res = await app.request("http://gw.test/api/x", { method: "HEAD" });
    expect(res.status).toBe(200);
  });

  it("passes 204 and 304 without a body", async () => {
    for (const status of [204, 304]) {
      const { app } = gateway(fakeOrigin(() => new Response(null, { status })).fetcher);
      const res = await app.request("http://gw.test/api/x");
      expect(res.status).toBe(status);
      expect(res.body).toBeNull();
    }
  });
});

// ---------------------------------------------------------------- failures, retries, round-robin

const twoEndpoints = { endpoints: ["origin-a.internal:8080", "origin-b.internal:8080"] };

describe("proxy: upstream failures", () => {
  it("answers 504 upstream_timeout when the headers do not come in time", async () => {
    const origin = fakeOrigin(hanging);
    const { app, vars } = gateway(origin.fetcher, { upstream: { timeout: "20ms", retries: 0 } });
    const res = await app.request("http://gw.test/api/x");
    expect(res.status).toBe(504);
    expect(await errorOf(res)).toBe("upstream_timeout");
    expect(vars[0]).toMatchObject({ upstream: "backend" });
    expect(vars[0]!.upstreamMs).toBeTypeOf("number");
  });

  it("aborts the upstream request on timeout", async () => {
    let aborted = false;
    const origin = fakeOrigin(async (request) => {
      request.signal.addEventListener("abort", () => (aborted = true));
      return hanging(request, "");
    });
    const { app } = gateway(origin.fetcher, { upstream: { timeout: "20ms", retries: 0 } });
    await app.request("http://gw.test/api/x");
    expect(aborted).toBe(true);
  });

  describe("a route's own timeout replaces its upstream's for that route's attempts", () => {
    /** Answers after 80 ms unless aborted first, as the runtime's fetch does. */
    const slowHeaders: OriginHandler = (request) =>
      new Promise((resolve, reject) => {
        const timer = setTimeout(() => resolve(new Response("late")), 80);
        request.signal.addEventListener("abort", () => {
          clearTimeout(timer);
          reject(new Error("The operation was aborted"));
        });
      });
    const routes = [
      { id: "quick", path: "/quick/*", timeout: "20ms" },
      { id: "patient", path: "/patient/*", timeout: "1h" },
      { id: "default", path: "/default/*" },
    ];

    it("shorter: 504 on the route, though the upstream would wait an hour", async () => {
      const origin = fakeOrigin(hanging);
      const { app } = gateway(origin.fetcher, { routes, upstream: { timeout: "1h", retries: 0 } });
      const res = await app.request("http://gw.test/quick/x");
      expect(res.status).toBe(504);
      expect(await errorOf(res)).toBe("upstream_timeout");
    });

    it("longer: the answer arrives on the route, where the upstream's own timeout would have cut it", async () => {
      const origin = fakeOrigin(slowHeaders);
      const { app } = gateway(origin.fetcher, { routes, upstream: { timeout: "20ms", retries: 0 } });
      const patient = await app.request("http://gw.test/patient/x");
      expect(patient.status).toBe(200);
      expect(await patient.text()).toBe("late");
      const fallback = await app.request("http://gw.test/default/x");
      expect(fallback.status).toBe(504);
    });
  });

  /** `count` chunks of `size` bytes, one every `everyMs`, then the end, or silence when `stall`. */
  const dripping = (count: number, everyMs: number, { stall = false, size = 100 } = {}) => {
    let sent = 0;
    return new ReadableStream<Uint8Array>({
      async pull(controller) {
        if (sent === count) return stall ? new Promise<void>(() => {}) : controller.close();
        await scheduler.wait(everyMs);
        sent += 1;
        controller.enqueue(new Uint8Array(size).fill(120));
      },
    });
  };

  /** An origin answering with `body()` and `headers` that notes whether the proxy aborted its request. */
  const abortableOrigin = (body: () => ReadableStream<Uint8Array>, headers: Record<string, string> = {}) => {
    let aborted = false;
    const origin = fakeOrigin((request) => {
      request.signal.addEventListener("abort", () => (aborted = true));
      return new Response(body(), { headers });
    });
    return { fetcher: origin.fetcher, aborted: () => aborted };
  };

  // Bodies of declared length above 64 KB are watched chunk by chunk like those without one.
  const LARGE = 8 * 1024;
  const cases: [string, number, Record<string, string>][] = [
    ["chunked", 100, {}],
    ["with a Content-Length above 64 KB", LARGE, { "Content-Length": String(10 * LARGE) }],
  ];

  it.each(cases)("passes a body whole that keeps coming for longer than the timeout (%s)", async (_, size, headers) => {
    // 10 chunks 10 ms apart: 100 ms in all, twice the timeout, each gap a fifth of it.
    const { app } = gateway(fakeOrigin(() => new Response(dripping(10, 10, { size }), { headers })).fetcher, {
      upstream: { timeout: "50ms", retries: 0, max_response_size: "1MB" },
    });
    const res = await app.request("http://gw.test/api/x");
    expect(res.status).toBe(200);
    expect(await drain(res.body)).toEqual({ bytes: 10 * size, errored: false });
  });

  it.each(cases)("cuts a body that stalls for the timeout, and aborts the upstream request (%s)", async (_, size, headers) => {
    const origin = abortableOrigin(() => dripping(3, 10, { stall: true, size }), headers);
    const { app } = gateway(origin.fetcher, { upstream: { timeout: "50ms", retries: 0, max_response_size: "1MB" } });
    const res = await app.request("http://gw.test/api/x");
    expect(res.status).toBe(200);
    expect(await drain(res.body)).toEqual({ bytes: 3 * size, errored: true });
    expect(origin.aborted()).toBe(true);
  });

  it("bounds a small body of declared length as a whole: the attempt is aborted `timeout` after its headers", async () => {
    const origin = abortableOrigin(() => dripping(1, 0, { stall: true }), { "Content-Length": "1000" });
    const { app } = gateway(origin.fetcher, { upstream: { timeout: "30ms", retries: 0 } });
    const res = await app.request("http://gw.test/api/x");
    expect(res.status).toBe(200);
    expect(origin.aborted()).toBe(false);
    await scheduler.wait(60);
    // The runtime's fetch cuts the body it is still receiving then (test/runtime/upstream-timeout.test.ts).
    expect(origin.aborted()).toBe(true);
    await res.body!.cancel();
  });

  it.each(cases)("never cuts a body the client reads slowly: only waits on the upstream count (%s)", async (_, size, headers) => {
    const origin = abortableOrigin(() => chunks(10, size), headers);
    const { app } = gateway(origin.fetcher, { upstream: { timeout: "30ms", retries: 0, max_response_size: "1MB" } });
    const res = await app.request("http://gw.test/api/x");
    const reader = res.body!.getReader();
    expect((await reader.read()).value).toHaveLength(size);
    // The client pauses for three timeouts with the upstream's next chunk ready all along.
    await scheduler.wait(100);
    reader.releaseLock();
    expect(await drain(res.body)).toEqual({ bytes: 9 * size, errored: false });
    expect(origin.aborted()).toBe(false);
  });

  it("does not abort an upstream request whose body ended in time", async () => {
    const origin = abortableOrigin(() => dripping(2, 5));
    const { app } = gateway(origin.fetcher, { upstream: { timeout: "30ms", retries: 0 } });
    expect(await drain((await app.request("http://gw.test/api/x")).body)).toEqual({ bytes: 200, errored: false });
    await scheduler.wait(60);
    expect(origin.aborted()).toBe(false);
  });

  it("answers 502 upstream_unavailable on a connection error, leaking nothing", async () => {
    const origin = fakeOrigin(refused);
    const { app } = gateway(origin.fetcher);
    const res = await app.request("http://gw.test/api/x");
    expect(res.status).toBe(502);
    expect(await errorOf(res)).toBe("upstream_unavailable");
  });

  it("passes the upstream's own 5xx answers on, unchanged and not retried", async () => {
    const origin = fakeOrigin(() => new Response("busy", { status: 503, headers: { "Retry-After": "5" } }));
    const { app } = gateway(origin.fetcher, { upstream: twoEndpoints });
    const res = await app.request("http://gw.test/api/x");
    expect(res.status).toBe(503);
    expect(res.headers.get("retry-after")).toBe("5");
    expect(await res.text()).toBe("busy");
    expect(origin.seen).toHaveLength(1);
  });
});

describe("proxy: retries", () => {
  const firstRefuses: OriginHandler = (request, endpoint) =>
    endpoint.startsWith("origin-a") ? refused(request, endpoint) : new Response(`from ${endpoint}`);

  it("retries a GET on the other endpoint after a connection error", async () => {
    const origin = fakeOrigin(firstRefuses);
    const { app } = gateway(origin.fetcher, { upstream: twoEndpoints });
    const res = await app.request("http://gw.test/api/x?q=1");
    expect(res.status).toBe(200);
    expect(await res.text()).toBe("from origin-b.internal:8080");
    expect(origin.seen.map((s) => s.url)).toEqual(["http://origin-a.internal:8080/api/x?q=1", "http://origin-b.internal:8080/api/x?q=1"]);
  });

  it("retries a GET on the other endpoint after a timeout", async () => {
    const origin = fakeOrigin((request, endpoint) => (endpoint.startsWith("origin-a") ? hanging(request, endpoint) : new Response("b")));
    const { app } = gateway(origin.fetcher, { upstream: { ...twoEndpoints, timeout: "20ms" } });
    const res = await app.request("http://gw.test/api/x");
    expect(await res.text()).toBe("b");
  });

  it.each(["HEAD", "OPTIONS", "DELETE", "TRACE"])("retries %s (idempotent, RFC 9110 §9.2.2)", async (method) => {
    const origin = fakeOrigin(firstRefuses);
    const { app } = gateway(origin.fetcher, { upstream: twoEndpoints });
    const res = await app.request("http://gw.test/api/x", { method });
    expect(res.status).toBe(200);
    expect(origin.seen).toHaveLength(2);
  });

  it.each(["POST", "PATCH"])("does not retry %s", async (method) => {
    const origin = fakeOrigin(firstRefuses);
    const { app } = gateway(origin.fetcher, { upstream: twoEndpoints });
    const res = await app.request("http://gw.test/api/x", { method, body: "{}" });
    expect(res.status).toBe(502);
    expect(origin.seen).toHaveLength(1);
  });

  it("does not retry an idempotent request whose body has been streamed", async () => {
    const origin = fakeOrigin(firstRefuses);
    const { app } = gateway(origin.fetcher, { upstream: twoEndpoints });
    const res = await app.request("http://gw.test/api/x", { method: "PUT", body: "data" });
    expect(res.status).toBe(502);
    expect(origin.seen).toHaveLength(1);
  });

  it("never tries one endpoint twice for a request, whatever `retries` says", async () => {
    const origin = fakeOrigin(refused);
    const { app } = gateway(origin.fetcher, { upstream: { ...twoEndpoints, retries: 5 } });
    expect((await app.request("http://gw.test/api/x")).status).toBe(502);
    expect(origin.seen.map((s) => s.endpoint)).toEqual(["origin-a.internal:8080", "origin-b.internal:8080"]);
  });

  it("does not retry with retries: 0, nor with a single endpoint", async () => {
    for (const upstream of [
      { ...twoEndpoints, retries: 0 },
      { endpoints: ["origin-a.internal:8080"], retries: 3 },
    ]) {
      const origin = fakeOrigin(refused);
      const { app } = gateway(origin.fetcher, { upstream });
      expect((await app.request("http://gw.test/api/x")).status).toBe(502);
      expect(origin.seen).toHaveLength(1);
    }
  });

  it("answers 504 when every attempt timed out", async () => {
    const origin = fakeOrigin(hanging);
    const { app } = gateway(origin.fetcher, { upstream: { ...twoEndpoints, timeout: "20ms" } });
    const res = await app.request("http://gw.test/api/x");
    expect(res.status).toBe(504);
    expect(origin.seen).toHaveLength(2);
  });
});

describe("proxy: round-robin", () => {
  it("spreads requests across endpoints in turn", async () => {
    const origin = fakeOrigin();
    const { app } = gateway(origin.fetcher, { upstream: { endpoints: ["a.internal:1", "b.internal:2", "c.internal:3"] } });
    for (let i = 0; i < 6; i++) await app.request("http://gw.test/api/x");
    expect(origin.seen.map((s) => s.endpoint)).toEqual([
      "a.internal:1",
      "b.internal:2",
      "c.internal:3",
      "a.internal:1",
      "b.internal:2",
      "c.internal:3",
    ]);
  });

  it("moves on one endpoint per request, retries included", async () => {
    const origin = fakeOrigin((request, endpoint) => (endpoint === "b.internal:2" ? refused(request, endpoint) : new Response("ok")));
    const { app } = gateway(origin.fetcher, { upstream: { endpoints: ["a.internal:1", "b.internal:2", "c.internal:3"] } });
    for (let i = 0; i < 3; i++) await app.request("http://gw.test/api/x");
    expect(origin.seen.map((s) => s.endpoint)).toEqual(["a.internal:1", "b.internal:2", "c.internal:3", "c.internal:3"]);
  });
});

describe("proxy: Loom's retry block", () => {
  const threeEndpoints = { endpoints: ["a.internal:1", "b.internal:2", "c.internal:3"] };
  const retry = { max_retries: 3, backoff_base: "100ms", backoff_max: "300ms", retryable_codes: [503] };
  /** Records the backoff waits instead of waiting; the client is still there. */
  function recordedSleep() {
    const waits: number[] = [];
    return { waits, sleep: async (ms: number) => void waits.push(ms) };
  }
  const almostOne = () => 0.999999;

  it("retries a retryable code on the next endpoint each time, with capped exponential backoff", async () => {
    const origin = fakeOrigin(() => new Response("busy", { status: 503 }));
    const { waits, sleep } = recordedSleep();
    const { app } = gateway(origin.fetcher, { upstream: { ...threeEndpoints, retry }, proxyOptions: { sleep, random: almostOne } });
    const res = await app.request("http://gw.test/api/x");
    // Attempts are bounded by max_retries: the last answer is passed on as it is.
    expect(res.status).toBe(503);
    expect(await res.text()).toBe("busy");
    expect(origin.seen.map((s) => s.endpoint)).toEqual(["a.internal:1", "b.internal:2", "c.internal:3", "a.internal:1"]);
    expect(waits).toEqual([99, 199, 299]);
  });

  it("draws each wait with the random source: full jitter", async () => {
    const origin = fakeOrigin(refused);
    const { waits, sleep } = recordedSleep();
    const { app } = gateway(origin.fetcher, { upstream: { ...threeEndpoints, retry }, proxyOptions: { sleep, random: () => 0.5 } });
    expect((await app.request("http://gw.test/api/x")).status).toBe(502);
    expect(waits).toEqual([50, 100, 150]);
  });

  it("stops at the first answer that is not retryable", async () => {
    const statuses = [503, 500, 200];
    const origin = fakeOrigin(() => new Response(null, { status: statuses.shift() }));
    const { sleep } = recordedSleep();
    const { app } = gateway(origin.fetcher, { upstream: { ...threeEndpoints, retry }, proxyOptions: { sleep } });
    expect((await app.request("http://gw.test/api/x")).status).toBe(500);
    expect(origin.seen).toHaveLength(2);
  });

  it("retries connection failures and timeouts, also on a single endpoint", async () => {
    let calls = 0;
    const origin = fakeOrigin((request, endpoint) =>
      ++calls === 1 ? hanging(request, endpoint) : calls === 2 ? refused(request, endpoint) : new Response("ok"),
    );
    const { sleep } = recordedSleep();
    const { app } = gateway(origin.fetcher, { upstream: { endpoints: ["a.internal:1"], timeout: "20ms", retry }, proxyOptions: { sleep } });
    const res = await app.request("http://gw.test/api/x");
    expect(await res.text()).toBe("ok");
    expect(origin.seen.map((s) => s.endpoint)).toEqual(["a.internal:1", "a.internal:1", "a.internal:1"]);
  });

  it.each(["POST", "PATCH"])("never retries %s (not idempotent, RFC 9110 §9.2.2)", async (method) => {
    const origin = fakeOrigin(() => new Response(null, { status: 503 }));
    const { waits, sleep } = recordedSleep();
    const { app } = gateway(origin.fetcher, {
      upstream: { ...threeEndpoints, retry },
      proxyOptions: { sleep },
      bufferedBody: new TextEncoder().encode("{}"),
    });
    expect((await app.request("http://gw.test/api/x", { method, body: "{}" })).status).toBe(503);
    expect(origin.seen).toHaveLength(1);
    expect(waits).toEqual([]);
  });

  it("does not retry a PUT whose body streams, but replays one read whole within the body limit", async () => {
    const streamed = fakeOrigin(() => new Response(null, { status: 503 }));
    const { sleep } = recordedSleep();
    const a = gateway(streamed.fetcher, { upstream: { ...threeEndpoints, retry }, proxyOptions: { sleep } });
    expect((await a.app.request("http://gw.test/api/x", { method: "PUT", body: "data" })).status).toBe(503);
    expect(streamed.seen).toHaveLength(1);

    const bodies: string[] = [];
    const buffered = fakeOrigin(async (request) => {
      bodies.push(await request.text());
      return new Response(null, { status: bodies.length < 3 ? 503 : 201 });
    });
    const b = gateway(buffered.fetcher, {
      upstream: { ...threeEndpoints, retry },
      proxyOptions: { sleep },
      bufferedBody: new TextEncoder().encode("data"),
    });
    expect((await b.app.request("http://gw.test/api/x", { method: "PUT", body: "data" })).status).toBe(201);
    expect(bodies).toEqual(["data", "data", "data"]);
  });

  it("never retries after the client went away", async () => {
    const origin = fakeOrigin(() => new Response(null, { status: 503 }));
    const controller = new AbortController();
    const sleep = async () => controller.abort();
    const { app } = gateway(origin.fetcher, { upstream: { ...threeEndpoints, retry }, proxyOptions: { sleep } });
    await app.request(new Request("http://gw.test/api/x", { signal: controller.signal }));
    expect(origin.seen).toHaveLength(1);
  });

  it("with max_retries 0, sends once", async () => {
    const origin = fakeOrigin(() => new Response(null, { status: 503 }));
    const { app } = gateway(origin.fetcher, { upstream: { ...threeEndpoints, retry: { ...retry, max_retries: 0 } } });
    expect((await app.request("http://gw.test/api/x")).status).toBe(503);
    expect(origin.seen).toHaveLength(1);
  });
});

describe("proxy: load balancers", () => {
  it("weighted: endpoints as objects, each with its share", async () => {
    const origin = fakeOrigin();
    const { app } = gateway(origin.fetcher, {
      upstream: {
        load_balancer: "weighted",
        endpoints: [
          { host: "a.internal", port: 1, weight: 3 },
          { url: "http://b.internal:2", weight: 1 },
        ],
      },
    });
    for (let i = 0; i < 8; i++) await app.request("http://gw.test/api/x");
    const tally = origin.seen.map((s) => s.endpoint);
    expect(tally.filter((e) => e === "a.internal:1")).toHaveLength(6);
    expect(tally.filter((e) => e === "b.internal:2")).toHaveLength(2);
  });

  it("consistent_hash: one key always reaches one endpoint; retries go on along the ring", async () => {
    const origin = fakeOrigin();
    const upstream = {
      ...{ endpoints: ["a.internal:1", "b.internal:2", "c.internal:3"] },
      load_balancer: "consistent_hash",
      consistent_hash: { hash_key: "X-User-ID" },
    };
    const { app } = gateway(origin.fetcher, { upstream });
    for (let i = 0; i < 4; i++) await app.request("http://gw.test/api/x", { headers: { "X-User-ID": "user-7" } });
    expect(new Set(origin.seen.map((s) => s.endpoint)).size).toBe(1);
  });

  it("skips endpoints the circuit ejected, whatever the balancer: a hashed key moves on to the next endpoint", async () => {
    const origin = fakeOrigin();
    const ejected = new Set<string>();
    const circuits = {
      healthyEndpoints: (_: string, endpoints: readonly string[]) => endpoints.filter((e) => !ejected.has(e)),
      record: () => {},
    };
    const endpoints = ["a.internal:1", "b.internal:2", "c.internal:3"];
    for (const balancer of [
      { load_balancer: "consistent_hash", consistent_hash: { hash_key: "X-User-ID" } },
      { load_balancer: "weighted" },
      { load_balancer: "random" },
      { load_balancer: "least_conn" },
    ]) {
      origin.seen.length = 0;
      ejected.clear();
      const { app } = gateway(origin.fetcher, { upstream: { endpoints, ...balancer }, proxyOptions: { circuits } });
      await app.request("http://gw.test/api/x", { headers: { "X-User-ID": "user-7" } });
      ejected.add(origin.seen[0]!.endpoint);
      for (let i = 0; i < 6; i++) await app.request("http://gw.test/api/x", { headers: { "X-User-ID": "user-7" } });
      expect(origin.seen.slice(1).map((s) => s.endpoint)).not.toContain(origin.seen[0]!.endpoint);
    }
  });

  it("least_conn: sends to the endpoint with fewer requests awaiting their answer", async () => {
    let release: () => void = () => {};
    const origin = fakeOrigin((_, endpoint) =>
      endpoint === "a.internal:1" && origin.seen.length === 1
        ? new Promise<Response>((resolve) => (release = () => resolve(new Response("a"))))
        : new Response(endpoint),
    );
    const { app } = gateway(origin.fetcher, { upstream: { endpoints: ["a.internal:1", "b.internal:2"], load_balancer: "least_conn" } });
    const slow = app.request("http://gw.test/api/x");
    await scheduler.wait(5);
    // Turn-taking alone would pick a.internal next time round; it is busy, so b twice.
    expect(await (await app.request("http://gw.test/api/x")).text()).toBe("b.internal:2");
    expect(await (await app.request("http://gw.test/api/x")).text()).toBe("b.internal:2");
    release();
    expect(await (await slow).text()).toBe("a");
  });
  it("least_conn: counts an attempt until its streamed body has been passed on", async () => {
    let finish: () => void = () => {};
    const streaming = () =>
      new ReadableStream<Uint8Array>({
        start(controller) {
          controller.enqueue(new Uint8Array(8));
          finish = () => controller.close();
        },
      });
    const origin = fakeOrigin((_, endpoint) => new Response(origin.seen.length === 1 ? streaming() : endpoint));
    const { app } = gateway(origin.fetcher, { upstream: { endpoints: ["a.internal:1", "b.internal:2"], load_balancer: "least_conn" } });
    const download = await app.request("http://gw.test/api/x");
    const reader = download.body!.getReader();
    await reader.read();
    // a.internal still streams: b twice, although turn-taking would pick a for the third request.
    expect(await (await app.request("http://gw.test/api/x")).text()).toBe("b.internal:2");
    expect(await (await app.request("http://gw.test/api/x")).text()).toBe("b.internal:2");
    finish();
    while (!(await reader.read()).done);
    // Over: the counts are equal again, and turns decide.
    const after = [await (await app.request("http://gw.test/api/x")).text(), await (await app.request("http://gw.test/api/x")).text()];
    expect(after.sort()).toEqual(["a.internal:1", "b.internal:2"]);
  });
});

describe("proxy: wiring", () => {
  it("sets c.var.upstream and c.var.upstreamMs", async () => {
    const { app, vars } = gateway(fakeOrigin().fetcher);
    await app.request("http://gw.test/api/x");
    expect(vars[0]!.upstream).toBe("backend");
    expect(vars[0]!.upstreamMs).toBeGreaterThanOrEqual(0);
  });

  it("is a 500 (a wiring bug), not a forward, when no route was matched", async () => {
    const origin = fakeOrigin();
    const app = new Hono<AppEnv>();
    app.onError((_, c) => c.text("internal error", 500));
    app.use(proxy([upstreamSchema.parse({ name: "backend", endpoints: ["h:1"] })], { fetcher: origin.fetcher }));
    const res = await app.request("http://gw.test/x");
    expect(res.status).toBe(500);
    expect(origin.seen).toHaveLength(0);
  });

  it("fails at factory time on an endpoint that is not one, or a credential header that is no header name", () => {
    const upstream = upstreamSchema.parse({ name: "b", endpoints: ["h:1"] });
    expect(() => proxy([{ ...upstream, endpoints: [{ endpoint: "ftp://x", weight: 1 }] }])).toThrow();
    expect(() => proxy([upstream], { credentialHeaders: ["X Token"] })).toThrow();
    expect(() => proxy([upstream], { injectedHeaders: ["X Token"] })).toThrow();
  });
});
