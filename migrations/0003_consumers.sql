-- Consumers of the gateway and their API keys (worker/consumers/). A key is never stored:
-- only the lower-case hex SHA-256 of its UTF-8 text, which the api_key scheme computes from
-- the presented key and looks up here. A leaked table therefore leaks no usable key.
-- Times are ISO 8601 UTC text (Date#toISOString), so they compare correctly as strings.
CREATE TABLE consumers (
  id             TEXT PRIMARY KEY,              -- chosen by the operator; c.var.consumer
  tenant         TEXT NOT NULL,                 -- c.var.tenant
  rate_limit     TEXT,                          -- JSON: the consumer's own limit ({requests_per_second, burst, ...}); NULL = the config's
  allowed_routes TEXT,                          -- JSON array of route ids; NULL = every route
  created_at     TEXT NOT NULL,
  disabled_at    TEXT                           -- NULL = enabled; set once by DELETE, after which every key fails
);

CREATE TABLE consumer_keys (
  key_id       TEXT PRIMARY KEY,                -- random UUID, names the key in the admin API and the audit log
  consumer_id  TEXT NOT NULL REFERENCES consumers (id),
  sha256       TEXT NOT NULL UNIQUE CHECK (length(sha256) = 64),  -- hex SHA-256 of the key; the UNIQUE index serves the lookup
  prefix       TEXT NOT NULL,                   -- first 7 characters (`lk_` + 4), for people to recognise a key
  last4        TEXT NOT NULL,                   -- last 4 characters, likewise
  created_at   TEXT NOT NULL,
  revoked_at   TEXT,                            -- NULL = active; a future time = rotated, still valid until then
  rotated_from TEXT REFERENCES consumer_keys (key_id)
);

CREATE INDEX consumer_keys_consumer ON consumer_keys (consumer_id, created_at);

-- A revocation or a disabling is final, whoever writes: the database refuses to undo one,
-- to postpone a revocation, or to move a key to another consumer or another hash.
CREATE TRIGGER consumer_keys_revocation_final BEFORE UPDATE ON consumer_keys
WHEN NEW.sha256 IS NOT OLD.sha256
  OR NEW.consumer_id IS NOT OLD.consumer_id
  OR (OLD.revoked_at IS NOT NULL AND (NEW.revoked_at IS NULL OR NEW.revoked_at > OLD.revoked_at))
BEGIN
  SELECT RAISE(ABORT, 'consumer_keys: a revocation cannot be undone or postponed, and a key cannot change hands');
END;

CREATE TRIGGER consumers_disable_final BEFORE UPDATE ON consumers
WHEN OLD.disabled_at IS NOT NULL AND NEW.disabled_at IS NOT OLD.disabled_at
BEGIN
  SELECT RAISE(ABORT, 'consumers: a disabled consumer stays disabled');
END;
