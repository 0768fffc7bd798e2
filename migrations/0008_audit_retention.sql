-- Retention of the audit log (worker/audit/retention.ts). D1 caps a database at 10 GB, so
-- rows older than `audit.retention`, once exported to R2 and anchored by a keyed head, are
-- pruned, oldest first. The pruning job first inserts a checkpoint: the id through which rows
-- go and the hash of that row, which the remaining chain's first row links onto, under
-- HMAC-SHA-256 with AUDIT_HMAC_KEY like a head. `verify` starts from the latest checkpoint.
CREATE TABLE audit_checkpoints (
  id         INTEGER PRIMARY KEY AUTOINCREMENT,
  through_id INTEGER NOT NULL UNIQUE,           -- audit_log rows with id <= this are pruned
  head_hash  TEXT    NOT NULL,                  -- hash of row through_id
  rows       INTEGER NOT NULL,                  -- rows this checkpoint prunes (after the previous one's through_id)
  cutoff     TEXT    NOT NULL,                  -- the rows pruned were all written before this time
  key_id     TEXT    NOT NULL CHECK (length(key_id) = 16),
  mac        TEXT    NOT NULL CHECK (length(mac) = 64),  -- hex HMAC-SHA-256(key, "loom-edge/audit-checkpoint/v1\n" || through_id || "\n" || head_hash)
  created_at TEXT    NOT NULL
);

CREATE TRIGGER audit_checkpoints_no_replace BEFORE INSERT ON audit_checkpoints
WHEN EXISTS (SELECT 1 FROM audit_checkpoints WHERE id = NEW.id OR through_id = NEW.through_id)
BEGIN
  SELECT RAISE(ABORT, 'audit_checkpoints is append-only: this id or through_id exists');
END;

CREATE TRIGGER audit_checkpoints_no_update BEFORE UPDATE ON audit_checkpoints
BEGIN
  SELECT RAISE(ABORT, 'audit_checkpoints is append-only: UPDATE refused');
END;

CREATE TRIGGER audit_checkpoints_no_delete BEFORE DELETE ON audit_checkpoints
BEGIN
  SELECT RAISE(ABORT, 'audit_checkpoints is append-only: DELETE refused');
END;

-- DELETE stays refused for every row no checkpoint covers: a raw DELETE needs a checkpoint
-- first, which is append-only and, without the secret, fails verify's keyed check.
DROP TRIGGER audit_log_no_delete;
CREATE TRIGGER audit_log_no_delete BEFORE DELETE ON audit_log
WHEN NOT EXISTS (SELECT 1 FROM audit_checkpoints WHERE through_id >= OLD.id)
BEGIN
  SELECT RAISE(ABORT, 'audit_log is append-only: DELETE refused (no checkpoint covers this row)');
END;

CREATE TRIGGER audit_anchors_no_delete BEFORE DELETE ON audit_anchors
WHEN NOT EXISTS (SELECT 1 FROM audit_checkpoints WHERE through_id >= OLD.head_id)
BEGIN
  SELECT RAISE(ABORT, 'audit_anchors is append-only: DELETE refused (no checkpoint covers this head)');
END;
