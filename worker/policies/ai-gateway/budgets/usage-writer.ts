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
 * Nothing lives in memory alone: each request waits for the write of its batch in its own
 * `waitUntil` (the runtime keeps the isolate until then), the way it waited for its own upsert.
 * A failed write is tried again (the batch is one transaction: all rows or none), then logged
 * with its counts, never with its rows' names.
 */
import { errorName, log } from "../../../observability/logger";
import { addUsage, usageRowKey, type UsageRecord, type UsageSums } from "./usage-table";

export const WRITE_INTERVAL_MS = 50;
export const MAX_BATCH_ROWS = 40;
/** Waits before the second and third attempt of a write. */
const RETRY_DELAYS_MS = [100, 500];

interface Batch {
  rows: Map<string, UsageSums>;
  /** Writes the batch now, before its time (it is full). */
  writeNow: () => void;
  /** Settles once the batch is written or given up; never rejects. */
  written: Promise<void>;
}

const delay = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

class UsageWriter {
  private open: Batch | undefined;
  private lastWrite = Number.NEGATIVE_INFINITY;

  constructor(private readonly db: D1Database) {}

  add(record: UsageRecord): Promise<void> {
    const batch = (this.open ??= this.openBatch());
    const key = usageRowKey(record);
    const row = batch.rows.get(key);
    const unmetered = record.metered ? 0 : 1;
    if (row) {
      row.requests += 1;
      row.inputTokens += record.inputTokens;
      row.outputTokens += record.outputTokens;
      row.costMicros += record.costMicros;
      row.unmeteredRequests += unmetered;
    } else {
      batch.rows.set(key, {
        day: record.day,
        tenant: record.tenant,
        consumer: record.consumer,
        provider: record.provider,
        model: record.model,
        requests: 1,
        inputTokens: record.inputTokens,
        outputTokens: record.outputTokens,
        costMicros: record.costMicros,
        unmeteredRequests: unmetered,
      });
    }
    if (batch.rows.size >= MAX_BATCH_ROWS) {
      this.open = undefined;
      batch.writeNow();
    }
    return batch.written;
  }

  private openBatch(): Batch {
    let writeNow!: () => void;
    const full = new Promise<void>((resolve) => (writeNow = resolve));
    // Even when due now, written after this turn: the records of requests settled together join.
    const due = Math.max(0, this.lastWrite + WRITE_INTERVAL_MS - Date.now());
    const batch: Batch = {
      rows: new Map(),
      writeNow,
      written: Promise.race([delay(due), full]).then(() => {
        if (this.open === batch) this.open = undefined;
        this.lastWrite = Date.now();
        return this.write([...batch.rows.values()]);
      }),
    };
    return batch;
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
 * Counts a settled request in the usage table, in a batch (above). Resolves once it is written
 * or given up (logged); never rejects: pass it to `waitUntil`.
 */
export function countUsage(db: D1Database, record: UsageRecord): Promise<void> {
  let writer = writers.get(db);
  if (!writer) writers.set(db, (writer = new UsageWriter(db)));
  return writer.add(record);
}
