/**
 * The usage counters (migrations/0009_ai_usage.sql), written by ./usage-writer.ts in batches of
 * rows summed per isolate. Rows are bounded per day by the distinct (tenant, consumer, provider,
 * model) a day's requests name; a model name is cut to MAX_MODEL_LENGTH so a client cannot make
 * rows large.
 */

export interface UsageRecord {
  day: string;
  tenant?: string;
  consumer?: string;
  provider: string;
  model: string;
  inputTokens: number;
  outputTokens: number;
  costMicros: number;
  /** False when the provider reported no usage and the reservation was counted instead. */
  metered: boolean;
}

/** Several requests' records of one row, summed. */
export interface UsageSums extends Omit<UsageRecord, "metered"> {
  requests: number;
  unmeteredRequests: number;
}

export const MAX_MODEL_LENGTH = 200;

const COLUMNS = 10;
/** D1 binds at most 100 values per statement: ten rows of ten columns. */
export const ROWS_PER_STATEMENT = 100 / COLUMNS;

const upsert = (rows: number) => `INSERT INTO ai_usage
  (day, tenant, consumer, provider, model, requests, input_tokens, output_tokens, cost_micros, unmetered_requests)
  VALUES ${Array.from({ length: rows }, () => `(${Array(COLUMNS).fill("?").join(", ")})`).join(", ")}
  ON CONFLICT (day, tenant, consumer, provider, model) DO UPDATE SET
    requests = requests + excluded.requests,
    input_tokens = input_tokens + excluded.input_tokens,
    output_tokens = output_tokens + excluded.output_tokens,
    cost_micros = cost_micros + excluded.cost_micros,
    unmetered_requests = unmetered_requests + excluded.unmetered_requests`;

/** The key of a record's row: sums of one key go in one row. */
export function usageRowKey(record: UsageRecord): string {
  return JSON.stringify([record.day, record.tenant ?? "", record.consumer ?? "", record.provider, record.model.slice(0, MAX_MODEL_LENGTH)]);
}

/**
 * Adds summed rows to the table in one D1 batch, so all of them or none (a retry never counts a
 * row twice). The caller gives each row's key at most once.
 */
export async function addUsage(db: D1Database, rows: readonly UsageSums[]): Promise<void> {
  const statements: D1PreparedStatement[] = [];
  for (let first = 0; first < rows.length; first += ROWS_PER_STATEMENT) {
    const chunk = rows.slice(first, first + ROWS_PER_STATEMENT);
    const values = chunk.flatMap((row) => [
      row.day,
      row.tenant ?? "",
      row.consumer ?? "",
      row.provider,
      row.model.slice(0, MAX_MODEL_LENGTH),
      row.requests,
      row.inputTokens,
      row.outputTokens,
      row.costMicros,
      row.unmeteredRequests,
    ]);
    statements.push(db.prepare(upsert(chunk.length)).bind(...values));
  }
  if (statements.length > 0) await db.batch(statements);
}

/** The columns a report may group by. */
export const USAGE_GROUPS = ["day", "tenant", "consumer", "provider", "model"] as const;
export type UsageGroup = (typeof USAGE_GROUPS)[number];

export interface UsageQuery {
  /** Days, `YYYY-MM-DD`, both included. */
  from: string;
  to: string;
  /** Exact matches; "" for requests without a tenant or consumer. */
  tenant?: string;
  consumer?: string;
  provider?: string;
  model?: string;
  /** In this order; none: one row for everything. */
  groupBy: readonly UsageGroup[];
  /** At most this many rows; `truncated` says when there were more. */
  limit: number;
}

export interface UsageTotals {
  requests: number;
  input_tokens: number;
  output_tokens: number;
  total_tokens: number;
  /** In the unit of `cost_per_1k`. */
  cost: number;
  unmetered_requests: number;
}

export type UsageReportRow = Partial<Record<UsageGroup, string | null>> & UsageTotals;

export interface UsageReport {
  rows: UsageReportRow[];
  totals: UsageTotals;
  truncated: boolean;
}

const SUMS = `COALESCE(SUM(requests), 0) AS requests, COALESCE(SUM(input_tokens), 0) AS input_tokens,
  COALESCE(SUM(output_tokens), 0) AS output_tokens, COALESCE(SUM(cost_micros), 0) AS cost_micros,
  COALESCE(SUM(unmetered_requests), 0) AS unmetered_requests`;

type SumRow = Record<string, string | number>;

function totalsOf(row: SumRow | undefined): UsageTotals {
  const input = Number(row?.input_tokens ?? 0);
  const output = Number(row?.output_tokens ?? 0);
  return {
    requests: Number(row?.requests ?? 0),
    input_tokens: input,
    output_tokens: output,
    total_tokens: input + output,
    cost: Number(row?.cost_micros ?? 0) / 1_000_000,
    unmetered_requests: Number(row?.unmetered_requests ?? 0),
  };
}

/**
 * The usage of a day range, filtered and summed per group, in one D1 batch (one snapshot: the
 * rows and the totals agree). Group columns come from USAGE_GROUPS only, never from the query's
 * text; every value is bound. '' (none) reads as null.
 */
export async function queryUsage(db: D1Database, query: UsageQuery): Promise<UsageReport> {
  const where = ["day >= ?", "day <= ?"];
  const values: string[] = [query.from, query.to];
  for (const column of ["tenant", "consumer", "provider", "model"] as const) {
    const value = query[column];
    if (value === undefined) continue;
    where.push(`${column} = ?`);
    values.push(value);
  }
  const filter = `FROM ai_usage WHERE ${where.join(" AND ")}`;
  const groups = query.groupBy.join(", ");
  const grouped =
    query.groupBy.length === 0
      ? `SELECT ${SUMS} ${filter} HAVING COUNT(*) > 0 LIMIT ?`
      : `SELECT ${groups}, ${SUMS} ${filter} GROUP BY ${groups} ORDER BY ${groups} LIMIT ?`;
  const [rows, totals] = await db.batch<SumRow>([
    db.prepare(grouped).bind(...values, query.limit + 1),
    db.prepare(`SELECT ${SUMS} ${filter}`).bind(...values),
  ]);
  const found = rows!.results;
  return {
    rows: found.slice(0, query.limit).map((row) => ({
      ...Object.fromEntries(query.groupBy.map((column) => [column, row[column] === "" ? null : String(row[column])])),
      ...totalsOf(row),
    })),
    totals: totalsOf(totals!.results[0]),
    truncated: found.length > query.limit,
  };
}
