/**
 * The isolate's own copy of small, hot cache entries, in front of the data centre's Cache API
 * (as a CDN keeps a hot tier in memory before its disk): a hit on it costs a Map lookup and
 * a Response built from bytes already in memory, no Cache API round trip. That is what lets a
 * cache hit cost less than forwarding the request (README "Response cache", `npm run bench`).
 *
 * - It holds what the Cache API was given, under the same keys, with the same metadata: an entry
 *   is put here when it is stored or first matched there, and deleted here when deleted there.
 *   Freshness, staleness and purges (by the entry's `storedAt`) are decided on the metadata exactly
 *   as for a Cache API entry. (The data centre may evict an entry sooner than its lifetime; the
 *   copy here may then serve out that lifetime, as the data centre's copy would have.)
 * - Bounded: entries of at most MAX_ENTRY_BYTES, at most MAX_BYTES in all (headers counted
 *   roughly), least recently used out first. It belongs to one compiled config: a new config
 *   version (or a purge in this isolate) starts an empty one.
 */
import type { EntryMeta } from "./entry";

/** Bodies larger than this are served from the Cache API only (a stream, never held whole). */
export const MAX_ENTRY_BYTES = 64 * 1024;
/** All entries of an isolate together; an isolate has 128 MB. */
export const MAX_BYTES = 8 * 1024 * 1024;

export interface HeldEntry {
  status: number;
  statusText: string;
  /** The headers as stored in the Cache API (with the gateway's metadata header). */
  stored: Headers;
  body: Uint8Array;
  meta: EntryMeta;
  bytes: number;
}

export class MemoryTier {
  readonly #entries = new Map<string, HeldEntry>();
  #bytes = 0;

  constructor(private readonly maxBytes = MAX_BYTES) {}

  /** The entry under `key`, now the most recently used. */
  get(key: string): HeldEntry | undefined {
    const entry = this.#entries.get(key);
    if (entry) {
      this.#entries.delete(key);
      this.#entries.set(key, entry);
    }
    return entry;
  }

  /** Keeps `stored` (a Cache API copy) and its body under `key`, evicting the least recently used beyond the budget. */
  set(key: string, stored: Response, body: Uint8Array, meta: EntryMeta): void {
    this.delete(key);
    if (body.byteLength > MAX_ENTRY_BYTES) return;
    let headerBytes = 0;
    for (const [name, value] of stored.headers) headerBytes += name.length + value.length;
    const entry = {
      status: stored.status,
      statusText: stored.statusText,
      stored: stored.headers,
      body,
      meta,
      bytes: body.byteLength + headerBytes,
    };
    this.#entries.set(key, entry);
    this.#bytes += entry.bytes;
    for (const [oldest, held] of this.#entries) {
      if (this.#bytes <= this.maxBytes) break;
      this.#entries.delete(oldest);
      this.#bytes -= held.bytes;
    }
  }

  delete(key: string): void {
    const entry = this.#entries.get(key);
    if (!entry) return;
    this.#entries.delete(key);
    this.#bytes -= entry.bytes;
  }

  get size(): number {
    return this.#entries.size;
  }
}

/** A Response of a held entry, as `cache.match` would return it. */
export function heldResponse(entry: HeldEntry): Response {
  return new Response(entry.body, { status: entry.status, statusText: entry.statusText, headers: entry.stored });
}
