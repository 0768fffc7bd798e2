/**
 * The usage counters (migrations/0009_ai_usage.sql): one upsert per settled AI request, in the
 * request's `waitUntil`. Not batched per isolate: an isolate has no hook before it is evicted,
 * so counts held in memory would be lost, and a write per AI request is small beside the
 * request itself (a model's answer takes seconds; D1 takes one statement). Rows are bounded per
 * day by the distinct (tenant, consumer, provider, model) a day's requests name; a model name is
 * cut to MAX_MODEL_LENGTH so a client cannot make rows large.
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

export const MAX_MODEL_LENGTH = 200;

const UPSERT = `INSERT INTO ai_usage
  (day, tenant, consumer, provider, model, requests, input_tokens, output_tokens, cost_micros, unmetered_requests)
  VALUES (?1, ?2, ?3, ?4, ?5, 1, ?6, ?7, ?8, ?9)
  ON CONFLICT (day, tenant, consumer, provider, model) DO UPDATE SET
    requests = requests + 1,
    input_tokens = input_tokens + excluded.input_tokens,
    output_tokens = output_tokens + excluded.output_tokens,
    cost_micros = cost_micros + excluded.cost_micros,
    unmetered_requests = unmetered_requests + excluded.unmetered_requests`;

export async function recordUsage(db: D1Database, record: UsageRecord): Promise<void> {
  await db
    .prepare(UPSERT)
    .bind(
      record.day,
      record.tenant ?? "",
      record.consumer ?? "",
      record.provider,
      record.model.slice(0, MAX_MODEL_LENGTH),
      record.inputTokens,
      record.outputTokens,
      record.costMicros,
      record.metered ? 0 : 1,
    )
    .run();
}
