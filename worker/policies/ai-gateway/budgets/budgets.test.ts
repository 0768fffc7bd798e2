import { createExecutionContext, waitOnExecutionContext } from "cloudflare:test";
import { env } from "cloudflare:workers";
import type { Context, Hono, MiddlewareHandler } from "hono";
import { afterEach, describe, expect, it, vi } from "vitest";
import type { RateLimiter } from "../../../../durable-objects/rate-limiter";
import type { AppEnv, Env } from "../../../env";
import { compileKey } from "../../../limits/key-expression";
import { accessLog } from "../../../observability/access-log";
import { testApp } from "../../test-app.test-helper";
import {
  providerRateLimited,
  providerRequestWait,
  releaseBudget,
  reserveBudget,
  settleBudget,
  type BudgetSpec,
  type ProviderBudget,
} from "./index";

const DAY = 86_400_000;
/** 2026-12-07T23:59:00Z */
const LATE = Date.UTC(2026, 11, 7, 23, 59, 0);
let now = LATE - 3_600_000;
const clock = () => now;

const OPENAI: ProviderBudget = { name: "openai", costPer1k: 0.002 };

/**
 * An AI route standing in for the forwarding step: reserves, answers, settles. Headers say who
 * calls (x-consumer, x-tenant, cf-connecting-ip), the estimate (x-prompt, x-max-out), and what
 * the provider reports (x-usage: `input,output`, or absent for none).
 */
function aiApp(spec: Partial<BudgetSpec>, provider: ProviderBudget = OPENAI, before: MiddlewareHandler<AppEnv>[] = []): Hono<AppEnv> {
  const full: BudgetSpec = {
    anonymousKey: compileKey("${client_ip}"),
    settleWithinMs: 600_000,
    failOpen: true,
    clock,
    ...spec,
  };
  return testApp(
    [
      ...before,
      async (c, next) => {
        c.set("requestId", "test-request");
        c.set("clientIp", c.req.header("cf-connecting-ip") ?? "");
        const consumer = c.req.header("x-consumer");
        if (consumer) c.set("consumer", consumer);
        const tenant = c.req.header("x-tenant");
        if (tenant) c.set("tenant", tenant);
        await next();
      },
    ],
    async (c: Context<AppEnv>) => {
      const hold = await reserveBudget(c, full, {
        promptTokens: Number(c.req.header("x-prompt") ?? 100),
        maxOutputTokens: Number(c.req.header("x-max-out") ?? 0),
        provider,
      });
      const reported = c.req.header("x-usage")?.split(",").map(Number);
      const usage = reported && { inputTokens: reported[0]!, outputTokens: reported[1]! };
      const charged = settleBudget(c, hold, { provider, model: c.req.header("x-model") ?? "gpt-test", usage });
      return c.json(charged);
    },
  );
}

async function send(app: Hono<AppEnv>, headers: Record<string, string>, bindings: Env = env): Promise<Response> {
  const ctx = createExecutionContext();
  const response = await app.request("http://gw.test/ai/v1/chat/completions", { method: "POST", headers }, bindings, ctx);
  await waitOnExecutionContext(ctx);
  return response;
}

const usageRows = (consumer: string) =>
  env.DB.prepare("SELECT * FROM ai_usage WHERE consumer = ? ORDER BY day, model")
    .bind(consumer)
    .all()
    .then((result) => result.results);

/** Whether the per-minute budget `name` (of `limit`) has `tokens` left now. */
const minuteBudgetAdmits = async (name: string, limit: number, tokens: number) =>
  (await env.RATE_LIMITER.getByName(name).reserveTokens({ limit, windowMs: 60_000, tokens, now })).allowed;

/** The RATE_LIMITER namespace with every call failing. */
const broken = (() => ({
  getByName: () => ({
    reserveTokens: () => Promise.reject(new Error("object down")),
    reserveQuota: () => Promise.reject(new Error("object down")),
  }),
})) as unknown as (env: Env) => DurableObjectNamespace<RateLimiter>;

