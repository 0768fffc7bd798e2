-- Append-only audit log. Rows are hash-chained: hash = SHA-256(prev_hash || canonical row),
-- so a row altered or removed behind the API's back breaks the chain.
CREATE TABLE audit_log (
  id          INTEGER PRIMARY KEY AUTOINCREMENT,
  event_id    TEXT    NOT NULL UNIQUE,          -- idempotency key of the event
  ts          TEXT    NOT NULL,                 -- ISO 8601, UTC
  event       TEXT    NOT NULL,                 -- config_change, auth_failure, ...
  actor       TEXT    NOT NULL,                 -- admin identity or consumer
  action      TEXT    NOT NULL,
  target      TEXT    NOT NULL DEFAULT '',
  ip          TEXT    NOT NULL DEFAULT '',
  user_agent  TEXT    NOT NULL DEFAULT '',
  request_id  TEXT    NOT NULL DEFAULT '',
  old_version INTEGER,
  new_version INTEGER,
  details     TEXT    NOT NULL DEFAULT '{}',    -- JSON, never a secret
  prev_hash   TEXT    NOT NULL,
  hash        TEXT    NOT NULL UNIQUE
);

CREATE INDEX audit_log_event_ts ON audit_log (event, ts);
CREATE INDEX audit_log_actor_ts ON audit_log (actor, ts);
CREATE INDEX audit_log_target_ts ON audit_log (target, ts);

-- The database itself refuses to rewrite history.
CREATE TRIGGER audit_log_no_update BEFORE UPDATE ON audit_log
BEGIN
  SELECT RAISE(ABORT, 'audit_log is append-only: UPDATE refused');
END;

CREATE TRIGGER audit_log_no_delete BEFORE DELETE ON audit_log
BEGIN
  SELECT RAISE(ABORT, 'audit_log is append-only: DELETE refused');
END;
