-- The models a consumer's keys may name in an AI route's request (worker/consumers/schema.ts,
-- `allowed_models`): JSON array of model names; NULL = every model the route allows. Checked
-- with the route's (or ai_gateway's) list, both must allow (policies/ai-gateway/request.ts).
-- Set when the consumer is created, like allowed_routes; the triggers of 0003 and 0006 leave
-- inserts of a new id and this column alone.
ALTER TABLE consumers ADD COLUMN allowed_models TEXT;
