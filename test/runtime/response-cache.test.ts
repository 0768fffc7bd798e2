/**
 * Loom's `cache` block through the whole request path in workerd, on the Cache API Miniflare
 * provides, against the fake origin's /cacheable/<id> (it counts what reaches it): hits, misses,
 * freshness precedence, the never-cached cases, the auth rule and tenants, bypass, 304s, HEAD,
 * Vary, path lists, a route's own block, stale-while-revalidate and the warnings.
 */
import { beforeAll, describe, expect, it } from "vitest";
import { env } from "cloudflare:workers";
import { admin, json, putConfig, send } from "./admin-harness";

const ORIGIN = "https://origin.test";
let seq = 0;
/** A fresh resource id: every test reads its own entries and origin counter. */
const fresh = (name: string) => `${name}-${Date.now().toString(36)}-${seq++}`;

/** A cacheable path on the `pub` route whose origin answers with these response headers. */
function path(id: string, headers: Record<string, string> = {}, prefix = "/pub"): string {
  const query = new URLSearchParams(Object.entries(headers).map(([name, value]) => [`h-${name}`, value]));
  const text = query.toString();
  return `${prefix}/cacheable/${id}${text ? `?${text}` : ""}`;
}

async function originHits(id: string): Promise<number> {
  const res = await fetch(`${ORIGIN}/hits/${id}`);
  return ((await res.json()) as { hits: number }).hits;
}

async function get(url: string, init: RequestInit = {}): Promise<{ status: number; cache: string | null; body: string; headers: Headers }> {
  const res = await send(`https://gw.test${url}`, init);
  return { status: res.status, cache: res.headers.get("x-cache"), body: await res.text(), headers: res.headers };
}

const config = {
  routes: [
    { id: "pub", path: "/pub/*", upstream: "origin", strip_prefix: true },
    { id: "keyed", path: "/keyed/*", upstream: "origin", strip_prefix: true, auth: { type: "api_key", keys: ["${DEMO_API_KEY}"] } },
    { id: "off", path: "/off/*", upstream: "origin", strip_prefix: true, cache: false },
    {
      id: "own",
      path: "/own/*",
      upstream: "origin",
      strip_prefix: true,
      cache: { default_ttl: "1h", bypass_header: "X-Own-Bypass", excluded_paths: [] },
    },
  ],
  upstreams: [{ name: "origin", endpoints: [ORIGIN] }],
  middleware: { security_headers: { x_frame_options: "DENY" } },
  cors: { enabled: true, allow_origins: ["https://app.example.com"] },
  cache: {
    enabled: true,
    default_ttl: "5m",
    stale_while_revalidate: "30s",
    excluded_paths: ["/pub/CACHEABLE/secret/*", "/pub/cacheable/:id/never"],
    bypass_header: "X-Cache-Bypass",
  },
};

beforeAll(async () => {
  await putConfig(config);
});

describe("hits and misses", () => {
  it("answers MISS from the origin, then HIT from the cache without reaching it", async () => {
    const id = fresh("basic");
    const first = await get(path(id, { "cache-control": "max-age=60" }));
    expect(first).toMatchObject({ status: 200, cache: "MISS" });
    const second = await get(path(id, { "cache-control": "max-age=60" }));
    expect(second).toMatchObject({ status: 200, cache: "HIT", body: first.body });
    expect(second.headers.get("cache-control")).toBe("max-age=60");
    expect(second.headers.get("age")).toMatch(/^\d+$/);
    expect(second.headers.get("x-loom-edge-cache")).toBeNull();
    expect(await originHits(id)).toBe(1);
  });

  it("keeps the response steps on a hit: security headers and CORS", async () => {
    const id = fresh("decorated");
    await get(path(id));
    const hit = await get(path(id), { headers: { Origin: "https://app.example.com" } });
    expect(hit.cache).toBe("HIT");
    expect(hit.headers.get("x-frame-options")).toBe("DENY");
    expect(hit.headers.get("access-control-allow-origin")).toBe("https://app.example.com");
  });

  it("uses default_ttl for a response that states no freshness", async () => {
    const id = fresh("heuristic");
    await get(path(id));
    expect((await get(path(id))).cache).toBe("HIT");
  });

  it("serves HEAD from the GET entry, without a body", async () => {
    const id = fresh("head");
    await get(path(id));
    const head = await get(path(id), { method: "HEAD" });
    expect(head).toMatchObject({ status: 200, cache: "HIT", body: "" });
    expect(await originHits(id)).toBe(1);
  });

  it("never caches other methods", async () => {
    const id = fresh("post");
    const post = await get(path(id), { method: "POST", body: "x" });
    expect(post.cache).toBeNull();
    expect((await get(path(id))).cache).toBe("MISS");
  });

  it("keeps routes apart: the same upstream path on two routes is two entries", async () => {
    const id = fresh("routes");
    await get(path(id));
    expect((await get(path(id, {}, "/own"))).cache).toBe("MISS");
    expect(await originHits(id)).toBe(2);
  });

  it("keeps query strings apart", async () => {
    const id = fresh("query");
    await get(`${path(id)}?a=1`);
    expect((await get(`${path(id)}?a=2`)).cache).toBe("MISS");
    expect((await get(`${path(id)}?a=1`)).cache).toBe("HIT");
  });
});

