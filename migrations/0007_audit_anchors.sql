-- Keyed heads of the audit chain (worker/audit/anchor.ts). The SHA-256 chain of 0001 shows an
-- edit to anyone who can recompute it, but so can the editor: someone who can write to the
-- database can rewrite a row and recompute every later hash. Each append (a queue batch, a
-- synchronous admin row) therefore also records, in the same transaction, the new head under
-- HMAC-SHA-256 with the Worker secret AUDIT_HMAC_KEY, which the database never holds. A head
-- cannot be forged without that secret, and the head commits to every row before it.
CREATE TABLE audit_anchors (
  id         INTEGER PRIMARY KEY AUTOINCREMENT,
  head_id    INTEGER NOT NULL,                  -- the audit_log row whose hash is anchored: the last of its batch
  head_hash  TEXT    NOT NULL,                  -- that row's hash
  key_id     TEXT    NOT NULL CHECK (length(key_id) = 16),  -- which AUDIT_HMAC_KEY: 16 hex digits derived from it
  mac        TEXT    NOT NULL CHECK (length(mac) = 64),     -- hex HMAC-SHA-256(key, "loom-edge/audit-anchor/v1\n" || head_hash)
  created_at TEXT    NOT NULL
);

CREATE INDEX audit_anchors_head ON audit_anchors (head_id);

CREATE TRIGGER audit_anchors_no_replace BEFORE INSERT ON audit_anchors
WHEN EXISTS (SELECT 1 FROM audit_anchors WHERE id = NEW.id)
BEGIN
  SELECT RAISE(ABORT, 'audit_anchors is append-only: this id exists');
END;

CREATE TRIGGER audit_anchors_no_update BEFORE UPDATE ON audit_anchors
BEGIN
  SELECT RAISE(ABORT, 'audit_anchors is append-only: UPDATE refused');
END;

-- DELETE is refused by 0008, except for the heads a retention checkpoint covers.
