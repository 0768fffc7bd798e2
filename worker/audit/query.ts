/**
 * Reading the audit log a page at a time (`GET /admin/audit`): filters on event, actor, target
 * (exact) and time (`since` inclusive, `until` exclusive), newest first or oldest first by
 * (`ts`, `id`), with keyset pagination. The cursor is the position of the page's last row,
 * opaque to clients (base64url of `[ts, id]`), so a page is one index range scan whatever the
 * table's size: each filter has an index that ends in (ts, id) (migrations 0001, 0005), and
 * rows written meanwhile never shift a page.
 */
import type { AuditRow } from "./types";

export const MAX_PAGE_SIZE = 500;

export interface AuditCursor {
  ts: string;
  id: number;
}

export interface AuditQuery {
  event?: string;
  actor?: string;
  target?: string;
  /** ISO 8601 UTC (Date#toISOString form), inclusive. */
  since?: string;
  /** ISO 8601 UTC (Date#toISOString form), exclusive. */
  until?: string;
  order: "desc" | "asc";
  limit: number;
  cursor?: AuditCursor;
}

/** A row as the API shows it: `details` parsed (the stored canonical text, if it is not JSON). */
export type AuditEntry = Omit<AuditRow, "details"> & { details: unknown };

export interface AuditPage {
  entries: AuditEntry[];
  /** Pass as `cursor` for the next page; null when this page is the last. */
  next_cursor: string | null;
}

const base64url = (text: string) => btoa(text).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");

export function encodeCursor(cursor: AuditCursor): string {
  return base64url(JSON.stringify([cursor.ts, cursor.id]));
}

/** The cursor, or undefined when the text is not one this API issued. */
export function decodeCursor(text: string): AuditCursor | undefined {
  try {
    const decoded: unknown = JSON.parse(atob(text.replace(/-/g, "+").replace(/_/g, "/")));
    if (!Array.isArray(decoded) || decoded.length !== 2) return undefined;
    const [ts, id] = decoded as unknown[];
    if (typeof ts !== "string" || Number.isNaN(Date.parse(ts)) || !Number.isSafeInteger(id) || (id as number) < 1) return undefined;
    return { ts, id: id as number };
  } catch {
    return undefined;
  }
}

function entry(row: AuditRow): AuditEntry {
  try {
    return { ...row, details: JSON.parse(row.details) };
  } catch {
    return row;
  }
}

export async function queryAuditLog(db: D1Database, query: AuditQuery): Promise<AuditPage> {
  const where: string[] = [];
  const params: (string | number)[] = [];
  for (const column of ["event", "actor", "target"] as const) {
    const value = query[column];
    if (value !== undefined) {
      where.push(`${column} = ?`);
      params.push(value);
    }
  }
  if (query.since !== undefined) {
    where.push("ts >= ?");
    params.push(query.since);
  }
  if (query.until !== undefined) {
    where.push("ts < ?");
    params.push(query.until);
  }
  const desc = query.order === "desc";
  if (query.cursor) {
    // (ts, id) strictly after the cursor in the page order, spelled so the ts bound is an index range.
    where.push(desc ? "ts <= ? AND (ts < ? OR id < ?)" : "ts >= ? AND (ts > ? OR id > ?)");
    params.push(query.cursor.ts, query.cursor.ts, query.cursor.id);
  }
  const direction = desc ? "DESC" : "ASC";
  const sql = `SELECT * FROM audit_log${where.length > 0 ? ` WHERE ${where.join(" AND ")}` : ""} ORDER BY ts ${direction}, id ${direction} LIMIT ?`;
  // One row more than asked tells whether another page follows.
  const { results } = await db
    .prepare(sql)
    .bind(...params, query.limit + 1)
    .all<AuditRow>();
  const page = results.slice(0, query.limit);
  const last = page.at(-1);
  return {
    entries: page.map(entry),
    next_cursor: results.length > query.limit && last ? encodeCursor({ ts: last.ts, id: last.id }) : null,
  };
}
