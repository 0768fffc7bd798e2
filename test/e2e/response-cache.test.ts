/**
 * Loom's `cache` block over real HTTP: `wrangler dev` (its local Cache API) in front of a Node
 * origin on 127.0.0.1 that answers with the response headers each request's query names and
 * counts what reaches it: hits, misses, staleness and revalidation, bypass, the never-cached
 * cases, 304s, Vary and a purge.
 */
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { marker, sleep, startGateway, type Gateway } from "./harness";

interface Seen {
  ifNoneMatch: string | undefined;
}

/** `/<id>?h-<name>=<value>`: those response headers; 304 when If-None-Match equals h-etag; counts per id. */
function startOrigin(): Promise<{ server: Server; endpoint: string; seen: Map<string, Seen[]> }> {
  const seen = new Map<string, Seen[]>();
  const server = createServer((req, res) => {
    const url = new URL(`http://origin.invalid${req.url ?? "/"}`);
    const id = url.pathname.split("/")[1] ?? "";
    const list = seen.get(id) ?? [];
    seen.set(id, list);
    const ifNoneMatch = req.headers["if-none-match"];
    list.push({ ifNoneMatch });
    const headers: Record<string, string> = { "Content-Type": "text/plain" };
    for (const [name, value] of url.searchParams) if (name.startsWith("h-")) headers[name.slice(2)] = value;
    if (headers.etag !== undefined && ifNoneMatch === headers.etag) return res.writeHead(304, headers).end();
    res.writeHead(200, headers).end(`answer ${list.length} for ${id} variant=${req.headers["x-variant"] ?? "-"}`);
  });
  return new Promise((resolve) => {
    server.listen(0, "127.0.0.1", () => {
      resolve({ server, endpoint: `127.0.0.1:${(server.address() as AddressInfo).port}`, seen });
    });
  });
}

let gateway: Gateway;
let origin: Awaited<ReturnType<typeof startOrigin>>;

beforeAll(async () => {
  origin = await startOrigin();
  gateway = await startGateway();
  const res = await gateway.putConfig({
    routes: [
      { id: "cached", path: "/c/*", upstream: "origin", strip_prefix: true },
      { id: "keyed", path: "/k/*", upstream: "origin", strip_prefix: true, auth: { type: "api_key", keys: ["${DEMO_API_KEY}"] } },
    ],
    upstreams: [{ name: "origin", endpoints: [origin.endpoint] }],
    cache: { enabled: true, default_ttl: "5m", stale_while_revalidate: "30s", bypass_header: "X-Cache-Bypass", max_size: "100MB" },
  });
  const body = await res.text();
  expect(res.status, body).toBe(200);
  expect(body).toMatch(/cache\.max_size: ignored at the edge/);
});

afterAll(async () => {
  await gateway?.stop();
  await new Promise<void>((resolve) => origin?.server.close(() => resolve()));
});

const url = (prefix: string, id: string, headers: Record<string, string> = {}) => {
  const query = new URLSearchParams(Object.entries(headers).map(([name, value]): [string, string] => [`h-${name}`, value])).toString();
  return `/${prefix}/${id}${query ? `?${query}` : ""}`;
};
const hits = (id: string) => origin.seen.get(id)?.length ?? 0;

async function get(path: string, headers: Record<string, string> = {}) {
  const res = await gateway.fetch(path, { headers });
  return { status: res.status, cache: res.headers.get("x-cache"), headers: res.headers, body: await res.text() };
}

/** Waits (bounded) until the origin has seen `count` requests for `id`: a background revalidation ends after its response. */
async function originReaches(id: string, count: number): Promise<number> {
  for (let i = 0; i < 50 && hits(id) < count; i++) await sleep(100);
  return hits(id);
}

