/**
 * The audit log: hash chain (checked against the formula, written independently here),
 * concurrent writers, version claims, idempotent event ids, secret scrubbing, the database
 * triggers, and changes refused when the audit log cannot be written.
 */
import { env } from "cloudflare:workers";
import { afterEach, beforeEach, describe, expect, it, vi, type MockInstance } from "vitest";
import { GENESIS_HASH, verifyAuditChain, writeAuditEvent, type AuditEvent } from "../../worker/audit";
import { KEYS } from "../../worker/config/kv";
import { invalidateCompiledConfig } from "../../worker/pipeline/config-cache";
import { admin, auditRows, currentVersion, envWithBrokenDb, json, putConfig, route, upstream } from "./admin-harness";

const event = (overrides: Partial<AuditEvent> = {}): AuditEvent => ({
  event: "config_change",
  actor: "token",
  action: "test",
  target: "config",
  ip: "192.0.2.1",
  userAgent: "test",
  requestId: "req-1",
  ...overrides,
});

/** The documented formula, written out again: SHA-256 hex of prev_hash "\n" sorted-key JSON. */
async function expectedHash(row: Record<string, unknown>): Promise<string> {
  const { id: _id, prev_hash, hash: _hash, ...fields } = row;
  const sorted = Object.fromEntries(
    Object.keys(fields)
      .sort()
      .map((key) => [key, fields[key]]),
  );
  const digest = await crypto.subtle.digest("SHA-256", new TextEncoder().encode(`${String(prev_hash)}\n${JSON.stringify(sorted)}`));
  return [...new Uint8Array(digest)].map((byte) => byte.toString(16).padStart(2, "0")).join("");
}

beforeEach(() => invalidateCompiledConfig());

describe("the hash chain", () => {
  it("starts at 64 zeros and links every row to the one before", async () => {
    await writeAuditEvent(env, event({ action: "first" }));
    await writeAuditEvent(env, event({ action: "second", details: { n: 2 } }));
    const rows = await auditRows();
    expect(rows[0]!.prev_hash).toBe(GENESIS_HASH);
    expect(GENESIS_HASH).toBe("0".repeat(64));
    for (const [index, row] of rows.entries()) {
      expect(row.hash).toBe(await expectedHash(row as unknown as Record<string, unknown>));
      if (index > 0) expect(row.prev_hash).toBe(rows[index - 1]!.hash);
    }
    expect(await verifyAuditChain(env)).toEqual({
      ok: true,
      rows: rows.length,
      head: rows.at(-1)!.hash,
      anchor: "anchored",
      checkpoint: null,
    });
  });

  it("returns what it stored", async () => {
    const written = await writeAuditEvent(env, event({ oldVersion: 1, details: { b: 1, a: [2, { d: 3, c: 4 }] } }));
    const [stored] = await auditRows("id = ?", written.id);
    expect(stored).toEqual(written);
    expect(written.details).toBe('{"a":[2,{"c":4,"d":3}],"b":1}');
    expect(written.event_id).toMatch(/^[0-9a-f-]{36}$/);
    expect(written.new_version).toBeNull();
  });

  it("stays one chain under concurrent writers", async () => {
    const before = (await auditRows()).length;
    const written = await Promise.all(Array.from({ length: 12 }, (_, i) => writeAuditEvent(env, event({ action: `concurrent-${i}` }))));
    expect(new Set(written.map((row) => row.prev_hash)).size).toBe(12);
    expect(await auditRows()).toHaveLength(before + 12);
    expect((await verifyAuditChain(env)).ok).toBe(true);
  });

  it("stores an event id once: a retried write returns the stored row", async () => {
    const eventId = crypto.randomUUID();
    const first = await writeAuditEvent(env, event({ eventId, action: "once" }));
    const again = await writeAuditEvent(env, event({ eventId, action: "once" }));
    expect(again).toEqual(first);
    expect(await auditRows("event_id = ?", eventId)).toHaveLength(1);
  });

  it("never stores a credential in details", async () => {
    const written = await writeAuditEvent(
      env,
      event({
        details: {
          kept: "yes",
          password: "p1",
          client_secret: "p2",
          access_token: "p3",
          api_key: "p4",
          Authorization: "Bearer p5",
          nested: { keys: ["p6"], list: [{ refresh_token: "p7", fine: 1 }] },
          note: "retried with Bearer p8-credential and /cb?access_token=p9-credential",
        },
      }),
    );
    expect(JSON.parse(written.details)).toEqual({
      kept: "yes",
      nested: { list: [{ fine: 1 }] },
      note: "retried with Bearer [REDACTED] and /cb?access_token=[REDACTED]",
    });
    for (const secret of ["p1", "p2", "p3", "p4", "p5", "p6", "p7", "p8", "p9"]) expect(written.details).not.toContain(secret);
  });

  it("caps request-supplied text", async () => {
    const written = await writeAuditEvent(env, event({ target: "/".repeat(10_000), userAgent: "u".repeat(10_000) }));
    expect(written.target.length).toBe(512);
    expect(written.user_agent.length).toBe(512);
  });
});

