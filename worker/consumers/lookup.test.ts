/**
 * The per-isolate key lookup cache against the real D1 tables: what is cached and for how
 * long, how many queries reach D1, bounds, invalidation, and that a D1 failure is never cached.
 */
import { env } from "cloudflare:workers";
import { HTTPException } from "hono/http-exception";
import { afterAll, beforeEach, describe, expect, it, vi } from "vitest";
import type { Env } from "../env";
import { mintKey, type MintedKey } from "./keys";
import { keyLookupCache, KEY_CACHE_TTL_MS } from "./lookup";
import { insertConsumer, insertKey, revokeKey, rotateKey } from "./store";

const TTL = KEY_CACHE_TTL_MS;

/** The test env with a D1 binding that counts queries and can be made to fail. */
function countingEnv() {
  const state = { queries: 0, down: false };
  const db = new Proxy(env.DB, {
    get(target, property) {
      if (property === "prepare") {
        return (sql: string) => {
          state.queries += 1;
          if (state.down) throw new Error("D1_ERROR: unavailable (test)");
          return target.prepare(sql);
        };
      }
      return Reflect.get(target, property);
    },
  });
  return { env: { ...env, DB: db } as Env, state };
}

let serial = 0;
async function storedKey(options: { allowedRoutes?: string[] } = {}): Promise<{ consumer: string; keyId: string; minted: MintedKey }> {
  const consumer = `lookup-${(serial += 1)}`;
  const now = new Date().toISOString();
  await insertConsumer(
    env.DB,
    { id: consumer, tenant: "t", allowed_routes: options.allowedRoutes, rate_limit: { requests_per_second: 3 } },
    now,
  );
  const minted = await mintKey();
  const keyId = crypto.randomUUID();
  await insertKey(env.DB, consumer, keyId, minted, now);
  return { consumer, keyId, minted };
}

const unknownHash = (n: number) => n.toString(16).padStart(64, "0");

// A frozen clock, moved only by the tests.
beforeEach(() => {
  vi.setSystemTime(Date.now());
  vi.restoreAllMocks();
});

afterAll(() => {
  vi.useRealTimers();
});

