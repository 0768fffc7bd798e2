/**
 * verifyAuditChain, and GET /admin/audit/verify with it, find the first broken link. The
 * triggers refuse UPDATE and DELETE through SQL, so this file drops them first, as someone with
 * direct access to the database could, and starts every test from a fresh chain.
 */
import { env } from "cloudflare:workers";
import { beforeEach, expect, it } from "vitest";
import { auditRowHash, verifyAuditChain, writeAuditEvent } from "../../worker/audit";
import { admin, auditRows } from "./admin-harness";

beforeEach(async () => {
  await env.DB.exec("DROP TRIGGER IF EXISTS audit_log_no_update");
  await env.DB.exec("DROP TRIGGER IF EXISTS audit_log_no_delete");
  await env.DB.exec("DROP TRIGGER IF EXISTS audit_anchors_no_delete");
  await env.DB.exec("DELETE FROM audit_log");
  await env.DB.exec("DELETE FROM audit_anchors");
  for (let i = 0; i < 4; i++) await writeAuditEvent(env, { event: "config_change", actor: "token", action: `row-${i}` });
  expect((await verifyAuditChain(env)).ok).toBe(true);
});

it("reports an altered row as a hash mismatch at that row", async () => {
  const rows = await auditRows();
  const target = rows.at(-2)!;
  await env.DB.prepare("UPDATE audit_log SET actor = 'mallory' WHERE id = ?").bind(target.id).run();
  const result = await verifyAuditChain(env);
  expect(result).toEqual({
    ok: false,
    rows: rows.length - 2,
    broken: { id: target.id, event_id: target.event_id, reason: "hash_mismatch" },
    anchored_through: rows.at(-3)!.id,
  });
});

it("reports a removed row as a prev_hash mismatch at the row after it", async () => {
  const rows = await auditRows();
  const removed = rows.at(-3)!;
  const next = rows.at(-2)!;
  await env.DB.prepare("DELETE FROM audit_log WHERE id = ?").bind(removed.id).run();
  const result = await verifyAuditChain(env);
  expect(result).toEqual({
    ok: false,
    rows: rows.length - 3,
    broken: { id: next.id, event_id: next.event_id, reason: "prev_hash_mismatch" },
    anchored_through: rows.at(-4)!.id,
  });
});

it("reports a row whose hash was replaced", async () => {
  const rows = await auditRows();
  const target = rows.at(-2)!;
  await env.DB.prepare("UPDATE audit_log SET hash = ? WHERE id = ?").bind("f".repeat(64), target.id).run();
  const result = await verifyAuditChain(env);
  expect(result.ok).toBe(false);
  if (!result.ok) expect(result.broken.id).toBe(target.id);
});

it("answers GET /admin/audit/verify with 409 and the first broken link once a row was altered behind the API's back", async () => {
  const intact = await admin("/audit/verify");
  expect(intact.status).toBe(200);
  const rows = await auditRows();
  expect(await intact.json()).toEqual({ ok: true, rows: rows.length, head: rows.at(-1)!.hash, anchor: "anchored", checkpoint: null });

  const target = rows[1]!;
  await env.DB.prepare("UPDATE audit_log SET details = ? WHERE id = ?").bind('{"note":"nothing happened"}', target.id).run();
  const res = await admin("/audit/verify");
  expect(res.status).toBe(409);
  expect(res.headers.get("Content-Type")).toMatch(/^application\/json/);
  expect(await res.json()).toEqual({
    error: "audit_chain_broken",
    message: expect.stringContaining(`row ${target.id}`),
    ok: false,
    rows: 1,
    broken: { id: target.id, event_id: target.event_id, reason: "hash_mismatch" },
    anchored_through: rows[0]!.id,
    request_id: res.headers.get("X-Request-Id"),
  });
});

it("finds a rewrite of one row's hash through the next row's link", async () => {
  const rows = await auditRows();
  const [target, next] = [rows[1]!, rows[2]!];
  // Someone recomputes the altered row's own hash: the next row still names the old one, and
  // so does the row's keyed head, which verify checks first when it holds the key.
  const altered = { ...target, actor: "mallory" };
  await env.DB.prepare("UPDATE audit_log SET actor = ?, hash = ? WHERE id = ?")
    .bind(altered.actor, await auditRowHash(target.prev_hash, altered), target.id)
    .run();
  expect(await verifyAuditChain({ ...env, AUDIT_HMAC_KEY: undefined })).toMatchObject({
    rows: 2,
    broken: { id: next.id, reason: "prev_hash_mismatch" },
  });
  const res = await admin("/audit/verify");
  expect(res.status).toBe(409);
  expect(await res.json()).toMatchObject({ rows: 1, broken: { id: target.id, reason: "anchor_mismatch" } });
});