describe("the response cache over real HTTP", () => {
  it("MISS, then HIT without reaching the origin", async () => {
    const id = marker();
    const first = await get(url("c", id, { "cache-control": "max-age=60" }));
    expect(first).toMatchObject({ status: 200, cache: "MISS" });
    const second = await get(url("c", id, { "cache-control": "max-age=60" }));
    expect(second).toMatchObject({ status: 200, cache: "HIT", body: first.body });
    expect(second.headers.get("cache-control")).toBe("max-age=60");
    expect(hits(id)).toBe(1);
  });

  it("BYPASS goes to the origin and writes nothing", async () => {
    const id = marker();
    expect((await get(url("c", id), { "X-Cache-Bypass": "1" })).cache).toBe("BYPASS");
    expect((await get(url("c", id))).cache).toBe("MISS");
    expect(hits(id)).toBe(2);
  });

  it.each([
    ["Set-Cookie", { "set-cookie": "s=1", "cache-control": "max-age=60" }],
    ["private", { "cache-control": "private, max-age=60" }],
    ["no-store", { "cache-control": "no-store" }],
  ])("never caches a response with %s", async (_name, headers) => {
    const id = marker();
    await get(url("c", id, headers));
    expect((await get(url("c", id, headers))).cache).toBe("MISS");
    expect(hits(id)).toBe(2);
  });

  it("caches an authenticated request's response only when public", async () => {
    const key = { "X-API-Key": gateway.secrets.DEMO_API_KEY! };
    const id = marker();
    await get(url("k", id, { "cache-control": "max-age=60" }), key);
    expect((await get(url("k", id, { "cache-control": "max-age=60" }), key)).cache).toBe("MISS");
    const pub = marker();
    await get(url("k", pub, { "cache-control": "public, max-age=60" }), key);
    expect((await get(url("k", pub, { "cache-control": "public, max-age=60" }), key)).cache).toBe("HIT");
    expect((await get(url("k", pub, { "cache-control": "public, max-age=60" }))).status).toBe(401);
  });

  it("answers If-None-Match with 304 from the cache", async () => {
    const id = marker();
    const headers = { "cache-control": "max-age=60", etag: '"abc"' };
    await get(url("c", id, headers));
    const res = await get(url("c", id, headers), { "If-None-Match": '"abc"' });
    expect(res).toMatchObject({ status: 304, cache: "HIT", body: "" });
    expect(hits(id)).toBe(1);
  });

  it("keeps Vary variants apart", async () => {
    const id = marker();
    const headers = { "cache-control": "max-age=60", vary: "X-Variant" };
    await get(url("c", id, headers), { "X-Variant": "a" });
    await get(url("c", id, headers), { "X-Variant": "b" });
    const a = await get(url("c", id, headers), { "X-Variant": "a" });
    const b = await get(url("c", id, headers), { "X-Variant": "b" });
    expect([a.cache, b.cache]).toEqual(["HIT", "HIT"]);
    expect(a.body).toMatch(/variant=a/);
    expect(b.body).toMatch(/variant=b/);
    expect(hits(id)).toBe(2);
  });

  it("serves a stale entry at once and revalidates it in the background with If-None-Match", async () => {
    const id = marker();
    const headers = { "cache-control": "max-age=1", etag: '"e1"' };
    const first = await get(url("c", id, headers));
    await sleep(1200);
    const stale = await get(url("c", id, headers));
    expect(stale).toMatchObject({ cache: "STALE", body: first.body });
    expect(await originReaches(id, 2)).toBe(2);
    expect(origin.seen.get(id)![1]).toEqual({ ifNoneMatch: '"e1"' });
    // The 304 refreshed the entry: fresh again.
    for (let i = 0; i < 20; i++) {
      const next = await get(url("c", id, headers));
      if (next.cache === "HIT") return expect(next.body).toBe(first.body);
      await sleep(50);
    }
    throw new Error("the entry was not refreshed");
  });

  it("POST /admin/cache/purge makes a URL's entries misses", async () => {
    const id = marker();
    await get(url("c", id));
    expect((await get(url("c", id))).cache).toBe("HIT");
    const res = await gateway.admin("/cache/purge", {
      method: "POST",
      headers: { "Content-Type": "application/json" },
      body: JSON.stringify({ urls: [`${gateway.url}${url("c", id)}`] }),
    });
    expect(res.status, await res.clone().text()).toBe(200);
    // The purging isolate applies it at once; wrangler dev runs one isolate.
    expect((await get(url("c", id))).cache).toBe("MISS");
  });
});