describe("keyLookupCache", () => {
  it("finds an active key's consumer, then answers from the cache until the TTL ends", async () => {
    const { consumer, minted } = await storedKey({ allowedRoutes: ["a"] });
    const cache = keyLookupCache();
    const { env: counted, state } = countingEnv();
    const expected = { consumer, tenant: "t", allowedRoutes: ["a"], rateLimit: { requests_per_second: 3 } };
    expect(await cache.lookup(minted.sha256, counted)).toEqual(expected);
    expect(await cache.lookup(minted.sha256, counted)).toEqual(expected);
    expect(state.queries).toBe(1);
    vi.setSystemTime(Date.now() + TTL);
    expect(await cache.lookup(minted.sha256, counted)).toEqual(expected);
    expect(state.queries).toBe(2);
  });

  it("caches a miss too, so a repeated wrong key costs one query per TTL", async () => {
    const cache = keyLookupCache();
    const { env: counted, state } = countingEnv();
    for (let i = 0; i < 5; i++) expect(await cache.lookup(unknownHash(1), counted)).toBeUndefined();
    expect(state.queries).toBe(1);
    vi.setSystemTime(Date.now() + TTL);
    expect(await cache.lookup(unknownHash(1), counted)).toBeUndefined();
    expect(state.queries).toBe(2);
  });

  it("shares one query among concurrent lookups of the same key", async () => {
    const { minted } = await storedKey();
    const cache = keyLookupCache();
    const { env: counted, state } = countingEnv();
    const answers = await Promise.all(Array.from({ length: 5 }, () => cache.lookup(minted.sha256, counted)));
    expect(new Set(answers.map((answer) => answer?.consumer)).size).toBe(1);
    expect(state.queries).toBe(1);
  });

  it("never caches a key past the end of its rotation grace period", async () => {
    const { consumer, keyId, minted } = await storedKey();
    const now = Date.now();
    const graceMs = 2 * TTL;
    await rotateKey(
      env.DB,
      consumer,
      keyId,
      crypto.randomUUID(),
      await mintKey(),
      new Date(now).toISOString(),
      new Date(now + graceMs).toISOString(),
    );
    const cache = keyLookupCache({ ttlMs: 10 * TTL, maxEntries: 10 });
    const { env: counted, state } = countingEnv();
    expect(await cache.lookup(minted.sha256, counted)).toMatchObject({ consumer });
    vi.setSystemTime(now + graceMs - 1);
    expect(await cache.lookup(minted.sha256, counted)).toMatchObject({ consumer });
    expect(state.queries).toBe(1);
    vi.setSystemTime(now + graceMs);
    expect(await cache.lookup(minted.sha256, counted)).toBeUndefined();
    expect(state.queries).toBe(2);
  });

  it("finds nothing for a revoked key or a disabled consumer's key", async () => {
    const revoked = await storedKey();
    await revokeKey(env.DB, revoked.consumer, revoked.keyId, new Date().toISOString());
    const disabled = await storedKey();
    await env.DB.prepare("UPDATE consumers SET disabled_at = ? WHERE id = ?").bind(new Date().toISOString(), disabled.consumer).run();
    const cache = keyLookupCache();
    expect(await cache.lookup(revoked.minted.sha256, env)).toBeUndefined();
    expect(await cache.lookup(disabled.minted.sha256, env)).toBeUndefined();
  });

  it("forgets everything, and does not store an answer read before it forgot", async () => {
    const { consumer, keyId, minted } = await storedKey();
    const cache = keyLookupCache();
    const { env: counted, state } = countingEnv();
    await cache.lookup(minted.sha256, counted);
    await revokeKey(env.DB, consumer, keyId, new Date().toISOString());
    expect(await cache.lookup(minted.sha256, counted)).toMatchObject({ consumer }); // cached, within the TTL
    cache.forget();
    expect(await cache.lookup(minted.sha256, counted)).toBeUndefined();
    expect(state.queries).toBe(2);

    const other = await storedKey();
    const racing = cache.lookup(other.minted.sha256, counted);
    cache.forget(); // an admin change lands while the query runs
    expect(await racing).toMatchObject({ consumer: other.consumer });
    expect(cache.sizes()).toEqual({ found: 0, missing: 0 });
  });

  it("fails closed with 503 when D1 fails, and caches nothing", async () => {
    const { minted } = await storedKey();
    const cache = keyLookupCache();
    const { env: counted, state } = countingEnv();
    state.down = true;
    vi.spyOn(console, "error").mockImplementation(() => {});
    const failure = await cache.lookup(minted.sha256, counted).catch((error: unknown) => error);
    expect(failure).toBeInstanceOf(HTTPException);
    expect((failure as HTTPException).status).toBe(503);
    await expect(cache.lookup(unknownHash(2), counted)).rejects.toBeInstanceOf(HTTPException);
    expect(cache.sizes()).toEqual({ found: 0, missing: 0 });
    state.down = false;
    expect(await cache.lookup(minted.sha256, counted)).toBeDefined();
  });

  it("holds at most maxEntries of each kind, so wrong keys cannot push out real ones", async () => {
    const known = await Promise.all([storedKey(), storedKey()]);
    const cache = keyLookupCache({ ttlMs: TTL, maxEntries: 3 });
    const { env: counted, state } = countingEnv();
    for (const { minted } of known) await cache.lookup(minted.sha256, counted);
    for (let i = 10; i < 20; i++) await cache.lookup(unknownHash(i), counted);
    expect(cache.sizes()).toEqual({ found: 2, missing: 3 });
    const before = state.queries;
    for (const { minted } of known) await cache.lookup(minted.sha256, counted);
    expect(state.queries).toBe(before);
    await cache.lookup(unknownHash(10), counted); // the oldest miss was dropped
    expect(state.queries).toBe(before + 1);
  });
});
