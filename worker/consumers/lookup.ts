/**
 * The api_key scheme's consumer-store lookup (`lookupKeyHash`), with a per-isolate cache.
 *
 * - Positive and negative answers are kept for KEY_CACHE_TTL_MS (5 s): a key revoked, rotated
 *   out or disabled in another isolate stops working here within 5 s, and a client repeating a
 *   wrong key costs one D1 query per 5 s, not one per request. A key rotated with a grace
 *   period is never cached past the end of that period.
 * - The isolate that makes an admin change forgets everything at once (`forgetConsumerKeys`),
 *   so there the change applies to the very next request.
 * - Bounded: each of the two caches holds at most MAX_ENTRIES digests, the oldest dropped
 *   first. They are separate so a flood of distinct wrong keys can only push out other wrong
 *   keys, never the keys of real consumers.
 * - Concurrent requests with the same key share one query, kept alive by the `waitUntil` of the
 *   request that started it: that request's client going away leaves no other waiting
 *   (http/shared-work.ts).
 * - D1 failing is never cached and never admits: the request fails closed with 503.
 */
import type { Env } from "../env";
import { httpError } from "../http/errors";
import { sharedWork } from "../http/shared-work";
import type { KeyHashLookup, StoredConsumer } from "./stored-consumer";
import { findKeyOwner } from "./store";
import { errorName, log } from "../observability/logger";

export const KEY_CACHE_TTL_MS = 5_000;
const MAX_ENTRIES = 10_000;

/** A map whose entries expire, holding at most `max` of them (oldest inserted dropped first). */
class ExpiringMap<V> {
  private readonly entries = new Map<string, { value: V; expiresAt: number }>();

  constructor(private readonly max: number) {}

  get(key: string, now: number): V | undefined {
    const entry = this.entries.get(key);
    if (entry === undefined) return undefined;
    if (entry.expiresAt > now) return entry.value;
    this.entries.delete(key);
    return undefined;
  }

  set(key: string, value: V, expiresAt: number): void {
    this.entries.delete(key);
    if (this.entries.size >= this.max) this.entries.delete(this.entries.keys().next().value!);
    this.entries.set(key, { value, expiresAt });
  }

  get size(): number {
    return this.entries.size;
  }

  clear(): void {
    this.entries.clear();
  }
}

export interface KeyLookupCache {
  lookup: KeyHashLookup;
  /** Forgets every cached answer, after an admin change in this isolate. */
  forget(): void;
  /** Entries held (found, not found); for tests. */
  sizes(): { found: number; missing: number };
}

export function keyLookupCache(
  options: { ttlMs: number; maxEntries: number } = { ttlMs: KEY_CACHE_TTL_MS, maxEntries: MAX_ENTRIES },
): KeyLookupCache {
  const found = new ExpiringMap<StoredConsumer>(options.maxEntries);
  const missing = new ExpiringMap<true>(options.maxEntries);
  const pending = new Map<string, Promise<StoredConsumer | undefined>>();
  /** Bumped by `forget`, so a query that started before a change cannot store its stale answer. */
  let generation = 0;

  async function query(sha256: string, env: Env): Promise<StoredConsumer | undefined> {
    const started = generation;
    const now = Date.now();
    let answer: Awaited<ReturnType<typeof findKeyOwner>>;
    try {
      answer = await findKeyOwner(env.DB, sha256, new Date(now).toISOString());
    } catch (error) {
      log.error("consumer_store_unavailable", { name: errorName(error) });
      throw httpError("auth_unavailable", "API keys cannot be checked right now; retry shortly", {
        headers: { "Retry-After": "1" },
      });
    }
    if (generation === started) {
      const expiresAt = now + options.ttlMs;
      if (!answer) missing.set(sha256, true, expiresAt);
      else found.set(sha256, answer.owner, answer.revokedAt === null ? expiresAt : Math.min(expiresAt, Date.parse(answer.revokedAt)));
    }
    return answer?.owner;
  }

  return {
    async lookup(sha256, env, ctx) {
      const now = Date.now();
      const hit = found.get(sha256, now);
      if (hit) return hit;
      if (missing.get(sha256, now)) return undefined;
      let inFlight = pending.get(sha256);
      if (!inFlight) {
        const started = sharedWork(
          query(sha256, env).finally(() => {
            if (pending.get(sha256) === started) pending.delete(sha256);
          }),
          ctx,
        );
        pending.set(sha256, started);
        inFlight = started;
      }
      return inFlight;
    },
    forget() {
      generation += 1;
      found.clear();
      missing.clear();
      pending.clear();
    },
    sizes: () => ({ found: found.size, missing: missing.size }),
  };
}

/** This isolate's cache: `lookupKeyHash` of every compiled config, forgotten by admin changes. */
const isolateCache = keyLookupCache();
export const lookupConsumerKey: KeyHashLookup = isolateCache.lookup;
export const forgetConsumerKeys = (): void => isolateCache.forget();
