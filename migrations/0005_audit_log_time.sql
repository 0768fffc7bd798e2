-- Time-ordered reads of the audit log (storage-schema.md): `GET /admin/audit` without an
-- event, actor or target filter walks it newest or oldest first, and the daily export
-- (worker/audit/archive.ts) finds a UTC day's rows through it. SQLite appends the rowid (id)
-- to every index, so this orders by (ts, id), the order those reads use.
CREATE INDEX audit_log_ts ON audit_log (ts);
