/**
 * What a flood of refused requests costs the append-only audit log: rows written for 10 000
 * failures from 1, 100 and 10 000 distinct paths and client addresses, in one isolate and one
 * aggregation window (AUDIT_WINDOW_MS 10 s). The bound asserted is the design's: one row per
 * route, scheme, reason and client block, at most MAX_KEYS_PER_WINDOW of them, plus one
 * overflow row that counts the rest. The table goes to the test output (README, "The audit log").
 *
 * auth_failure_limit is off here so that every request is an auth failure of its own kind
 * (the limit would turn the rest of a one-address flood into `too_many_failures` refusals).
 */
import { beforeAll, describe, expect, it } from "vitest";
import { MAX_KEYS_PER_WINDOW } from "../../worker/observability/event-windows";
import { auditRows, putConfig } from "./admin-harness";
import { sendInOneWindow } from "./audit-windows";

const FAILURES = 10_000;
const WINDOW_MS = 10_000;

beforeAll(async () => {
  await putConfig({
    auth_failure_limit: { enabled: false },
    routes: [
      { id: "signed", path: "/signed/*", upstream: "origin", auth: { type: "jwt", secret: "${JWT_SECRET}", algorithms: ["HS256"] } },
    ],
    upstreams: [{ name: "origin", endpoints: ["https://origin.test"] }],
  });
});

const ipv4 = (i: number) => `10.${(i >> 16) & 255}.${(i >> 8) & 255}.${i & 255}`;

/** Sends FAILURES refused requests (the i-th is `request(i)`) within one window; returns the rows they wrote. */
async function flood(event: string, request: (i: number) => Request) {
  const [last] = (await auditRows()).slice(-1);
  const after = last?.id ?? 0;
  const statuses = await sendInOneWindow(FAILURES, request, { windowMs: WINDOW_MS });
  expect(statuses.filter((status) => status !== 401)).toEqual([]);
  const rows = await auditRows("id > ?", after);
  expect(rows.filter((row) => row.event !== event)).toEqual([]);
  // Every failure is counted, in its own row or in the overflow row.
  expect(rows.reduce((sum, row) => sum + (JSON.parse(row.details) as { count: number }).count, 0)).toBe(FAILURES);
  return { rows, overflow: rows.filter((row) => row.target === "(overflow)") };
}

const gateway = (path: (i: number) => string, ip: (i: number) => string) => (i: number) =>
  new Request(`http://gw.test/signed/${path(i)}`, {
    headers: { "CF-Connecting-IP": ip(i), Authorization: `Bearer not-a-token-${i}`, "User-Agent": `flood ${i}` },
  });
const adminPath = (path: (i: number) => string, ip: (i: number) => string) => (i: number) =>
  new Request(`https://gw.test/admin/${path(i)}`, { headers: { "CF-Connecting-IP": ip(i), Authorization: `Bearer wrong-${i}` } });

const table: string[] = [];

describe(`${FAILURES} refused requests in one window and isolate`, () => {
  it.each([
    [
      "auth_failure",
      "1 path, 1 IPv4 address",
      gateway(
        () => "p",
        () => "203.0.113.1",
      ),
      1,
    ],
    [
      "auth_failure",
      "100 paths, 100 IPv4 addresses",
      gateway(
        (i) => `p${i % 100}`,
        (i) => ipv4(i % 100),
      ),
      100,
    ],
    ["auth_failure", "10 000 paths, 10 000 IPv4 addresses", gateway((i) => `p${i}`, ipv4), MAX_KEYS_PER_WINDOW + 1],
    [
      "auth_failure",
      "10 000 paths, 10 000 IPv6 addresses in one /64",
      gateway(
        (i) => `p${i}`,
        (i) => `2001:db8:0:1::${i.toString(16)}`,
      ),
      1,
    ],
    [
      "admin_auth_failure",
      "10 000 admin paths, 1 IPv4 address",
      adminPath(
        (i) => `p${i}`,
        () => "203.0.113.2",
      ),
      1,
    ],
    ["admin_auth_failure", "10 000 admin paths, 10 000 IPv4 addresses", adminPath((i) => `p${i}`, ipv4), MAX_KEYS_PER_WINDOW + 1],
  ])("%s from %s", { timeout: 120_000 }, async (event, label, request, expected) => {
    const { rows, overflow } = await flood(event, request);
    expect(rows).toHaveLength(expected);
    // No row names a path the client chose: the route's id, or `admin` for a path no admin endpoint has.
    expect(new Set(rows.filter((row) => row.target !== "(overflow)").map((row) => row.target))).toEqual(
      new Set([event === "auth_failure" ? "routes/signed" : "admin"]),
    );
    if (expected > MAX_KEYS_PER_WINDOW) {
      expect(overflow).toHaveLength(1);
      expect(JSON.parse(overflow[0]!.details)).toMatchObject({
        count: FAILURES - MAX_KEYS_PER_WINDOW,
        distinct_folded: FAILURES - MAX_KEYS_PER_WINDOW,
      });
    } else expect(overflow).toHaveLength(0);
    const folded = overflow.length ? JSON.parse(overflow[0]!.details) : undefined;
    table.push(
      `| ${event} | ${label} | ${rows.length} | ${folded ? `1 (${folded.count} events, ${folded.distinct_folded} distinct keys)` : "0"} |`,
    );
    if (table.length === 6)
      console.log(["| event | 10 000 failures from | rows | of which overflow |", "|---|---|---|---|", ...table].join("\n"));
  });
});
