-- The AI gateway's token and cost counters (worker/policies/ai-gateway/budgets/usage-table.ts),
-- read by GET /admin/ai/usage. One row per UTC day, tenant, consumer, provider and model,
-- upserted once per forwarded AI request after its answer. Counts only: never a prompt, an
-- answer or a key. '' stands for "none" (a request without a consumer or tenant), because
-- NULLs in a primary key never conflict and would defeat the upsert.
-- Counters, not a log: rows are updated in place, unlike audit_log; the audit log keeps the
-- decisions, this table what was spent.
CREATE TABLE ai_usage (
  day                TEXT NOT NULL,               -- YYYY-MM-DD, UTC, of the request's start
  tenant             TEXT NOT NULL DEFAULT '',
  consumer           TEXT NOT NULL DEFAULT '',
  provider           TEXT NOT NULL,               -- ai_gateway.providers[].name
  model              TEXT NOT NULL DEFAULT '',    -- as the request named it, at most 200 characters
  requests           INTEGER NOT NULL DEFAULT 0,
  input_tokens       INTEGER NOT NULL DEFAULT 0,
  output_tokens      INTEGER NOT NULL DEFAULT 0,
  cost_micros        INTEGER NOT NULL DEFAULT 0,  -- millionths of the unit of cost_per_1k
  unmetered_requests INTEGER NOT NULL DEFAULT 0,  -- answers without a usage report, counted at their reservation
  PRIMARY KEY (day, tenant, consumer, provider, model)
) WITHOUT ROWID;

-- GET /admin/ai/usage filters by day range first, then by tenant or consumer.
CREATE INDEX ai_usage_tenant_day ON ai_usage (tenant, day);
CREATE INDEX ai_usage_consumer_day ON ai_usage (consumer, day);
