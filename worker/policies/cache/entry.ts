/**
 * A cached response and the gateway's own freshness metadata, kept together in one Cache API
 * entry: the Cache API only stores and expires (it has no stale-while-revalidate, and it reads
 * `Cache-Control` to decide how long to keep an entry), so the gateway writes what it needs in a
 * header of its own and gives the stored copy a `Cache-Control` that covers fresh + stale time.
 * A hit reads one short header: no JSON, no second round trip.
 */
import { CACHE_TAG } from "./key";

/** Freshness metadata: `storedAt;freshUntil;staleUntil;varyDigest;vary names` (milliseconds since the epoch). */
const META = "x-loom-edge-cache";
/** The upstream's own `Cache-Control`, restored for the client. */
const ORIGINAL_CACHE_CONTROL = "x-loom-edge-cache-control";

export interface EntryMeta {
  storedAt: number;
  freshUntil: number;
  staleUntil: number;
  /** The digest of the varied request headers' values this entry was stored for ("" without `Vary`). */
  varyDigest: string;
  /** `Vary`'s names, lower case; empty without `Vary`. */
  varyNames: string[];
}

/** The copy to `cache.put`: the upstream's headers, the metadata, and a lifetime for the Cache API. */
export function storedCopy(response: Response, meta: EntryMeta): Response {
  const headers = new Headers(response.headers);
  const cacheControl = headers.get("cache-control");
  if (cacheControl === null) headers.delete(ORIGINAL_CACHE_CONTROL);
  else headers.set(ORIGINAL_CACHE_CONTROL, cacheControl);
  headers.set(META, [meta.storedAt, meta.freshUntil, meta.staleUntil, meta.varyDigest, meta.varyNames.join(" ")].join(";"));
  const keepSeconds = Math.max(1, Math.ceil((meta.staleUntil - meta.storedAt) / 1000));
  headers.set("cache-control", `max-age=${keepSeconds}`);
  headers.set("cache-tag", CACHE_TAG);
  // The Cache API keys on URLs; `Vary` on the stored copy would make it refuse or split entries
  // the gateway already keeps apart by key, and Set-Cookie is never stored (freshness.ts).
  headers.delete("vary");
  return new Response(response.body, { status: response.status, statusText: response.statusText, headers });
}

/** The metadata of a matched entry; undefined for an entry this release did not write. */
export function entryMeta(headers: Headers): EntryMeta | undefined {
  const value = headers.get(META);
  if (value === null) return undefined;
  const [storedAt, freshUntil, staleUntil, varyDigest = "", names = ""] = value.split(";");
  const meta = { storedAt: Number(storedAt), freshUntil: Number(freshUntil), staleUntil: Number(staleUntil) };
  if (!Number.isFinite(meta.storedAt) || !Number.isFinite(meta.freshUntil) || !Number.isFinite(meta.staleUntil)) return undefined;
  return { ...meta, varyDigest, varyNames: names ? names.split(" ") : [] };
}

/**
 * The matched entry as the client gets it: the upstream's `Cache-Control` and `Vary` back,
 * `Age` (RFC 9111 §5.1) counted from when it was stored, `X-Cache`.
 */
export function clientCopy(entry: Response, meta: EntryMeta, now: number, state: "HIT" | "STALE", head: boolean): Response {
  const headers = upstreamHeaders(entry.headers, meta);
  headers.set("age", String(Math.max(0, Math.floor((now - meta.storedAt) / 1000))));
  headers.set("x-cache", state);
  if (head) void entry.body?.cancel();
  return new Response(head ? null : entry.body, { status: entry.status, statusText: entry.statusText, headers });
}

/** The headers as the upstream sent them: its `Cache-Control` and `Vary` back, the metadata gone. */
export function upstreamHeaders(stored: Headers, meta: EntryMeta): Headers {
  const headers = new Headers(stored);
  const cacheControl = headers.get(ORIGINAL_CACHE_CONTROL);
  if (cacheControl === null) headers.delete("cache-control");
  else headers.set("cache-control", cacheControl);
  headers.delete(ORIGINAL_CACHE_CONTROL);
  headers.delete(META);
  headers.delete("cache-tag");
  if (meta.varyNames.length > 0) headers.set("vary", meta.varyNames.join(", "));
  return headers;
}

/** An upstream response passed to the client: the gateway's own header names are never the upstream's to set. */
export function withoutGatewayHeaders(headers: Headers): void {
  headers.delete(META);
  headers.delete(ORIGINAL_CACHE_CONTROL);
}
