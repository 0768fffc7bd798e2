/**
 * The usage writer against the real D1 usage table: rows summed per batch, batches written at
 * most once per interval or when full, by the request that opened or filled them, retried as one
 * transaction, failures logged by count.
 */
import { env } from "cloudflare:workers";
import { afterEach, describe, expect, it, vi } from "vitest";
import { ROWS_PER_STATEMENT, type UsageRecord } from "./usage-table";
import { countUsage, MAX_BATCH_ROWS } from "./usage-writer";

const record = (overrides: Partial<UsageRecord>): UsageRecord => ({
  day: "2026-12-01",
  tenant: "acme",
  consumer: "writer",
  provider: "openai",
  model: "gpt-4o",
  inputTokens: 10,
  outputTokens: 2,
  costMicros: 30,
  metered: true,
  ...overrides,
});

const rowsOf = (consumer: string) =>
  env.DB.prepare(
    "SELECT model, requests, input_tokens, output_tokens, cost_micros, unmetered_requests FROM ai_usage WHERE consumer = ? ORDER BY model",
  )
    .bind(consumer)
    .all()
    .then((result) => result.results);

/** The real database, with each batch's statement count recorded and the first `failures` batches refused. */
function watchedDb(failures = 0) {
  const batches: number[] = [];
  let refused = 0;
  const db = {
    prepare: (query: string) => env.DB.prepare(query),
    batch: (statements: D1PreparedStatement[]) => {
      if (refused < failures) {
        refused++;
        return Promise.reject(new RangeError("D1 down"));
      }
      batches.push(statements.length);
      return env.DB.batch(statements);
    },
  };
  return { db: db as unknown as D1Database, batches };
}

describe("countUsage", () => {
  afterEach(() => vi.restoreAllMocks());

  it("sums the records of one row that settle together into one upsert, and keeps other rows apart", async () => {
    const { db, batches } = watchedDb();
    await Promise.all([
      countUsage(db, record({ consumer: "sum-a" })),
      countUsage(db, record({ consumer: "sum-a", inputTokens: 5, outputTokens: 1, costMicros: 7, metered: false })),
      countUsage(db, record({ consumer: "sum-a", model: "gpt-4o-mini" })),
    ]);
    expect(batches).toEqual([1]);
    expect(await rowsOf("sum-a")).toEqual([
      { model: "gpt-4o", requests: 2, input_tokens: 15, output_tokens: 3, cost_micros: 37, unmetered_requests: 1 },
      { model: "gpt-4o-mini", requests: 1, input_tokens: 10, output_tokens: 2, cost_micros: 30, unmetered_requests: 0 },
    ]);
  });

  it("adds to the row earlier batches left", async () => {
    const { db } = watchedDb();
    await countUsage(db, record({ consumer: "add-a" }));
    await countUsage(db, record({ consumer: "add-a", inputTokens: 1 }));
    expect(await rowsOf("add-a")).toEqual([
      { model: "gpt-4o", requests: 2, input_tokens: 11, output_tokens: 4, cost_micros: 60, unmetered_requests: 0 },
    ]);
  });

  it("holds a record that comes within the interval for the next batch, where later ones join it", async () => {
    const { db, batches } = watchedDb();
    const first = countUsage(db, record({ consumer: "wait-a" }));
    await first;
    // The write just started: these wait for the interval's end, then go together, written by
    // the request that opened the batch; the other owes nothing and is settled at once.
    const [opener, joiner] = [countUsage(db, record({ consumer: "wait-a" })), countUsage(db, record({ consumer: "wait-b" }))];
    await joiner;
    expect(await rowsOf("wait-a")).toEqual([expect.objectContaining({ requests: 1 })]);
    expect(await rowsOf("wait-b")).toEqual([]);
    await opener;
    expect(batches).toEqual([1, 1]);
    expect(await rowsOf("wait-a")).toEqual([expect.objectContaining({ requests: 2 })]);
    expect(await rowsOf("wait-b")).toEqual([expect.objectContaining({ requests: 1 })]);
  });

  it("writes a full batch without waiting, in statements of at most ten rows, and opens another", async () => {
    const { db, batches } = watchedDb();
    const models = Array.from({ length: MAX_BATCH_ROWS + 1 }, (_, i) => `model-${String(i).padStart(2, "0")}`);
    await Promise.all(models.map((model) => countUsage(db, record({ consumer: "full-a", model }))));
    expect(batches).toEqual([MAX_BATCH_ROWS / ROWS_PER_STATEMENT, 1]);
    const rows = await rowsOf("full-a");
    expect(rows.map((row) => row.model)).toEqual(models);
    expect(rows.every((row) => row.requests === 1 && row.input_tokens === 10)).toBe(true);
  });

  it("cuts a model name to 200 characters, so a client cannot make rows large", async () => {
    await countUsage(env.DB, record({ consumer: "long-a", model: "m".repeat(5_000) }));
    expect(await rowsOf("long-a")).toEqual([expect.objectContaining({ model: "m".repeat(200) })]);
  });

  it("tries a failed write again, counting each row once", async () => {
    const { db, batches } = watchedDb(2);
    await Promise.all([countUsage(db, record({ consumer: "retry-a" })), countUsage(db, record({ consumer: "retry-a" }))]);
    expect(batches).toEqual([1]);
    expect(await rowsOf("retry-a")).toEqual([expect.objectContaining({ requests: 2, input_tokens: 20 })]);
  });

  it("gives up after three attempts with a warning of counts, never names, and never rejects", async () => {
    const warn = vi.spyOn(console, "warn").mockImplementation(() => undefined);
    const { db, batches } = watchedDb(3);
    await expect(
      Promise.all([countUsage(db, record({ consumer: "lost-a" })), countUsage(db, record({ consumer: "lost-b", outputTokens: 5 }))]),
    ).resolves.toEqual([undefined, undefined]);
    expect(batches).toEqual([]);
    expect(await rowsOf("lost-a")).toEqual([]);
    const lines = warn.mock.calls.map(([line]) => line as string);
    expect(lines.map((line) => JSON.parse(line) as unknown)).toEqual([
      { level: "warn", event: "ai_usage_not_recorded", rows: 2, requests: 2, input_tokens: 20, output_tokens: 7, name: "RangeError" },
    ]);
    expect(lines.join()).not.toMatch(/lost-|acme|gpt/);
  });
});
