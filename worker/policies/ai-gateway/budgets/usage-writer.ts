/**
 * How settled AI requests reach the usage table: summed per isolate and row, written in batches.
 *
 * D1 has one writer per database, so an upsert per AI request would make the table's write rate
 * the gateway's AI request rate. Instead an isolate writes at most once per WRITE_INTERVAL_MS:
 * a record that comes when the last write started longer ago is written at once (a quiet isolate,
 * and every test, sees no delay); one that comes sooner joins the batch due at the end of the
 * interval, where records of the same (day, tenant, consumer, provider, model) are one row. A
 * batch of MAX_BATCH_ROWS rows is written without waiting, so one write stays a few statements.
 *
 * Nothing lives in memory alone, and no request waits on another's promise (the runtime runs a
 * promise's continuations in the request that made it, and cancels them once that request is
 * done): the request that opens a batch writes it, after the interval, in its own `waitUntil`,
 * which keeps the isolate until then; the request whose record fills a batch writes it at once,
 * in its own. The others' records ride in a batch already owned. A failed write is tried again
 * (the batch is one transaction: all rows or none), then logged with its counts, never with its
 * rows' names.
 */
import { errorName, log } from "../../../observability/logger";
import { addUsage, usageRowKey, type UsageRecord, type UsageSums } from "./usage-table";

export const WRITE_INTERVAL_MS = 50;
export const MAX_BATCH_ROWS = 40;
/** Waits before the second and third attempt of a write. */
const RETRY_DELAYS_MS = [100, 500];

interface Batch {
  rows: Map<string, UsageSums>;
  /** Taken by the first of its opener's timer and the request that fills it: written once. */
  taken: boolean;
}

const delay = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

class UsageWriter {
  private open: Batch | undefined;
  private lastWrite = Number.NEGATIVE_INFINITY;

  constructor(private readonly db: D1Database) {}

  /** What the caller must wait for: its batch's write when it opened or filled the batch, else nothing. */
  add(record: UsageRecord): Promise<void> {
    const opening = this.open === undefined;
    const batch = (this.open ??= { rows: new Map(), taken: false });
    const key = usageRowKey(record);
    const row = batch.rows.get(key);
    const { metered, ...counts } = record;
    const unmetered = metered ? 0 : 1;
    if (row) {
      row.requests += 1;
      row.inputTokens += counts.inputTokens;
      row.outputTokens += counts.outputTokens;
      row.costMicros += counts.costMicros;
      row.unmeteredRequests += unmetered;
    } else {
      batch.rows.set(key, { ...counts, requests: 1, unmeteredRequests: unmetered });
    }
    if (batch.rows.size >= MAX_BATCH_ROWS) return this.take(batch);
    if (!opening) return Promise.resolve();
    // Even when due now, written after this turn: the records of requests settled together join.
    const due = Math.max(0, this.lastWrite + WRITE_INTERVAL_MS - Date.now());
    return delay(due).then(() => this.take(batch));
  }

  /** Writes `batch` unless it was taken already; closes it to new records. */
  private take(batch: Batch): Promise<void> {
    if (batch.taken) return Promise.resolve();
    batch.taken = true;
    if (this.open === batch) this.open = undefined;
    this.lastWrite = Date.now();
    return this.write([...batch.rows.values()]);
  }

  private async write(rows: UsageSums[]): Promise<void> {
    for (let attempt = 0; ; attempt++) {
      try {
        return await addUsage(this.db, rows);
      } catch (error) {
        const wait = RETRY_DELAYS_MS[attempt];
        if (wait !== undefined) {
          await delay(wait);
          continue;
        }
        log.warn("ai_usage_not_recorded", {
          rows: rows.length,
          requests: rows.reduce((sum, row) => sum + row.requests, 0),
          input_tokens: rows.reduce((sum, row) => sum + row.inputTokens, 0),
          output_tokens: rows.reduce((sum, row) => sum + row.outputTokens, 0),
          name: errorName(error),
        });
        return;
      }
    }
  }
}

/** One writer per database binding (tests pass others); an isolate's bindings stay the same object. */
const writers = new WeakMap<D1Database, UsageWriter>();

/**
 * Counts a settled request in the usage table, in a batch (above). Resolves once the write this
 * request owes is done or given up (logged: its batch's, when it opened or filled it; else at
 * once); never rejects: pass it to `waitUntil`.
 */
export function countUsage(db: D1Database, record: UsageRecord): Promise<void> {
  let writer = writers.get(db);
  if (!writer) writers.set(db, (writer = new UsageWriter(db)));
  return writer.add(record);
}