describe("the database refuses to rewrite history", () => {
  it("refuses UPDATE and DELETE with the triggers", async () => {
    const row = await writeAuditEvent(env, event());
    await expect(env.DB.prepare("UPDATE audit_log SET actor = 'mallory' WHERE id = ?").bind(row.id).run()).rejects.toThrow(
      /append-only: UPDATE refused/,
    );
    await expect(env.DB.prepare("DELETE FROM audit_log WHERE id = ?").bind(row.id).run()).rejects.toThrow(
      /append-only: DELETE refused \(no checkpoint covers this row\)/,
    );
    await expect(env.DB.prepare("DELETE FROM audit_log").run()).rejects.toThrow(/append-only/);
    expect((await auditRows("id = ?", row.id))[0]).toEqual(row);
  });
});

describe("changes when the audit log cannot be written", () => {
  const broken = () => envWithBrokenDb();
  let errors: MockInstance<typeof console.error>;
  beforeEach(() => {
    errors = vi.spyOn(console, "error").mockImplementation(() => {});
  });
  afterEach(() => errors.mockRestore());

  async function expectRefused(res: Response): Promise<void> {
    expect(res.status).toBe(503);
    expect(((await res.json()) as { error: string }).error).toBe("audit_unavailable");
  }

  it("refuses every kind of change with 503 and changes nothing", async () => {
    const saved = await putConfig({ upstreams: [upstream()], routes: [route("a")] });
    const document = await (await admin("/config")).json();
    const rows = (await auditRows()).length;

    await expectRefused(await admin("/config", { ...json("PUT", { upstreams: [upstream("other")] }), env: broken() }));
    await expectRefused(await admin("/config/rollback", { ...json("POST", { version: saved.version }), env: broken() }));
    await expectRefused(await admin("/routes/b", { ...json("PUT", route("b")), env: broken() }));
    await expectRefused(await admin("/routes/a", { method: "DELETE", env: broken() }));
    await expectRefused(await admin("/upstreams/spare", { ...json("PUT", upstream("spare")), env: broken() }));
    await expectRefused(await admin("/documents/etc/x.json", { ...json("PUT", { type: "object" }), env: broken() }));

    expect(await currentVersion()).toBe(saved.version);
    expect(await (await admin("/config")).json()).toEqual(document);
    expect(await env.CONFIG.get(KEYS.version(saved.version + 1))).toBeNull();
    expect(await env.CONFIG.get(KEYS.document("/etc/x.json"))).toBeNull();
    expect(await auditRows()).toHaveLength(rows);
    expect(errors).toHaveBeenCalledWith(expect.stringContaining('"event":"audit_unavailable"'));
  });

  it("still validates (nothing is changed by a dry run)", async () => {
    const res = await admin("/config/validate", { ...json("POST", { upstreams: [upstream()] }), env: broken() });
    expect(res.status).toBe(200);
  });
});
