/**
 * What the AI cache stores of a provider's answer, and what a hit answers with.
 *
 * Stored: a 200 JSON answer of at most MAX_ENTRY_BYTES that the provider did not mark `no-store`
 * or `private` (RFC 9111 §5.2.2) and that sets no cookie. Only its Content-Type is kept: the
 * provider's other headers (request ids, processing times, rate-limit counters) describe the
 * request that produced it, not the one a hit answers.
 */
import { contentLength, mediaType } from "../../../http/body";

export const MAX_ENTRY_BYTES = 1024 * 1024;
/** When the entry was stored (ms since the epoch), for the hit's `Age`. */
const STORED_AT = "x-loom-edge-ai-stored-at";
/** The Cache-Tag of every AI entry: Cloudflare's zone purge API deletes them all by it. */
export const AI_CACHE_TAG = "loom-edge-ai-cache";

/** Whether the answer may be stored (its body is still unread). */
export function storable(response: Response): boolean {
  if (response.status !== 200 || response.headers.has("set-cookie")) return false;
  if (mediaType(response.headers) !== "application/json") return false;
  if (/(?:^|,)\s*(?:no-store|private)\b/i.test(response.headers.get("cache-control") ?? "")) return false;
  const length = contentLength(response.headers);
  return length === undefined || length <= MAX_ENTRY_BYTES;
}

/** The Cache API entry: the body, its type, and the gateway's own lifetime and timestamp. */
export function entryOf(body: Uint8Array, contentType: string, ttlSeconds: number, now: number): Response {
  return new Response(body, {
    headers: {
      "content-type": contentType,
      "cache-control": `max-age=${ttlSeconds}`,
      "cache-tag": AI_CACHE_TAG,
      [STORED_AT]: String(now),
    },
  });
}

/** The client's copy of an entry: `X-Cache: HIT` and its `Age` (RFC 9111 §5.1). */
export function hitOf(entry: Response, now: number): Response {
  const storedAt = Number(entry.headers.get(STORED_AT));
  const age = Number.isFinite(storedAt) ? Math.max(0, Math.floor((now - storedAt) / 1000)) : 0;
  return new Response(entry.body, {
    status: 200,
    headers: { "content-type": entry.headers.get("content-type") ?? "application/json", age: String(age), "x-cache": "HIT" },
  });
}
