-- What the triggers of 0001 and 0003 left open. SQLite's REPLACE conflict resolution
-- (`INSERT OR REPLACE`, `REPLACE INTO`) deletes the row that holds the key WITHOUT firing its
-- DELETE triggers (recursive_triggers is off), then inserts the new one: an audit row could
-- be rewritten, and a revoked key or a disabled consumer put back as new, without an UPDATE or
-- a DELETE. A BEFORE INSERT trigger runs before any conflict is resolved, so refusing a key
-- that exists there closes REPLACE and UPSERT (`ON CONFLICT … DO UPDATE`) alike.
-- Writers that take "already there" as an answer check it in the statement
-- (`INSERT … SELECT … WHERE NOT EXISTS`), so the triggers never fire for them.

CREATE TRIGGER audit_log_no_replace BEFORE INSERT ON audit_log
WHEN EXISTS (SELECT 1 FROM audit_log WHERE id = NEW.id)
  OR EXISTS (SELECT 1 FROM audit_log WHERE event_id = NEW.event_id)
  OR EXISTS (SELECT 1 FROM audit_log WHERE hash = NEW.hash)
  OR (NEW.event = 'config_change' AND NEW.new_version IS NOT NULL
      AND EXISTS (SELECT 1 FROM audit_log WHERE event = 'config_change' AND new_version = NEW.new_version))
BEGIN
  SELECT RAISE(ABORT, 'audit_log is append-only: a row with this id, event_id, hash or config version exists');
END;

CREATE TRIGGER consumers_no_replace BEFORE INSERT ON consumers
WHEN EXISTS (SELECT 1 FROM consumers WHERE id = NEW.id)
BEGIN
  SELECT RAISE(ABORT, 'consumers: this id exists; a consumer is never replaced');
END;

-- Only disabled_at is ever set (worker/consumers/store.ts); who a consumer is and whose
-- tenant it serves never changes (a tenant moved would hand its keys another tenant's vault).
CREATE TRIGGER consumers_identity_final BEFORE UPDATE ON consumers
WHEN NEW.id IS NOT OLD.id OR NEW.tenant IS NOT OLD.tenant OR NEW.created_at IS NOT OLD.created_at
BEGIN
  SELECT RAISE(ABORT, 'consumers: id, tenant and created_at never change');
END;

CREATE TRIGGER consumers_no_delete BEFORE DELETE ON consumers
BEGIN
  SELECT RAISE(ABORT, 'consumers: a consumer is disabled, never deleted');
END;

CREATE TRIGGER consumer_keys_no_replace BEFORE INSERT ON consumer_keys
WHEN EXISTS (SELECT 1 FROM consumer_keys WHERE key_id = NEW.key_id)
  OR EXISTS (SELECT 1 FROM consumer_keys WHERE sha256 = NEW.sha256)
BEGIN
  SELECT RAISE(ABORT, 'consumer_keys: this key_id or key exists; a key is never replaced');
END;

-- Only revoked_at is ever set (0003 keeps it from being undone); the rest of a key is its history.
CREATE TRIGGER consumer_keys_history_final BEFORE UPDATE ON consumer_keys
WHEN NEW.key_id IS NOT OLD.key_id OR NEW.prefix IS NOT OLD.prefix OR NEW.last4 IS NOT OLD.last4
  OR NEW.created_at IS NOT OLD.created_at OR NEW.rotated_from IS NOT OLD.rotated_from
BEGIN
  SELECT RAISE(ABORT, 'consumer_keys: only revoked_at changes');
END;

CREATE TRIGGER consumer_keys_no_delete BEFORE DELETE ON consumer_keys
BEGIN
  SELECT RAISE(ABORT, 'consumer_keys: a key is revoked, never deleted');
END;

-- Credentials are replaced (key_version + 1) and deleted through the API, and re-encrypted in
-- place by a root rotation (same key_version); a version never goes back, and a row never
-- moves to another tenant or provider (its AAD would not match anyway: this says so early).
CREATE TRIGGER credentials_version_forward BEFORE UPDATE ON credentials
WHEN NEW.tenant IS NOT OLD.tenant OR NEW.provider IS NOT OLD.provider OR NEW.key_version < OLD.key_version
BEGIN
  SELECT RAISE(ABORT, 'credentials: key_version never goes back, and a row never changes tenant or provider');
END;