describe("freshness: s-maxage > max-age > Expires > default_ttl", () => {
  it.each([
    ["s-maxage=0 over max-age=60", { "cache-control": "max-age=60, s-maxage=0" }, false],
    ["max-age=60 over an Expires in the past", { "cache-control": "max-age=60", expires: "Thu, 01 Jan 1970 00:00:00 GMT" }, true],
    ["an Expires in the past over default_ttl", { expires: "Thu, 01 Jan 1970 00:00:00 GMT" }, false],
    ["an invalid Expires: already expired", { expires: "0" }, false],
    ["max-age=0", { "cache-control": "max-age=0" }, false],
  ])("%s", async (_name, headers, cached) => {
    const id = fresh("ttl");
    await get(path(id, headers));
    expect((await get(path(id, headers))).cache).toBe(cached ? "HIT" : "MISS");
  });
});

describe("never cached", () => {
  it.each([
    ["Set-Cookie", { "set-cookie": "session=abc" }],
    ["Cache-Control: private", { "cache-control": "private, max-age=60" }],
    ["Cache-Control: no-store", { "cache-control": "no-store" }],
    ["Cache-Control: no-cache", { "cache-control": "no-cache, max-age=60" }],
    ["Vary: *", { vary: "*", "cache-control": "max-age=60" }],
  ])("a response with %s", async (_name, headers) => {
    const id = fresh("never");
    expect((await get(path(id, headers))).cache).toBe("MISS");
    expect((await get(path(id, headers))).cache).toBe("MISS");
    expect(await originHits(id)).toBe(2);
  });

  it("a status outside the heuristically cacheable ones (RFC 9110 §15.1)", async () => {
    const id = fresh("status");
    const url = `${path(id, { "cache-control": "max-age=60" })}&status=500`;
    await get(url);
    expect((await get(url)).cache).toBe("MISS");
  });

  it("a path in excluded_paths, in route path syntax", async () => {
    const secret = `/pub/cacheable/secret/${fresh("x")}/`;
    await get(secret);
    expect((await get(secret)).cache).toBeNull();
    const id = fresh("param");
    await get(`/pub/cacheable/${id}/never`);
    expect((await get(`/pub/cacheable/${id}/never`)).cache).toBeNull();
  });

  it("a route with cache: false", async () => {
    const id = fresh("off");
    await get(path(id, {}, "/off"));
    expect((await get(path(id, {}, "/off"))).cache).toBeNull();
  });
});