describe("per-minute token budgets", () => {
  it("reserves the estimate and the answer's maximum, and refuses with 429 and Retry-After once spent", async () => {
    const app = aiApp({ tokensPerMinute: 1_000 });
    const who = { "x-consumer": "minute-a", "x-prompt": "400", "x-max-out": "200" };
    expect((await send(app, who)).status).toBe(200);
    const refused = await send(app, who);
    // 600 held of 1000: 200 more tokens refill at 1000 per minute in 12 s.
    expect([refused.status, refused.headers.get("Retry-After"), await refused.json()]).toEqual([
      429,
      "12",
      {
        error: "ai_token_budget_exceeded",
        message: "the token budget of 1000 tokens per minute is spent; retry in 12 s",
        retry_after: 12,
        request_id: "test-request",
      },
    ]);
  });

  it("charges the provider's reported usage instead of the reservation", async () => {
    const app = aiApp({ tokensPerMinute: 1_000 });
    const who = { "x-consumer": "minute-b", "x-prompt": "400", "x-max-out": "200", "x-usage": "50,50" };
    // Each reserves 600 and is charged 100: without the refunds only one would fit in 1000.
    for (let i = 0; i < 4; i++) expect((await send(app, who)).status).toBe(200);
    // 400 spent + 600 reserved; the answer used 700: 1100 spent, a debt the next request waits out.
    expect((await send(app, { ...who, "x-usage": "300,400" })).status).toBe(200);
    expect((await send(app, { ...who, "x-prompt": "1", "x-max-out": "0" })).status).toBe(429);
  });

  it("charges the whole reservation when the provider reports no usage", async () => {
    const app = aiApp({ tokensPerMinute: 1_000 });
    const who = { "x-consumer": "minute-c", "x-prompt": "400", "x-max-out": "100" };
    expect(await (await send(app, who)).json()).toEqual({ inputTokens: 400, outputTokens: 100, costMicros: 1_000, metered: false });
    expect((await send(app, who)).status).toBe(200);
    expect((await send(app, who)).status).toBe(429);
  });

  it("gives everything back and counts nothing when no provider did any work", async () => {
    const spec: BudgetSpec = {
      tokensPerMinute: 1_000,
      quotas: { tenant: { tokens: 1_000 } },
      anonymousKey: () => "",
      settleWithinMs: 60_000,
      failOpen: false,
      clock,
    };
    const app = testApp(
      [
        async (c, next) => {
          c.set("consumer", "release-a");
          c.set("tenant", "release-t");
          await next();
        },
      ],
      async (c) => {
        releaseBudget(c, await reserveBudget(c, spec, { promptTokens: 900, maxOutputTokens: 100, provider: OPENAI }));
        return c.text("no provider answered", 502);
      },
    );
    for (let i = 0; i < 3; i++) expect((await send(app, {})).status).toBe(502);
    expect(await minuteBudgetAdmits("ai-tokens|consumer=release-a", 1_000, 1_000)).toBe(true);
    expect(await usageRows("release-a")).toEqual([]);
  });

  it("keeps one budget per consumer, and per value of the rate limit's key without one", async () => {
    const app = aiApp({ tokensPerMinute: 500 });
    const big = { "x-prompt": "500" };
    expect((await send(app, { ...big, "x-consumer": "minute-d" })).status).toBe(200);
    expect((await send(app, { ...big, "x-consumer": "minute-e" })).status).toBe(200);
    expect((await send(app, { ...big, "cf-connecting-ip": "198.51.100.7" })).status).toBe(200);
    expect((await send(app, { ...big, "cf-connecting-ip": "198.51.100.7" })).status).toBe(429);
    expect((await send(app, { ...big, "cf-connecting-ip": "198.51.100.8" })).status).toBe(200);
    expect(await minuteBudgetAdmits("ai-tokens|key=198.51.100.8", 500, 1)).toBe(false);
  });

  it("follows fail_open when the budget's object cannot be reached", async () => {
    const who = { "x-consumer": "minute-f" };
    expect((await send(aiApp({ tokensPerMinute: 10, namespace: broken, failOpen: true }), who)).status).toBe(200);
    const closed = await send(aiApp({ tokensPerMinute: 10, namespace: broken, failOpen: false }), who);
    expect(closed.status).toBe(503);
    expect(await closed.json()).toMatchObject({ error: "rate_limit_unavailable" });
  });
});

