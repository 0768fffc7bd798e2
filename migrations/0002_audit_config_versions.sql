-- Config versions are allocated through the audit log (KV has no compare-and-set): a
-- config_change row that names a new_version claims it, and no two rows may claim the same
-- one. worker/audit/writer.ts checks this in its insert; the index makes the database refuse
-- it too, whoever writes.
CREATE UNIQUE INDEX audit_log_config_version ON audit_log (new_version)
  WHERE event = 'config_change' AND new_version IS NOT NULL;
