/**
 * GET /admin/ai/usage: the AI gateway's usage counters (migrations/0009), filtered and grouped.
 * Rows are written by the request path's own writer (countUsage), as settled requests leave them.
 */
import { env } from "cloudflare:workers";
import { beforeAll, describe, expect, it } from "vitest";
import { countUsage, type UsageRecord } from "../../worker/policies/ai-gateway/budgets";
import { admin, envWithBrokenDb } from "./admin-harness";

const usage = (overrides: Partial<UsageRecord>): UsageRecord => ({
  day: "2026-11-02",
  tenant: "acme",
  consumer: "alice",
  provider: "openai",
  model: "gpt-4o",
  inputTokens: 100,
  outputTokens: 10,
  costMicros: 1_000,
  metered: true,
  ...overrides,
});

beforeAll(async () => {
  const records = [
    usage({}),
    usage({ inputTokens: 50, outputTokens: 5, costMicros: 500 }),
    usage({ consumer: "bob", model: "gpt-4o-mini", metered: false }),
    usage({ day: "2026-11-03", provider: "anthropic", model: "claude", costMicros: 2_500 }),
    usage({ day: "2026-11-03", tenant: "globex", consumer: "carol" }),
    usage({ day: "2026-11-03", tenant: undefined, consumer: undefined, provider: "local", model: "llama", costMicros: 0 }),
    usage({ day: "2026-10-01" }),
  ];
  await Promise.all(records.map((record) => countUsage(env.DB, record)));
});

async function report(query: string): Promise<{ status: number; body: Record<string, unknown> }> {
  const res = await admin(`/ai/usage${query}`);
  return { status: res.status, body: (await res.json()) as Record<string, unknown> };
}

const sums = (requests: number, input: number, output: number, cost: number, unmetered = 0) => ({
  requests,
  input_tokens: input,
  output_tokens: output,
  total_tokens: input + output,
  cost,
  unmetered_requests: unmetered,
});

describe("GET /admin/ai/usage", () => {
  it("sums by day over the range by default", async () => {
    expect(await report("?from=2026-11-01&to=2026-11-30")).toEqual({
      status: 200,
      body: {
        from: "2026-11-01",
        to: "2026-11-30",
        group_by: ["day"],
        rows: [
          { day: "2026-11-02", ...sums(3, 250, 25, 0.0025, 1) },
          { day: "2026-11-03", ...sums(3, 300, 30, 0.0035) },
        ],
        totals: sums(6, 550, 55, 0.006, 1),
        truncated: false,
      },
    });
  });

  it("groups by several columns in the order given, with null for no tenant or consumer", async () => {
    const { body } = await report("?from=2026-11-03&to=2026-11-03&group_by=tenant,consumer");
    expect(body.rows).toEqual([
      { tenant: null, consumer: null, ...sums(1, 100, 10, 0) },
      { tenant: "acme", consumer: "alice", ...sums(1, 100, 10, 0.0025) },
      { tenant: "globex", consumer: "carol", ...sums(1, 100, 10, 0.001) },
    ]);
  });

  it("filters by tenant, consumer, provider and model, exactly, and '' for requests without one", async () => {
    const byModel = await report("?from=2026-11-01&to=2026-11-30&group_by=model,provider&tenant=acme&consumer=alice");
    expect(byModel.body.rows).toEqual([
      { model: "claude", provider: "anthropic", ...sums(1, 100, 10, 0.0025) },
      { model: "gpt-4o", provider: "openai", ...sums(2, 150, 15, 0.0015) },
    ]);
    const one = await report("?from=2026-11-01&to=2026-11-30&group_by=&provider=openai&model=gpt-4o-mini");
    expect(one.body.rows).toEqual([sums(1, 100, 10, 0.001, 1)]);
    expect(one.body.totals).toEqual(sums(1, 100, 10, 0.001, 1));
    const anonymous = await report("?from=2026-11-01&to=2026-11-30&consumer=&group_by=provider");
    expect(anonymous.body.rows).toEqual([{ provider: "local", ...sums(1, 100, 10, 0) }]);
    const none = await report("?from=2026-11-01&to=2026-11-30&tenant=initech&group_by=");
    expect(none.body).toMatchObject({ rows: [], totals: sums(0, 0, 0, 0) });
  });

  it("cuts the rows at limit and says so, while the totals cover everything", async () => {
    const { body } = await report("?from=2026-10-01&to=2026-11-30&group_by=day,consumer&limit=2");
    expect(body.rows).toEqual([
      { day: "2026-10-01", consumer: "alice", ...sums(1, 100, 10, 0.001) },
      { day: "2026-11-02", consumer: "alice", ...sums(2, 150, 15, 0.0015) },
    ]);
    expect(body).toMatchObject({ truncated: true, totals: sums(7, 650, 65, 0.007, 1) });
  });

  it("defaults to the 30 days up to today", async () => {
    const today = new Date().toISOString().slice(0, 10);
    const { status, body } = await report("");
    expect(status).toBe(200);
    expect(body.to).toBe(today);
    expect(Date.parse(today) - Date.parse(body.from as string)).toBe(29 * 86_400_000);
  });

  it("refuses bad input with 400 and the path of each problem", async () => {
    const cases: [string, string][] = [
      ["?from=2026-13-01", "from"],
      ["?to=yesterday", "to"],
      ["?from=2026-11-05&to=2026-11-01", "from"],
      ["?from=2024-01-01&to=2026-11-01", "from"],
      ["?group_by=day,secret", "group_by"],
      ["?group_by=day,day", "group_by"],
      ["?limit=0", "limit"],
      ["?limit=100000", "limit"],
      ["?colour=blue", "(root)"],
      [`?consumer=${"x".repeat(300)}`, "consumer"],
    ];
    for (const [query, path] of cases) {
      const { status, body } = await report(query);
      expect([query, status, body.error]).toEqual([query, 400, "invalid_query"]);
      expect(body.issues, query).toEqual(expect.arrayContaining([expect.objectContaining({ path })]));
    }
  });

  it("answers only the admin, and 503 when D1 cannot be reached", async () => {
    expect((await admin("/ai/usage", { auth: null })).status).toBe(401);
    expect((await admin("/ai/usage", { auth: "Bearer not-the-token" })).status).toBe(401);
    const res = await admin("/ai/usage", { env: envWithBrokenDb() });
    expect(res.status).toBe(503);
    expect(res.headers.get("Retry-After")).toBe("1");
    expect(await res.json()).toMatchObject({ error: "ai_usage_unavailable" });
  });
});