describe("daily quotas", () => {
  it("refuses a spent consumer quota with 429 until the next UTC midnight, then admits again", async () => {
    const app = aiApp({ quotas: { consumer: { tokens: 1_000 } } });
    now = LATE;
    const who = { "x-consumer": "daily-a", "x-prompt": "600", "x-usage": "500,100" };
    expect((await send(app, who)).status).toBe(200);
    const refused = await send(app, who);
    expect(refused.status).toBe(429);
    expect(refused.headers.get("Retry-After")).toBe("60");
    expect(await refused.json()).toMatchObject({ error: "ai_quota_exceeded", retry_after: 60 });
    now = LATE + 60_000;
    expect((await send(app, who)).status).toBe(200);
    now = LATE - 3_600_000;
  });

  it("shares the tenant's quota between its consumers and limits cost at cost_per_1k", async () => {
    // 0.002 per 1k tokens: 1000 tokens cost 0.002; a quota of 0.005 admits two such requests.
    const app = aiApp({ quotas: { tenant: { cost: 0.005 } } });
    const request = { "x-tenant": "acme", "x-prompt": "1000" };
    expect((await send(app, { ...request, "x-consumer": "daily-b" })).status).toBe(200);
    expect((await send(app, { ...request, "x-consumer": "daily-c" })).status).toBe(200);
    const refused = await send(app, { ...request, "x-consumer": "daily-b" });
    expect(refused.status).toBe(429);
    expect(await refused.json()).toMatchObject({ error: "ai_quota_exceeded", message: expect.stringContaining("your tenant") });
    expect((await send(app, { ...request, "x-tenant": "other", "x-consumer": "daily-d" })).status).toBe(200);
  });

  it("gives back the other reservations of a refused request", async () => {
    const app = aiApp({ tokensPerMinute: 1_000, quotas: { consumer: { tokens: 500 } } });
    const who = { "x-consumer": "daily-e", "x-prompt": "400" };
    expect((await send(app, who)).status).toBe(200);
    // The quota refuses 400 more; the minute budget's 400 is released, so 600 are left there.
    expect((await send(app, who)).status).toBe(429);
    expect(await minuteBudgetAdmits("ai-tokens|consumer=daily-e", 1_000, 600)).toBe(true);
  });

  it("answers with the longer wait when the minute budget and the quota both refuse", async () => {
    const app = aiApp({ tokensPerMinute: 100, quotas: { consumer: { tokens: 100 } } });
    const who = { "x-consumer": "daily-f", "x-prompt": "100" };
    expect((await send(app, who)).status).toBe(200);
    const refused = await send(app, who);
    expect(await refused.json()).toMatchObject({ error: "ai_quota_exceeded", retry_after: 3_660 });
  });
});

describe("the usage table", () => {
  it("adds each request to its day, tenant, consumer, provider and model row", async () => {
    const app = aiApp({});
    now = LATE;
    const who = { "x-consumer": "usage-a", "x-tenant": "acme" };
    await send(app, { ...who, "x-usage": "120,30" });
    await send(app, { ...who, "x-usage": "80,20" });
    await send(app, { ...who, "x-prompt": "70" });
    await send(app, { ...who, "x-usage": "120,30", "x-model": "gpt-other" });
    now = LATE + DAY;
    await send(app, { ...who, "x-usage": "1,1" });
    now = LATE - 3_600_000;
    expect(await usageRows("usage-a")).toEqual([
      {
        day: "2026-12-07",
        tenant: "acme",
        consumer: "usage-a",
        provider: "openai",
        model: "gpt-other",
        requests: 1,
        input_tokens: 120,
        output_tokens: 30,
        cost_micros: 300,
        unmetered_requests: 0,
      },
      {
        day: "2026-12-07",
        tenant: "acme",
        consumer: "usage-a",
        provider: "openai",
        model: "gpt-test",
        requests: 3,
        input_tokens: 270,
        output_tokens: 50,
        cost_micros: 640,
        unmetered_requests: 1,
      },
      expect.objectContaining({ day: "2026-12-08", model: "gpt-test", requests: 1 }),
    ]);
  });

  it("keeps '' for a request without consumer or tenant, and cuts long model names", async () => {
    await send(aiApp({}), { "cf-connecting-ip": "198.51.100.9", "x-usage": "1,1", "x-model": "m".repeat(500) });
    const rows = (await usageRows("")).filter((row) => (row.model as string).startsWith("mm"));
    expect(rows).toHaveLength(1);
    expect(rows[0]).toMatchObject({ tenant: "", consumer: "", requests: 1 });
    expect((rows[0]!.model as string).length).toBe(200);
  });
});