describe("authenticated requests (RFC 9111 §3.5)", () => {
  const key = { "X-API-Key": "demo-key-123" };

  it("are not cached unless the upstream marks the response public", async () => {
    const id = fresh("auth");
    await get(path(id, { "cache-control": "max-age=60" }, "/keyed"), { headers: key });
    expect((await get(path(id, { "cache-control": "max-age=60" }, "/keyed"), { headers: key })).cache).toBe("MISS");
    const pub = fresh("auth-public");
    await get(path(pub, { "cache-control": "public, max-age=60" }, "/keyed"), { headers: key });
    expect((await get(path(pub, { "cache-control": "public, max-age=60" }, "/keyed"), { headers: key })).cache).toBe("HIT");
  });

  it("a request with Authorization on a route without auth is cached only when public", async () => {
    const id = fresh("bearer");
    const auth = { headers: { Authorization: "Bearer upstream-checks-this" } };
    await get(path(id, { "cache-control": "max-age=60" }), auth);
    expect((await get(path(id, { "cache-control": "max-age=60" }), auth)).cache).toBe("MISS");
  });

  it("a hit never skips authentication", async () => {
    const id = fresh("auth-gate");
    await get(path(id, { "cache-control": "public, max-age=60" }, "/keyed"), { headers: key });
    const anonymous = await get(path(id, { "cache-control": "public, max-age=60" }, "/keyed"));
    expect(anonymous.status).toBe(401);
    expect(await originHits(id)).toBe(1);
  });

  it("never mixes tenants: consumers of two tenants get entries of their own", async () => {
    await putConfig({
      ...config,
      routes: config.routes.map((route) => (route.id === "keyed" ? { ...route, auth: { type: "api_key", keys: [] } } : route)),
    });
    const keys: string[] = [];
    for (const tenant of ["tenant-one", "tenant-two"]) {
      const consumer = `cache-${tenant}-${Date.now().toString(36)}`;
      expect((await admin("/consumers", json("POST", { id: consumer, tenant }))).status).toBe(201);
      keys.push(((await (await admin(`/consumers/${consumer}/keys`, { method: "POST" })).json()) as { key: string }).key);
    }
    const id = fresh("tenants");
    const url = path(id, { "cache-control": "public, max-age=60" }, "/keyed");
    const one = await get(url, { headers: { "X-API-Key": keys[0]! } });
    const two = await get(url, { headers: { "X-API-Key": keys[1]! } });
    expect([one.cache, two.cache]).toEqual(["MISS", "MISS"]);
    expect((await get(url, { headers: { "X-API-Key": keys[1]! } })).cache).toBe("HIT");
    expect(await originHits(id)).toBe(2);
    await putConfig(config);
  });
});

