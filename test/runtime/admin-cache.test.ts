/**
 * The per-isolate cache of the compiled config: served without KV reads within the TTL,
 * refreshed after it or after invalidation, one refresh shared by concurrent requests, and
 * the last good config kept when KV fails or holds something unusable.
 */
import { env } from "cloudflare:workers";
import { beforeEach, describe, expect, it, vi } from "vitest";
import { KEYS } from "../../worker/config/kv";
import { getCompiledConfig, invalidateCompiledConfig } from "../../worker/pipeline/config-cache";
import type { Env } from "../../worker/env";
import { envWithBrokenKv, putConfig, route, upstream } from "./admin-harness";

const doc = (id: string) => ({ upstreams: [upstream()], routes: [route(id)] });
const withTtl = (ms: number, base: Env = env): Env => ({ ...base, CONFIG_CACHE_TTL_MS: String(ms) });
const FOREVER = 3_600_000;

/** Publishes a version straight into KV, as another isolate's admin change would. */
async function publishElsewhere(version: number, document: Record<string, unknown>): Promise<void> {
  const meta = { created_at: new Date().toISOString(), actor: "token", action: "config_put" };
  await env.CONFIG.put(KEYS.version(version), JSON.stringify({ version, document, ...meta }), { metadata: meta });
  await env.CONFIG.put(KEYS.pointer, JSON.stringify({ version }));
}

/** Counts KV reads and lets a test hold them until it opens the gate. */
function instrumentedKv() {
  let open: () => void = () => {};
  let gate: Promise<void> = Promise.resolve();
  const counts = { get: 0 };
  const kv = new Proxy(env.CONFIG, {
    get(target, property) {
      const value = Reflect.get(target, property);
      if (property !== "get") return typeof value === "function" ? value.bind(target) : value;
      return async (...args: unknown[]) => {
        counts.get += 1;
        await gate;
        return (value as (...a: unknown[]) => Promise<unknown>).apply(target, args);
      };
    },
  });
  return {
    kv,
    counts,
    close() {
      gate = new Promise((resolve) => (open = resolve));
    },
    open: () => open(),
  };
}

beforeEach(() => invalidateCompiledConfig());

describe("the isolate cache", () => {
  it("serves the cached config within the TTL and picks up a change after invalidation", async () => {
    const saved = await putConfig(doc("one"));
    const first = await getCompiledConfig(withTtl(FOREVER));
    expect(first.version).toBe(saved.version);
    expect(first.config.routes.map((r) => r.id)).toEqual(["one"]);

    await publishElsewhere(saved.version + 1, doc("two"));
    expect(await getCompiledConfig(withTtl(FOREVER))).toBe(first);

    invalidateCompiledConfig();
    const second = await getCompiledConfig(withTtl(FOREVER));
    expect(second.version).toBe(saved.version + 1);
    expect(second.config.routes.map((r) => r.id)).toEqual(["two"]);
  });

  it("sees an admin change in the same isolate at once (the admin API invalidates)", async () => {
    const before = await getCompiledConfig(withTtl(FOREVER));
    const saved = await putConfig(doc("same-isolate"));
    const after = await getCompiledConfig(withTtl(FOREVER));
    expect(after.version).toBe(saved.version);
    expect(after).not.toBe(before);
  });

  it("re-reads only the revision keys once the TTL has passed, and picks up another isolate's change", async () => {
    const saved = await putConfig(doc("ttl"));
    const cached = await getCompiledConfig(withTtl(0));
    const probe = instrumentedKv();
    // Unchanged: one bulk read of the pointer and the documents revision, the same object.
    expect(await getCompiledConfig(withTtl(0, { ...env, CONFIG: probe.kv }))).toBe(cached);
    expect(probe.counts.get).toBe(1);

    await publishElsewhere(saved.version + 1, doc("ttl-next"));
    expect((await getCompiledConfig(withTtl(0))).version).toBe(saved.version + 1);
  });

  it("shares one refresh between concurrent requests of a cold or invalidated isolate", async () => {
    await putConfig(doc("herd"));
    const probe = instrumentedKv();
    probe.close();
    const pending = Array.from({ length: 10 }, () => getCompiledConfig(withTtl(FOREVER, { ...env, CONFIG: probe.kv })));
    probe.open();
    const results = await Promise.all(pending);
    expect(new Set(results).size).toBe(1);
    // One bulk read of the revision keys, one of the version record.
    expect(probe.counts.get).toBe(2);
  });

  it("lets other requests keep the cached config while one refreshes after the TTL", async () => {
    await putConfig(doc("stale-while-refresh"));
    const cached = await getCompiledConfig(withTtl(0));
    const probe = instrumentedKv();
    probe.close();
    const refreshing = getCompiledConfig(withTtl(0, { ...env, CONFIG: probe.kv }));
    // Resolves although the refresh's KV read is still held.
    expect(await getCompiledConfig(withTtl(0, { ...env, CONFIG: probe.kv }))).toBe(cached);
    probe.open();
    expect(await refreshing).toBe(cached);
  });

  it("keeps serving the last good config when KV fails", async () => {
    const saved = await putConfig(doc("last-good"));
    const good = await getCompiledConfig(env);
    expect(good.version).toBe(saved.version);
    const errors = vi.spyOn(console, "error").mockImplementation(() => {});
    expect(await getCompiledConfig(withTtl(0, envWithBrokenKv()))).toBe(good);
    invalidateCompiledConfig();
    expect(await getCompiledConfig(envWithBrokenKv())).toBe(good);
    expect(errors).toHaveBeenCalledWith(expect.stringContaining("config_refresh_failed"));
    errors.mockRestore();
  });

  it("keeps the last good config when KV holds a version this release cannot use", async () => {
    const saved = await putConfig(doc("usable"));
    const good = await getCompiledConfig(env);
    const errors = vi.spyOn(console, "error").mockImplementation(() => {});
    // A version the current schema refuses (written by another release).
    await publishElsewhere(saved.version + 1, { routes: [], legacy: true });
    expect(await getCompiledConfig(withTtl(0))).toBe(good);
    // A pointer naming a record that is not there.
    await env.CONFIG.put(KEYS.pointer, JSON.stringify({ version: saved.version + 50 }));
    expect(await getCompiledConfig(withTtl(0))).toBe(good);
    errors.mockRestore();

    await publishElsewhere(saved.version + 2, doc("fixed"));
    expect((await getCompiledConfig(withTtl(0))).version).toBe(saved.version + 2);
  });
});

describe("a cold isolate", () => {
  it("compiles the empty config (version 0) before anything was saved", async () => {
    vi.resetModules();
    const fresh = await import("../../worker/pipeline/config-cache");
    await env.CONFIG.delete(KEYS.pointer);
    const compiled = await fresh.getCompiledConfig(env);
    expect(compiled.version).toBe(0);
    expect(compiled.config.routes).toEqual([]);
  });

  it("that cannot load any config gets one whose gateway fails closed with 503", async () => {
    vi.resetModules();
    const fresh = await import("../../worker/pipeline/config-cache");
    const errors = vi.spyOn(console, "error").mockImplementation(() => {});
    const compiled = await fresh.getCompiledConfig(envWithBrokenKv());
    errors.mockRestore();
    expect(compiled.version).toBe(0);
    await expect(Promise.resolve().then(() => compiled.pipeline({} as never, async () => {}))).rejects.toMatchObject({ status: 503 });
  });
});