describe("settling when the stores fail", () => {
  afterEach(() => vi.restoreAllMocks());

  it("answers anyway and logs the settlement and the usage row that failed, by error class only", async () => {
    const warn = vi.spyOn(console, "warn").mockImplementation(() => undefined);
    const settleFails = ((bindings: Env) => ({
      getByName: (name: string) => ({
        reserveTokens: (request: never) => bindings.RATE_LIMITER.getByName(name).reserveTokens(request),
        settleTokens: () => Promise.reject(new TypeError("object down")),
      }),
    })) as unknown as (env: Env) => DurableObjectNamespace<RateLimiter>;
    const brokenDb = { prepare: () => ({ bind: () => ({}) }), batch: () => Promise.reject(new RangeError("D1 down")) };
    const response = await send(
      aiApp({ tokensPerMinute: 1_000, namespace: settleFails }),
      { "x-consumer": "settle-a", "x-usage": "1,1" },
      {
        ...env,
        DB: brokenDb as unknown as D1Database,
      },
    );
    expect(response.status).toBe(200);
    const lines = warn.mock.calls.map(([line]) => JSON.parse(line as string) as Record<string, unknown>);
    expect(lines).toEqual(
      expect.arrayContaining([
        { level: "warn", event: "ai_budget_settle_failed", request_id: "test-request", name: "TypeError" },
        // After three attempts; counts only, never the consumer, tenant or model.
        { level: "warn", event: "ai_usage_not_recorded", rows: 1, requests: 1, input_tokens: 1, output_tokens: 1, name: "RangeError" },
      ]),
    );
  });
});

describe("token_counting", () => {
  afterEach(() => vi.restoreAllMocks());

  const usageLines = (info: { mock: { calls: unknown[][] } }) =>
    info.mock.calls.map(([line]) => JSON.parse(line as string) as Record<string, unknown>).filter((line) => line.event === "ai_usage");

  it("writes each settled request's counts, never its contents, as an ai_usage line", async () => {
    const info = vi.spyOn(console, "info").mockImplementation(() => undefined);
    const app = aiApp({ tokenCounting: true });
    await send(app, { "x-consumer": "count-a", "x-tenant": "acme", "x-usage": "12,3", "x-model": "gpt-4o" });
    await send(app, { "x-consumer": "count-a", "x-prompt": "40", "x-max-out": "8" });
    expect(usageLines(info)).toEqual([
      {
        level: "info",
        event: "ai_usage",
        request_id: "test-request",
        route: null,
        consumer: "count-a",
        tenant: "acme",
        provider: "openai",
        model: "gpt-4o",
        input_tokens: 12,
        output_tokens: 3,
        cost: 0.00003,
        metered: true,
      },
      expect.objectContaining({ consumer: "count-a", tenant: null, input_tokens: 40, output_tokens: 8, metered: false }),
    ]);
  });

  it("puts the counts of an answer settled before its access log line in that line", async () => {
    vi.spyOn(console, "info").mockImplementation(() => undefined);
    const lines = vi.spyOn(console, "log").mockImplementation(() => undefined);
    const logged = accessLog({ enabled: true, fields: ["request_id", "ai_input_tokens", "ai_output_tokens", "ai_cost"] });
    await send(aiApp({ tokenCounting: true }, OPENAI, [logged]), { "x-consumer": "count-c", "x-usage": "100,400" });
    await send(aiApp({}, OPENAI, [logged]), { "x-consumer": "count-c", "x-usage": "100,400" });
    expect(lines.mock.calls.map(([line]) => JSON.parse(line as string))).toEqual([
      { request_id: "test-request", ai_input_tokens: 100, ai_output_tokens: 400, ai_cost: 0.001 },
      { request_id: "test-request", ai_input_tokens: null, ai_output_tokens: null, ai_cost: null },
    ]);
  });

  it("writes none without it", async () => {
    const info = vi.spyOn(console, "info").mockImplementation(() => undefined);
    await send(aiApp({}), { "x-consumer": "count-b", "x-usage": "1,1" });
    expect(usageLines(info)).toEqual([]);
  });
});

describe("a provider's rate_limit", () => {
  it("admits its requests per minute across callers, then says how long to wait", async () => {
    const provider = { name: "limited", requestsPerMinute: 3 };
    const app = testApp([], async (c) => c.json({ wait: await providerRequestWait(c, provider, { failOpen: true, clock }) }));
    const waits: number[] = [];
    for (let i = 0; i < 4; i++) waits.push(((await (await send(app, {})).json()) as { wait: number }).wait);
    expect(waits).toEqual([0, 0, 0, 20_000]);
    const refused = providerRateLimited("limited", 20_000).getResponse("r");
    expect(refused.status).toBe(429);
    expect(refused.headers.get("Retry-After")).toBe("20");
    expect(await refused.json()).toMatchObject({ error: "ai_provider_rate_limited", retry_after: 20 });
    expect(await providerRequestWait({ env } as unknown as Context<AppEnv>, { name: "unlimited" }, { failOpen: false })).toBe(0);
  });
});
