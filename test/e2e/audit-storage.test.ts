/**
 * The audit log's storage guarantees against the real local D1 file that `wrangler dev`
 * uses, written with `wrangler d1 execute` as an operator (or anyone holding the account's
 * D1 access) would: every spelling of a rewrite is refused by the database, and the heads
 * keyed with this run's AUDIT_HMAC_KEY (from the harness's env file) make verify catch a
 * rewrite whose hashes were recomputed.
 */
import { createHash } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startE2E, type E2E } from "./harness";

/** Each `wrangler d1 execute` starts wrangler: seconds apiece on a busy machine. */
const D1_TIMEOUT = 240_000;

let e2e: E2E;
beforeAll(async () => {
  e2e = await startE2E();
  const res = await e2e.gateway.putConfig({
    routes: [{ id: "a", path: "/a/*", upstream: "origin" }],
    upstreams: [{ name: "origin", endpoints: [e2e.origin.endpoint] }],
  });
  expect(res.status).toBe(200);
  const again = await e2e.gateway.putConfig({
    routes: [{ id: "b", path: "/b/*", upstream: "origin" }],
    upstreams: [{ name: "origin", endpoints: [e2e.origin.endpoint] }],
  });
  expect(again.status).toBe(200);
});
afterAll(() => e2e?.stop());

const verify = async () => {
  const res = await e2e.gateway.admin("/audit/verify");
  return { status: res.status, body: (await res.json()) as Record<string, unknown> };
};

describe("the local D1 file", () => {
  it(
    "refuses INSERT OR REPLACE, REPLACE INTO and an UPSERT over an audit row, and a REPLACE that would undo a key revocation",
    async () => {
      for (const sql of [
        "INSERT OR REPLACE INTO audit_log (id, event_id, ts, event, actor, action, prev_hash, hash) SELECT id, 'x1', ts, event, 'mallory', action, prev_hash, 'h1' FROM audit_log ORDER BY id LIMIT 1",
        "REPLACE INTO audit_log (id, event_id, ts, event, actor, action, prev_hash, hash) SELECT id, 'x2', ts, event, 'mallory', action, prev_hash, 'h2' FROM audit_log ORDER BY id LIMIT 1",
        "INSERT INTO audit_log (event_id, ts, event, actor, action, prev_hash, hash) SELECT event_id, ts, event, 'mallory', action, prev_hash, 'h3' FROM audit_log ORDER BY id LIMIT 1 ON CONFLICT (event_id) DO UPDATE SET actor = 'mallory'",
      ]) {
        const result = await e2e.gateway.d1(sql);
        expect(result.ok, sql).toBe(false);
        if (!result.ok) expect(result.output).toMatch(/append-only/);
      }
      const setup = await e2e.gateway.d1(
        "INSERT INTO consumers (id, tenant, created_at) VALUES ('c1', 't1', '2026-01-01T00:00:00.000Z'); INSERT INTO consumer_keys (key_id, consumer_id, sha256, prefix, last4, created_at, revoked_at) VALUES ('k1', 'c1', '" +
          "a".repeat(64) +
          "', 'lk_aaaa', 'zzzz', '2026-01-01T00:00:00.000Z', '2026-01-02T00:00:00.000Z')",
      );
      expect(setup.ok).toBe(true);
      const undo = await e2e.gateway.d1(
        "INSERT OR REPLACE INTO consumer_keys (key_id, consumer_id, sha256, prefix, last4, created_at) VALUES ('k1', 'c1', '" +
          "a".repeat(64) +
          "', 'lk_aaaa', 'zzzz', '2026-01-01T00:00:00.000Z')",
      );
      expect(undo.ok).toBe(false);
      const key = await e2e.gateway.d1("SELECT revoked_at FROM consumer_keys WHERE key_id = 'k1'");
      expect(key).toEqual({ ok: true, rows: [{ revoked_at: "2026-01-02T00:00:00.000Z" }] });
      expect(await verify()).toMatchObject({ status: 200, body: { ok: true, anchor: "anchored" } });
    },
    D1_TIMEOUT,
  );

  it(
    "catches a row rewritten with every later hash recomputed, through the keyed heads",
    async () => {
      const read = await e2e.gateway.d1("SELECT * FROM audit_log ORDER BY id");
      if (!read.ok) throw new Error(read.output);
      const rows = read.rows as Record<string, string | number | null>[];
      const target = rows[0]!;
      // The chain's formula (storage-schema.md): SHA-256(prev_hash + "\n" + canonical JSON of the fields, keys sorted).
      const fields = [
        "action",
        "actor",
        "details",
        "event",
        "event_id",
        "ip",
        "new_version",
        "old_version",
        "request_id",
        "target",
        "ts",
        "user_agent",
      ];
      const hashOf = (row: Record<string, unknown>) =>
        createHash("sha256")
          .update(`${row.prev_hash}\n${JSON.stringify(Object.fromEntries(fields.map((name) => [name, row[name]])))}`)
          .digest("hex");
      let previous: string | undefined;
      const statements = ["DROP TRIGGER audit_log_no_update"];
      for (const row of rows) {
        const rewritten: Record<string, unknown> = {
          ...row,
          actor: row.id === target.id ? "mallory" : row.actor,
          prev_hash: previous ?? row.prev_hash,
        };
        expect(row.id === target.id || hashOf(row) === row.hash).toBe(true);
        rewritten.hash = hashOf(rewritten);
        statements.push(
          `UPDATE audit_log SET actor = '${rewritten.actor}', prev_hash = '${rewritten.prev_hash}', hash = '${rewritten.hash}' WHERE id = ${row.id}`,
        );
        previous = rewritten.hash as string;
      }
      const rewrite = await e2e.gateway.d1(statements.join("; "));
      expect(rewrite.ok).toBe(true);
      const result = await verify();
      expect(result).toMatchObject({
        status: 409,
        body: { error: "audit_chain_broken", broken: { id: target.id, reason: "anchor_mismatch" } },
      });
    },
    D1_TIMEOUT,
  );
});
