/**
 * GET /admin/audit (filters, both orders, cursor pagination) and GET /admin/audit/verify on an
 * intact chain. A broken chain is in admin-audit-tamper.test.ts.
 */
import { env } from "cloudflare:workers";
import { afterEach, describe, expect, it, vi } from "vitest";
import { appendAuditEvents, writeAuditEvent, type AuditRow } from "../../worker/audit";
import { admin, auditRows, envWithBrokenDb } from "./admin-harness";

interface Page {
  entries: (Omit<AuditRow, "details"> & { details: unknown })[];
  next_cursor: string | null;
}

afterEach(() => {
  vi.useRealTimers();
  vi.restoreAllMocks();
});

const T0 = Date.parse("2026-03-01T10:00:00.000Z");
const minutes = (n: number) => new Date(T0 + n * 60_000).toISOString();

/** 12 rows one minute apart from T0, for `actor`-a and `actor`-b alternately. */
async function seed(actor: string): Promise<AuditRow[]> {
  const rows: AuditRow[] = [];
  for (let i = 0; i < 12; i++) {
    vi.setSystemTime(T0 + i * 60_000);
    rows.push(
      await writeAuditEvent(env, {
        event: i % 2 === 0 ? "config_change" : "consumer_change",
        actor: `${actor}-${i % 2 === 0 ? "a" : "b"}`,
        action: `step-${i}`,
        target: `t/${i % 3}`,
        details: { i },
      }),
    );
  }
  vi.useRealTimers();
  return rows;
}

async function page(query: string): Promise<Page> {
  const res = await admin(`/audit?${query}`);
  expect(res.status, await res.clone().text()).toBe(200);
  expect(res.headers.get("Cache-Control")).toBe("no-store");
  return res.json<Page>();
}

/** Every page of `query`, following next_cursor, `limit` rows at a time. */
async function walk(query: string, limit: number): Promise<{ pages: number; ids: number[] }> {
  const ids: number[] = [];
  let pages = 0;
  let cursor: string | null = null;
  do {
    const result: Page = await page(`${query}&limit=${limit}${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ""}`);
    pages += 1;
    expect(result.entries.length).toBeLessThanOrEqual(limit);
    ids.push(...result.entries.map((entry) => entry.id));
    cursor = result.next_cursor;
  } while (cursor);
  return { pages, ids };
}

describe("GET /admin/audit", () => {
  it("pages newest first by default and oldest first with order=asc, every row once", async () => {
    const rows = (await seed("pager")).filter((row) => row.actor === "pager-a");
    const ids = rows.map((row) => row.id);
    expect(await walk("actor=pager-a", 4)).toEqual({ pages: 2, ids: [...ids].reverse() }); // 6 rows: 4 + 2
    expect(await walk("actor=pager-a&order=asc", 5)).toEqual({ pages: 2, ids });
    expect(await walk("actor=pager-a", 6)).toEqual({ pages: 1, ids: [...ids].reverse() }); // an exact fit has no empty last page
    const first = await page("actor=pager-a&limit=1");
    expect(first.entries[0]).toEqual({ ...rows.at(-1)!, details: { i: 10 } });
  });

  it("keeps its place when rows are written between pages", async () => {
    await seed("moving");
    const first = await page("actor=moving-b&limit=3");
    await writeAuditEvent(env, { event: "consumer_change", actor: "moving-b", action: "later" });
    const second = await page(`actor=moving-b&limit=3&cursor=${first.next_cursor}`);
    expect(second.entries.map((entry) => entry.action)).toEqual(["step-5", "step-3", "step-1"]);
    expect(second.next_cursor).toBeNull();
    expect((await page("actor=moving-b&limit=1")).entries[0]!.action).toBe("later");
  });

  it("filters on event, actor, target and time, combined", async () => {
    await seed("filter");
    const actions = async (query: string) => (await page(query)).entries.map((entry) => entry.action);
    expect(await actions("actor=filter-a&target=t%2F0")).toEqual(["step-6", "step-0"]);
    expect(await actions("actor=filter-b&event=consumer_change&target=t/1&order=asc")).toEqual(["step-1", "step-7"]);
    expect(await actions("actor=filter-a&event=consumer_change")).toEqual([]);
    // since inclusive, until exclusive; any offset, or a date.
    expect(await actions(`actor=filter-a&since=${minutes(4)}&until=${minutes(8)}`)).toEqual(["step-6", "step-4"]);
    expect(await actions(`actor=filter-b&since=${encodeURIComponent("2026-03-01T11:05:00+01:00")}&until=${minutes(9)}`)).toEqual([
      "step-7",
      "step-5",
    ]);
    expect(await actions("actor=filter-a&until=2026-03-01")).toEqual([]);
    expect(await actions("actor=filter-a&since=2026-03-01&limit=2")).toEqual(["step-10", "step-8"]);
  });

  it.each([
    ["limit=0", "limit"],
    ["limit=501", "limit"],
    ["limit=ten", "limit"],
    ["order=newest", "order"],
    ["since=yesterday", "since"],
    ["until=2026-03-01T10:00:00", "until"],
    ["evnt=config_change", "(root)"],
    ["cursor=not-a-cursor", "cursor"],
    [`cursor=${btoa(JSON.stringify(["2026-03-01T10:00:00.000Z", -1]))}`, "cursor"],
  ])("refuses %s with 400 naming it", async (query, path) => {
    const res = await admin(`/audit?${query}`);
    expect(res.status).toBe(400);
    const body = await res.json<{ error: string; issues: { path: string }[] }>();
    expect(body.error).toBe("invalid_query");
    expect(body.issues.map((issue) => issue.path)).toContain(path);
  });

  it("answers 503 when D1 cannot be read", async () => {
    vi.spyOn(console, "error").mockImplementation(() => {});
    for (const path of ["/audit", "/audit/verify"]) {
      const res = await admin(path, { env: envWithBrokenDb() });
      expect(res.status).toBe(503);
      expect(await res.json()).toMatchObject({ error: "audit_store_unavailable" });
    }
  });

  it("is documented with its query parameters", async () => {
    const api = await (
      await admin("/openapi.json")
    ).json<{ paths: Record<string, Record<string, { parameters?: { name: string; in: string; required: boolean }[] }>> }>();
    const parameters = api.paths["/audit"]!.get!.parameters!;
    expect(parameters.map((parameter) => parameter.name)).toEqual([
      "event",
      "actor",
      "target",
      "since",
      "until",
      "order",
      "limit",
      "cursor",
    ]);
    expect(parameters.every((parameter) => parameter.in === "query" && !parameter.required)).toBe(true);
  });
});

describe("GET /admin/audit/verify", () => {
  it("walks the whole chain, in pages, and reports its length and head", async () => {
    // More rows than one page of the walk (500).
    for (let i = 0; i < 6; i++) {
      await appendAuditEvents(
        env,
        Array.from({ length: 100 }, (_, j) => ({
          eventId: crypto.randomUUID(),
          event: "route_match",
          actor: "gateway",
          action: "route_match",
          target: `routes/r${i * 100 + j}`,
        })),
      );
    }
    const rows = await auditRows();
    expect(rows.length).toBeGreaterThan(500);
    const res = await admin("/audit/verify");
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ ok: true, rows: rows.length, head: rows.at(-1)!.hash, anchor: "anchored", checkpoint: null });
  });
});
