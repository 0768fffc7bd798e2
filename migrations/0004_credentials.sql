-- The credential vault (worker/vault/): one provider secret per tenant and provider, encrypted
-- with AES-256-GCM under the tenant's data key (HKDF-SHA-256 from the VAULT_ROOT_KEY secret).
-- No column ever holds the secret: only its ciphertext, and its last 4 characters for people
-- to recognise it (only for secrets of 16 characters or more). Times are ISO 8601 UTC text.
CREATE TABLE credentials (
  tenant      TEXT    NOT NULL,                 -- the consumer's tenant (c.var.tenant)
  provider    TEXT    NOT NULL,                 -- openai, anthropic, github, ... ([a-z0-9_-]+)
  ciphertext  BLOB    NOT NULL,                 -- AES-256-GCM ciphertext || 16-byte tag
  iv          BLOB    NOT NULL,                 -- 12 random bytes, fresh for every encryption
  key_version INTEGER NOT NULL,                 -- 1 on create, +1 whenever the secret is replaced
  root_key_id TEXT    NOT NULL,                 -- which root key encrypted it (HKDF-derived id, 16 hex)
  created_at  TEXT    NOT NULL,
  rotated_at  TEXT,                             -- when the secret was last replaced; NULL = never
  last4       TEXT,                             -- last 4 characters; NULL for secrets shorter than 16
  PRIMARY KEY (tenant, provider),
  -- The database refuses anything that is not a GCM output: a plaintext written here by
  -- mistake (as TEXT, or shorter than a tag) is an error, not a silent leak.
  CHECK (typeof(ciphertext) = 'blob' AND length(ciphertext) > 16),
  CHECK (typeof(iv) = 'blob' AND length(iv) = 12),
  CHECK (key_version >= 1),
  CHECK (length(root_key_id) = 16),
  CHECK (last4 IS NULL OR length(last4) = 4)
) WITHOUT ROWID;

-- A root rotation re-encrypts the rows of every root but the current one.
CREATE INDEX credentials_root_key ON credentials (root_key_id);
