/**
 * GET / DELETE /admin/ai/budgets/:name: one AI token budget, provider budget or daily quota (a
 * RateLimiter object), shown and reset by an operator, the reset audited first.
 */
import { env } from "cloudflare:workers";
import { afterEach, describe, expect, it, vi } from "vitest";
import type { Env } from "../../worker/env";
import { admin, auditRows, envWithBrokenDb } from "./admin-harness";

afterEach(() => vi.restoreAllMocks());

const budgetPath = (name: string) => `/ai/budgets/${encodeURIComponent(name)}`;
/** Long enough that nothing refills while a test runs. */
const YEARS = 1e12;

async function get(name: string, init: Parameters<typeof admin>[1] = {}): Promise<{ status: number; body: Record<string, unknown> }> {
  const res = await admin(budgetPath(name), init);
  return { status: res.status, body: (await res.json()) as Record<string, unknown> };
}

describe("GET /admin/ai/budgets/:name", () => {
  it("shows a token budget's meter: limit, window, spent, remaining and open reservations", async () => {
    const name = "ai-tokens|consumer=alice";
    await env.RATE_LIMITER.getByName(name).reserveTokens({ limit: 1_000, windowMs: YEARS, tokens: 600, settleWithinMs: 60_000 });
    const { status, body } = await get(name);
    expect(status).toBe(200);
    // Refilled to now (a part of a token in a test's time), shown in whole tokens rounded up.
    expect(body).toEqual({
      name,
      kind: "tokens",
      meters: [{ meter: "tokens", limit: 1_000, window_ms: YEARS, spent: 600, remaining: 400 }],
      open_reservations: 1,
    });
  });

  it("shows a daily quota's tokens and cost (in the unit of cost_per_1k), null for what is not limited", async () => {
    const name = "ai-quota|tenant=acme|2026-12-07";
    const periodEndsAt = Date.now() + 3_600_000;
    const quota = env.RATE_LIMITER.getByName(name);
    await quota.reserveQuota({ maxCostMicros: 5_000_000, tokens: 100, costMicros: 2_500_000, periodEndsAt, settleWithinMs: 0 });
    expect(await get(name)).toEqual({
      status: 200,
      body: {
        name,
        kind: "quota",
        meters: [
          { meter: "tokens", limit: null, window_ms: null, spent: 100, remaining: null },
          { meter: "cost", limit: 5, window_ms: null, spent: 2.5, remaining: 2.5 },
        ],
        open_reservations: 0,
      },
    });
  });

  it("refuses what is no budget name with 400, and answers 404 for a budget never reserved", async () => {
    for (const name of ["default|203.0.113.7", "ai-quota|consumer=a|today", "ai-tokens|someone", "ai-quota|consumer=a|b|2026-12-07"]) {
      const { status, body } = await get(name);
      expect([name, status, body.error]).toEqual([name, 400, "invalid_ai_budget"]);
    }
    expect((await get("ai-provider|never")).status).toBe(404);
  });

  it("answers only the admin, and 503 when the object cannot be reached", async () => {
    expect((await get("ai-provider|openai", { auth: null })).status).toBe(401);
    vi.spyOn(console, "error").mockImplementation(() => {});
    const unreachable = { getByName: () => ({ budgetState: () => Promise.reject(new Error("object down (test)")) }) };
    const broken = await get("ai-provider|openai", { env: { ...env, RATE_LIMITER: unreachable } as unknown as Env });
    expect(broken).toMatchObject({ status: 503, body: { error: "rate_limit_store_unavailable" } });
  });
});

describe("DELETE /admin/ai/budgets/:name", () => {
  it("audits the reset first, then forgets what was spent", async () => {
    const name = "ai-provider|openai";
    const budget = env.RATE_LIMITER.getByName(name);
    await budget.reserveTokens({ limit: 2, windowMs: YEARS, tokens: 1 });
    await budget.reserveTokens({ limit: 2, windowMs: YEARS, tokens: 1 });
    expect((await budget.reserveTokens({ limit: 2, windowMs: YEARS, tokens: 1 })).allowed).toBe(false);
    const res = await admin(budgetPath(name), { method: "DELETE" });
    expect(res.status).toBe(200);
    expect(await res.json()).toMatchObject({
      name,
      reset: true,
      previous: { kind: "provider", meters: [{ meter: "requests", spent: 2 }] },
    });
    const [row] = await auditRows("action = ?", "ai_budget_reset");
    expect(row).toMatchObject({ event: "state_reset", target: `ai/budgets/${name}`, actor: "token" });
    expect(JSON.parse(row!.details)).toMatchObject({ budget: name, meters: [{ meter: "requests", limit: 2, spent: 2, remaining: 0 }] });
    expect((await get(name)).status).toBe(404);
    expect((await budget.reserveTokens({ limit: 2, windowMs: YEARS, tokens: 1 })).allowed).toBe(true);
  });

  it("changes nothing when the audit row cannot be written (503)", async () => {
    vi.spyOn(console, "error").mockImplementation(() => {});
    const name = "ai-tokens|key=203.0.113.9";
    await env.RATE_LIMITER.getByName(name).reserveTokens({ limit: 10, windowMs: YEARS, tokens: 10 });
    const res = await admin(budgetPath(name), { method: "DELETE", env: envWithBrokenDb() });
    expect(res.status).toBe(503);
    expect(await res.json()).toMatchObject({ error: "audit_unavailable" });
    expect((await get(name)).body).toMatchObject({ meters: [{ remaining: 0 }] });
  });
});