describe("bypass_header", () => {
  it("goes to the origin (BYPASS) and never writes the cache", async () => {
    const id = fresh("bypass");
    const bypass = await get(path(id, { "cache-control": "max-age=60" }), { headers: { "X-Cache-Bypass": "1" } });
    expect(bypass.cache).toBe("BYPASS");
    expect((await get(path(id, { "cache-control": "max-age=60" }))).cache).toBe("MISS");
    expect((await get(path(id, { "cache-control": "max-age=60" }), { headers: { "X-Cache-Bypass": "yes" } })).cache).toBe("BYPASS");
    const hit = await get(path(id, { "cache-control": "max-age=60" }));
    expect(hit.cache).toBe("HIT");
    expect(hit.body).toMatch(/#2 /);
    expect(await originHits(id)).toBe(3);
  });

  it("is the route's own when its block names one", async () => {
    const id = fresh("own-bypass");
    await get(path(id, {}, "/own"));
    expect((await get(path(id, {}, "/own"), { headers: { "X-Own-Bypass": "1" } })).cache).toBe("BYPASS");
    expect((await get(path(id, {}, "/own"), { headers: { "X-Cache-Bypass": "1" } })).cache).toBe("HIT");
  });

  it.each([
    ["Range (a partial answer is never stored)", { Range: "bytes=0-3" }],
    ["If-Match (the upstream's precondition)", { "If-Match": '"x"' }],
    ["If-Unmodified-Since", { "If-Unmodified-Since": "Mon, 01 Jan 2024 00:00:00 GMT" }],
  ])("requests with %s are passed through, never stored", async (_name, headers) => {
    const id = fresh("pass");
    await get(path(id));
    expect((await get(path(id), { headers })).cache).toBe("BYPASS");
    expect(await originHits(id)).toBe(2);
  });
});

describe("conditional requests answered from the cache", () => {
  const validators = { "cache-control": "max-age=60", etag: '"v1"', "last-modified": "Mon, 01 Jan 2024 00:00:00 GMT" };

  it("If-None-Match: 304 on a hit, without a body, with the ETag", async () => {
    const id = fresh("inm");
    await get(path(id, validators));
    const res = await get(path(id, validators), { headers: { "If-None-Match": 'W/"v0", W/"v1"' } });
    expect(res).toMatchObject({ status: 304, body: "", cache: "HIT" });
    expect(res.headers.get("etag")).toBe('"v1"');
    expect((await get(path(id, validators), { headers: { "If-None-Match": '"v2"' } })).status).toBe(200);
  });

  it("If-Modified-Since: 304 when not modified since, 200 otherwise", async () => {
    const id = fresh("ims");
    await get(path(id, validators));
    expect((await get(path(id, validators), { headers: { "If-Modified-Since": "Tue, 02 Jan 2024 00:00:00 GMT" } })).status).toBe(304);
    expect((await get(path(id, validators), { headers: { "If-Modified-Since": "Sun, 31 Dec 2023 00:00:00 GMT" } })).status).toBe(200);
  });

  it("a status other than 2xx is never answered 304", async () => {
    const id = fresh("inm-404");
    const url = `${path(id, { "cache-control": "max-age=60", etag: '"v1"' })}&status=404`;
    await get(url);
    expect((await get(url, { headers: { "If-None-Match": '"v1"' } })).status).toBe(404);
  });

  it("on a miss the origin is asked without the client's validators, the full answer stored, the client answered 304", async () => {
    const id = fresh("inm-miss");
    const miss = await get(path(id, validators), { headers: { "If-None-Match": '"v1"' } });
    expect(miss).toMatchObject({ status: 304, cache: "MISS" });
    const hit = await get(path(id, validators));
    expect(hit).toMatchObject({ status: 200, cache: "HIT" });
    expect(hit.body).toMatch(/if-none-match=null/);
  });
});

describe("Vary", () => {
  it("keys on the varied request headers' values", async () => {
    const id = fresh("vary");
    const vary = { "cache-control": "max-age=60", vary: "X-Variant" };
    const as = (variant: string) => get(path(id, vary), { headers: { "X-Variant": variant } });
    expect((await as("a")).cache).toBe("MISS");
    expect((await as("b")).cache).toBe("MISS");
    const a = await as("a");
    expect(a).toMatchObject({ cache: "HIT" });
    expect(a.body).toMatch(/variant=a/);
    expect(a.headers.get("vary")).toMatch(/^x-variant/);
    const b = await as("b");
    expect(b).toMatchObject({ cache: "HIT" });
    expect(b.body).toMatch(/variant=b/);
    expect((await get(path(id, vary))).cache).toBe("MISS");
    expect(await originHits(id)).toBe(3);
  });
});

describe("stale-while-revalidate", () => {
  const oneSecond = async () => new Promise((resolve) => setTimeout(resolve, 1100));

  it("serves the stale entry at once and revalidates it in the background; a 304 refreshes it", async () => {
    const id = fresh("swr");
    const headers = { "cache-control": "max-age=1", etag: '"e1"' };
    const first = await get(path(id, headers));
    await oneSecond();
    const stale = await get(path(id, headers));
    expect(stale).toMatchObject({ cache: "STALE", body: first.body });
    // The revalidation ran in the request's waitUntil (finished when `send` returns): conditional, answered 304.
    expect(await originHits(id)).toBe(2);
    const hit = await get(path(id, headers));
    expect(hit).toMatchObject({ cache: "HIT", body: first.body });
  });

  it("replaces the entry when the origin answers in full", async () => {
    const id = fresh("swr-new");
    const headers = { "cache-control": "max-age=1" };
    await get(path(id, headers));
    await oneSecond();
    expect((await get(path(id, headers))).cache).toBe("STALE");
    const hit = await get(path(id, headers));
    expect(hit.cache).toBe("HIT");
    expect(hit.body).toMatch(/#2 /);
  });

  it.each([
    ["s-maxage (implies proxy-revalidate)", { "cache-control": "s-maxage=1" }],
    ["must-revalidate", { "cache-control": "max-age=1, must-revalidate" }],
    ["proxy-revalidate", { "cache-control": "max-age=1, proxy-revalidate" }],
  ])("never serves stale a response with %s (RFC 9111 §5.2.2)", async (_name, headers) => {
    const id = fresh("no-stale");
    await get(path(id, headers));
    expect((await get(path(id, headers))).cache).toBe("HIT");
    await oneSecond();
    expect((await get(path(id, headers))).cache).toBe("MISS");
  });

  it("removes the entry when the new answer may not be stored", async () => {
    const id = fresh("swr-gone");
    await get(path(id, { "cache-control": "max-age=1" }));
    await oneSecond();
    await fetch(`${ORIGIN}/flaky-status/${id}/500`);
    expect((await get(path(id, { "cache-control": "max-age=1" }))).cache).toBe("STALE");
    await fetch(`${ORIGIN}/flaky-status/${id}/200`);
    expect((await get(path(id, { "cache-control": "max-age=1" }))).cache).toBe("MISS");
  });
});

describe("saving", () => {
  it("warns about max_size, cleanup_interval and workers.dev", async () => {
    const { warnings } = await putConfig({ ...config, cache: { ...config.cache, max_size: "1GB", cleanup_interval: "5m" } });
    expect(warnings).toContainEqual(expect.stringMatching(/^cache\.max_size: ignored at the edge/));
    expect(warnings).toContainEqual(expect.stringMatching(/^cache\.cleanup_interval: ignored at the edge/));
    expect(warnings).toContainEqual(expect.stringMatching(/workers\.dev/));
    await putConfig(config);
  });

  it("routes[].cache: true turns the cache on for that route alone, with Loom's defaults", async () => {
    const { cache: _top, ...withoutTop } = config;
    await putConfig({
      ...withoutTop,
      routes: config.routes.map((route) => (route.id === "pub" ? { ...route, cache: true } : route)),
    });
    const id = fresh("route-only");
    await get(path(id));
    expect((await get(path(id))).cache).toBe("HIT");
    expect((await get(path(id, {}, "/keyed"), { headers: { "X-API-Key": "demo-key-123" } })).cache).toBeNull();
    await putConfig(config);
  });

  it("does nothing unless enabled, as in Loom's code", async () => {
    await putConfig({ ...config, cache: { default_ttl: "5m" } });
    const id = fresh("disabled");
    await get(path(id));
    expect((await get(path(id))).cache).toBeNull();
    await putConfig(config);
  });

  it("refuses bad values by path", async () => {
    const res = await admin(
      "/config/validate",
      json("POST", { ...config, cache: { enabled: true, default_ttl: "0s", excluded_paths: ["api/*"] } }),
    );
    expect(res.status).toBe(400);
    const { issues } = (await res.json()) as { issues: { path: string }[] };
    expect(issues.map((issue) => issue.path)).toEqual(expect.arrayContaining(["cache.default_ttl", "cache.excluded_paths[0]"]));
  });
});

describe("POST /admin/cache/purge", () => {
  const purge = (body: unknown, init: { env?: import("../../worker/env").Env } = {}) =>
    admin("/cache/purge", { ...json("POST", body), ...init });

  it("purges one URL: its entries are misses, other entries stay hits", async () => {
    const id = fresh("purge-url");
    const other = fresh("purge-other");
    await get(path(id));
    await get(path(other));
    const res = await purge({ urls: [`https://GW.test${path(id)}`] });
    expect(res.status, await res.clone().text()).toBe(200);
    expect(await res.json()).toMatchObject({ purged: { urls: [`https://GW.test${path(id)}`] }, zone: null });
    expect((await get(path(id))).cache).toBe("MISS");
    expect((await get(path(id))).cache).toBe("HIT");
    expect((await get(path(other))).cache).toBe("HIT");
  });

  it("purges every Vary variant and every tenant of a URL at once", async () => {
    const id = fresh("purge-vary");
    const vary = { "cache-control": "max-age=60", vary: "X-Variant" };
    await get(path(id, vary), { headers: { "X-Variant": "a" } });
    await get(path(id, vary), { headers: { "X-Variant": "b" } });
    await purge({ urls: [`https://gw.test${path(id, vary)}`] });
    expect((await get(path(id, vary), { headers: { "X-Variant": "a" } })).cache).toBe("MISS");
    expect((await get(path(id, vary), { headers: { "X-Variant": "b" } })).cache).toBe("MISS");
  });

  it("purges by prefix, on one host or on every host", async () => {
    const id = fresh("purge-prefix");
    await get(`/pub/cacheable/${id}/a`);
    await get(`/pub/cacheable/${id}/b`);
    await get(path(id, {}, "/own"));
    await purge({ prefixes: [`https://gw.test/pub/cacheable/${id}/`] });
    expect((await get(`/pub/cacheable/${id}/a`)).cache).toBe("MISS");
    expect((await get(`/pub/cacheable/${id}/b`)).cache).toBe("MISS");
    expect((await get(path(id, {}, "/own"))).cache).toBe("HIT");
    await purge({ prefixes: ["/own/"] });
    expect((await get(path(id, {}, "/own"))).cache).toBe("MISS");
  });

  it("purges everything", async () => {
    const id = fresh("purge-all");
    await get(path(id));
    await purge({ everything: true });
    expect((await get(path(id))).cache).toBe("MISS");
  });

  it("is audited as state_reset/cache_purge", async () => {
    await purge({ prefixes: ["/audited/"] });
    const { entries } = (await (await admin("/audit?event=state_reset")).json()) as { entries: { action: string; details: unknown }[] };
    expect(entries.find((row) => row.action === "cache_purge")).toMatchObject({ details: { prefixes: ["/audited/"] } });
  });

  it("refuses a body that names nothing, or a prefix that is neither a URL nor a path", async () => {
    for (const body of [{}, { prefixes: ["pub/x"] }, { urls: ["gw.test/x"] }]) {
      const res = await purge(body);
      expect(res.status).toBe(400);
      expect(await res.json()).toMatchObject({ error: "invalid_cache_purge" });
    }
  });

  it("calls Cloudflare's zone purge API when a zone id and a token are set", async () => {
    const zoneEnv = (zone: string, base = "http://127.0.0.1:9") => ({
      env: { ...env, CACHE_PURGE_ZONE_ID: zone, CACHE_PURGE_API_TOKEN: "zone-token-for-tests", CACHE_PURGE_API_BASE: base },
    });
    const zone = fresh("zone");
    const res = await purge({ urls: ["https://gw.test/pub/x"], prefixes: ["https://api.test/a/"] }, zoneEnv(zone));
    expect(await res.json()).toMatchObject({ zone: { purged: true, status: 200 } });
    const all = await purge({ everything: true }, zoneEnv(zone));
    expect(await all.json()).toMatchObject({ zone: { purged: true } });
    const calls = await (await fetch(`http://127.0.0.1:9/zone-purges/${zone}`)).json();
    expect(calls).toEqual([
      { authorization: "Bearer zone-token-for-tests", body: { prefixes: ["gw.test/__loom-edge-cache/", "api.test/__loom-edge-cache/"] } },
      { authorization: "Bearer zone-token-for-tests", body: { tags: ["loom-edge-cache"] } },
    ]);
    const refused = await purge({ everything: true }, zoneEnv("refused"));
    expect(await refused.json()).toMatchObject({ zone: { purged: false, status: 403 } });
  });

  it("never sends the token to a base URL that is not loopback", async () => {
    const zone = fresh("zone-elsewhere");
    const res = await purge(
      { everything: true },
      { env: { ...env, CACHE_PURGE_ZONE_ID: zone, CACHE_PURGE_API_TOKEN: "t", CACHE_PURGE_API_BASE: "https://attacker.example" } },
    );
    // Sent to api.cloudflare.com/client/v4/… (which the fake origin only echoes), not to attacker.example/zones/…
    expect(await res.json()).toMatchObject({ zone: { purged: false, status: 200 } });
    expect(await (await fetch(`http://127.0.0.1:9/zone-purges/${zone}`)).json()).toEqual([]);
  });
});
