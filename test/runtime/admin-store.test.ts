/**
 * Version allocation through the audit log (KV has no compare-and-set): one claim per
 * version, a lagging KV pointer, a change still being written, a change that failed after its
 * audit row, and concurrent admin changes.
 */
import { env } from "cloudflare:workers";
import { beforeEach, describe, expect, it, vi } from "vitest";
import { AuditVersionConflictError, writeAuditEvent } from "../../worker/audit";
import { KEYS } from "../../worker/config/kv";
import { invalidateCompiledConfig } from "../../worker/pipeline/config-cache";
import type { Env } from "../../worker/env";
import { admin, auditRows, currentVersion, json, putConfig, route, upstream } from "./admin-harness";

const doc = (id: string) => ({ upstreams: [upstream()], routes: [route(id)] });

/** A version record written as saveConfig writes it, without moving the pointer. */
async function storeRecord(version: number, document: Record<string, unknown>): Promise<void> {
  const meta = { created_at: new Date().toISOString(), actor: "token", action: "config_put" };
  await env.CONFIG.put(KEYS.version(version), JSON.stringify({ version, document, ...meta }), { metadata: meta });
}

const claim = (version: number) =>
  writeAuditEvent(env, { event: "config_change", actor: "token", action: "config_put", target: "config", newVersion: version });

beforeEach(() => invalidateCompiledConfig());

describe("version claims in the audit log", () => {
  it("let only one config_change claim a version, in the writer and in the database", async () => {
    await claim(5000);
    await expect(claim(5000)).rejects.toBeInstanceOf(AuditVersionConflictError);
    // Other events may name versions freely. The database refuses a second claim (migration 0006's trigger, before 0002's unique index).
    await writeAuditEvent(env, { event: "rate_limit", actor: "x", action: "x", newVersion: 5000 });
    await expect(
      env.DB.prepare(
        "INSERT INTO audit_log (event_id, ts, event, actor, action, new_version, prev_hash, hash) VALUES (?, ?, 'config_change', 'x', 'x', 5000, 'p', ?)",
      )
        .bind(crypto.randomUUID(), new Date().toISOString(), crypto.randomUUID())
        .run(),
    ).rejects.toThrow(/config version exists/);
    // Complete the claimed version so later changes are not held up by it.
    await storeRecord(5000, doc("claimed"));
    await env.CONFIG.put(KEYS.pointer, JSON.stringify({ version: 5000 }));
  });

  it("treat a newer version whose record KV holds as current while the pointer lags", async () => {
    const current = (await putConfig(doc("old"))).version;
    await claim(current + 1);
    await storeRecord(current + 1, doc("new"));

    const res = await admin("/config");
    expect(res.headers.get("ETag")).toBe(`"${current + 1}"`);
    expect(await res.json()).toEqual(doc("new"));
    // A change based on the version the pointer still names is stale.
    const stale = await admin("/config", json("PUT", doc("stale"), { "If-Match": `"${current}"` }));
    expect(stale.status).toBe(412);
    expect(await stale.json()).toMatchObject({ current_version: current + 1 });
    const saved = await putConfig(doc("next"), { "If-Match": `"${current + 1}"` });
    expect(saved.version).toBe(current + 2);
    expect(await env.CONFIG.get(KEYS.pointer, "json")).toEqual({ version: current + 2 });
  });

  it("skip a version whose change failed long ago between its audit row and KV (a hole)", async () => {
    const current = (await putConfig(doc("before-hole"))).version;
    const hole = current + 1;
    const longAgo = new Date(Date.now() - 3_600_000).toISOString();
    await env.DB.prepare(
      "INSERT INTO audit_log (event_id, ts, event, actor, action, new_version, prev_hash, hash) VALUES (?, ?, 'config_change', 'token', 'config_put', ?, ?, ?)",
    )
      .bind(crypto.randomUUID(), longAgo, hole, "0".repeat(64), crypto.randomUUID())
      .run();
    expect(await currentVersion()).toBe(current);
    const saved = await putConfig(doc("after-hole"), { "If-Match": `"${current}"` });
    expect(saved.version).toBe(hole + 1);
    expect(await currentVersion()).toBe(hole + 1);
  });

  it("hold changes with 409 while a claimed version is still being written, then let them through", async () => {
    const current = (await putConfig(doc("steady"))).version;
    await claim(current + 1);
    const res = await admin("/config", json("PUT", doc("held")));
    expect(res.status).toBe(409);
    expect(res.headers.get("Retry-After")).toBe("1");
    expect(((await res.json()) as { error: string }).error).toBe("change_in_progress");
    expect(await currentVersion()).toBe(current);

    // The other change lands; ours goes through on top of it.
    await storeRecord(current + 1, doc("other"));
    await env.CONFIG.put(KEYS.pointer, JSON.stringify({ version: current + 1 }));
    expect((await putConfig(doc("held"))).version).toBe(current + 2);
  });

  it("let one of two concurrent unconditional changes win and answer the other 409 or let it follow", async () => {
    const current = await currentVersion();
    const results = await Promise.all(["c1", "c2", "c3"].map((id) => admin("/config", json("PUT", doc(id)))));
    const statuses = results.map((res) => res.status);
    expect(statuses).toContain(200);
    for (const status of statuses) expect([200, 409]).toContain(status);
    const versions = (await auditRows("event = 'config_change' AND new_version > ?", current)).map((row) => row.new_version);
    expect(new Set(versions).size).toBe(versions.length);
  });
});

describe("a KV failure after the audit row", () => {
  it("answers 503 store_unavailable; the audit row records the attempt and the version is not served", async () => {
    const current = (await putConfig(doc("kv-ok"))).version;
    const readOnlyKv = new Proxy(env.CONFIG, {
      get(target, property) {
        if (property === "put") return () => Promise.reject(new Error("KV PUT failed: 429 Too Many Requests (test)"));
        const value = Reflect.get(target, property);
        return typeof value === "function" ? value.bind(target) : value;
      },
    });
    const broken: Env = { ...env, CONFIG: readOnlyKv };
    const errors = vi.spyOn(console, "error").mockImplementation(() => {});
    const res = await admin("/config", { ...json("PUT", doc("kv-failed")), env: broken });
    expect(errors).toHaveBeenCalledWith(expect.stringContaining('"event":"store_unavailable"'));
    errors.mockRestore();
    expect(res.status).toBe(503);
    expect(((await res.json()) as { error: string }).error).toBe("store_unavailable");
    expect((await auditRows("event = 'config_change'")).at(-1)).toMatchObject({ new_version: current + 1 });
    expect(await currentVersion()).toBe(current);
    expect(await env.CONFIG.get(KEYS.version(current + 1))).toBeNull();
  });
});
