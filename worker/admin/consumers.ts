/**
 * Consumers and their API keys (D1, worker/consumers/). A key is generated here, answered
 * exactly once (201, `Cache-Control: no-store` like every admin answer) and stored only as its
 * SHA-256. Every change writes a `consumer_change` audit row first, which names the consumer
 * and key id, never the key; if that row cannot be written the change is refused (503). The
 * isolate that makes a change forgets its cached key lookups, so there it applies at once;
 * other isolates follow within KEY_CACHE_TTL_MS (5 s).
 */
import { HTTPException } from "hono/http-exception";
import { writeAuditEvent } from "../audit";
import { parseDocument, zodIssues } from "../config/parse";
import { auditUnavailable } from "../audit/change-author";
import { mintKey } from "../consumers/keys";
import { forgetConsumerKeys, KEY_CACHE_TTL_MS } from "../consumers/lookup";
import { consumerCreateSchema, keyRotationSchema, type Consumer } from "../consumers/schema";
import {
  disableConsumer,
  insertConsumer,
  insertKey,
  listConsumers,
  listKeys,
  readConsumer,
  readKey,
  revokeKey,
  rotateKey,
} from "../consumers/store";
import { httpError } from "../http/errors";
import { changeAuthor, type AdminContext, type AdminEndpoint } from "./context";
import { invalid, notFound, readBodyText, readStructuredBody, YAML_MEDIA_TYPES } from "./http";
import { compiledConfigOf } from "../pipeline/request-context";
import { log, errorName } from "../observability/logger";

/** Any D1 failure under these endpoints: 503; nothing is answered from a half-read store. */
async function fromStore<T>(operation: () => Promise<T>): Promise<T> {
  try {
    return await operation();
  } catch (error) {
    if (error instanceof HTTPException) throw error;
    log.error("consumer_store_unavailable", { name: errorName(error) });
    throw httpError("consumer_store_unavailable", "the consumer store (D1) cannot be reached; retry shortly", {
      headers: { "Retry-After": "1" },
    });
  }
}

/** The audit row of a change, written before the change; details never hold a key. */
async function audit(c: AdminContext, action: string, target: string, details?: Record<string, unknown>): Promise<void> {
  try {
    await writeAuditEvent(c.env, { event: "consumer_change", action, target, ...changeAuthor(c), details });
  } catch (error) {
    throw auditUnavailable(error);
  }
}

const consumerTarget = (id: string) => `consumers/${id}`;
const keyTarget = (id: string, keyId: string) => `consumers/${id}/keys/${keyId}`;

async function requireConsumer(c: AdminContext): Promise<Consumer> {
  const id = c.req.param("id")!;
  const consumer = await fromStore(() => readConsumer(c.env.DB, id));
  if (!consumer) throw notFound(`consumer "${id}"`);
  return consumer;
}

function refuseDisabled(consumer: Consumer): void {
  if (consumer.disabled)
    throw httpError("consumer_disabled", `consumer "${consumer.id}" is disabled; its keys cannot change and it gets no new ones`);
}

const raced = () => httpError("conflict", "another change to this consumer was saved at the same moment; GET it again and retry");

async function createConsumer(c: AdminContext) {
  const parsed = consumerCreateSchema.safeParse(await readStructuredBody(c, "invalid_consumer"));
  if (!parsed.success) throw invalid("invalid_consumer", zodIssues(parsed.error));
  const input = parsed.data;
  const duplicate = () => httpError("consumer_exists", `consumer "${input.id}" exists (ids are never reused, even once disabled)`);
  if (await fromStore(() => readConsumer(c.env.DB, input.id))) throw duplicate();
  await audit(c, "consumer_create", consumerTarget(input.id), {
    tenant: input.tenant,
    allowed_routes: input.allowed_routes ?? null,
    allowed_models: input.allowed_models ?? null,
    rate_limit: input.rate_limit ?? null,
  });
  const consumer = await fromStore(() => insertConsumer(c.env.DB, input, new Date().toISOString()));
  if (!consumer) throw duplicate();
  // Routes may be added after the consumer; an id the config in force lacks is only a warning.
  const routeIds = new Set(compiledConfigOf(c).config.routes.map((route) => route.id));
  const warnings = (input.allowed_routes ?? [])
    .filter((id) => !routeIds.has(id))
    .map((id) => `allowed_routes: route "${id}" is not in the config in force (version ${compiledConfigOf(c).version})`);
  c.header("Location", `${c.req.path.replace(/\/+$/, "")}/${input.id}`);
  return c.json({ ...consumer, warnings }, 201);
}

async function disable(c: AdminContext) {
  const consumer = await requireConsumer(c);
  if (consumer.disabled) return c.json(consumer); // already done: nothing changes, nothing is audited
  await audit(c, "consumer_disable", consumerTarget(consumer.id));
  const disabled = await fromStore(() => disableConsumer(c.env.DB, consumer.id, new Date().toISOString()));
  forgetConsumerKeys();
  return c.json(disabled ?? (await requireConsumer(c)));
}

async function issueKey(c: AdminContext) {
  const consumer = await requireConsumer(c);
  refuseDisabled(consumer);
  const keyId = crypto.randomUUID();
  const minted = await mintKey();
  await audit(c, "key_issue", keyTarget(consumer.id, keyId));
  const key = await fromStore(() => insertKey(c.env.DB, consumer.id, keyId, minted, new Date().toISOString()));
  if (!key) throw raced();
  return c.json({ ...key, key: minted.key }, 201);
}

async function listConsumerKeys(c: AdminContext) {
  const consumer = await requireConsumer(c);
  return c.json({ keys: await fromStore(() => listKeys(c.env.DB, consumer.id, new Date().toISOString())) });
}

async function requireKey(c: AdminContext, consumer: Consumer) {
  const keyId = c.req.param("keyId")!;
  const key = await fromStore(() => readKey(c.env.DB, consumer.id, keyId, new Date().toISOString()));
  if (!key) throw notFound(`key "${keyId}" of consumer "${consumer.id}"`);
  return key;
}

async function revoke(c: AdminContext) {
  const consumer = await requireConsumer(c);
  const key = await requireKey(c, consumer);
  if (key.status === "revoked") return c.json(key); // already done: nothing changes, nothing is audited
  await audit(c, "key_revoke", keyTarget(consumer.id, key.key_id));
  const revoked = await fromStore(() => revokeKey(c.env.DB, consumer.id, key.key_id, new Date().toISOString()));
  forgetConsumerKeys();
  return c.json(revoked ?? (await requireKey(c, consumer)));
}

/** The rotation options; the body may be empty. */
async function rotationOptions(c: AdminContext) {
  const text = await readBodyText(c);
  const parsed = text.trim() === "" ? { ok: true as const, document: {} } : parseDocument(text, c.req.header("Content-Type"));
  if (!parsed.ok) throw invalid("invalid_rotation", parsed.issues);
  const options = keyRotationSchema.safeParse(parsed.document);
  if (!options.success) throw invalid("invalid_rotation", zodIssues(options.error));
  return options.data;
}

async function rotate(c: AdminContext) {
  const { grace } = await rotationOptions(c);
  const consumer = await requireConsumer(c);
  refuseDisabled(consumer);
  const old = await requireKey(c, consumer);
  if (old.status !== "active") {
    throw httpError(
      "key_not_active",
      `key "${old.key_id}" is ${old.status === "revoked" ? "revoked" : "already rotated"}; rotate an active key, or issue a new one`,
    );
  }
  const keyId = crypto.randomUUID();
  const minted = await mintKey();
  const now = Date.now();
  await audit(c, "key_rotate", keyTarget(consumer.id, old.key_id), { replaced_by: keyId, grace_ms: grace });
  const rotated = await fromStore(() =>
    rotateKey(c.env.DB, consumer.id, old.key_id, keyId, minted, new Date(now).toISOString(), new Date(now + grace).toISOString()),
  );
  if (!rotated) throw raced();
  forgetConsumerKeys();
  return c.json({ ...rotated.key, key: minted.key, previous: rotated.previous }, 201);
}

const unavailable = { description: "D1 (the consumer store or the audit log) is unavailable; nothing changed.", schema: "Error" } as const;
const noConsumer = { description: "No such consumer.", schema: "Error" } as const;
const noKey = { description: "No such consumer, or no such key of it.", schema: "Error" } as const;
const propagation = `Applies at once in the isolate that served the change and within ${KEY_CACHE_TTL_MS / 1000} s everywhere else (the per-isolate key cache).`;

export const consumerEndpoints: AdminEndpoint[] = [
  {
    method: "POST",
    path: "/consumers",
    summary: "Create a consumer",
    description:
      "Body in JSON or YAML. Audited as consumer_change/consumer_create. Keys are issued separately. `warnings` lists allowed_routes the config in force does not have.",
    body: { schema: "ConsumerCreate", mediaTypes: ["application/json", ...YAML_MEDIA_TYPES] },
    responses: {
      201: { description: "Created; Location names it.", schema: "ConsumerCreated" },
      400: { description: "Invalid body: every problem by path; nothing changed.", schema: "InvalidConfig" },
      409: { description: "A consumer with this id exists (ids are never reused).", schema: "Error" },
      413: { description: "Body larger than 1 MiB.", schema: "Error" },
      503: unavailable,
    },
    handler: createConsumer,
  },
  {
    method: "GET",
    path: "/consumers",
    summary: "Every consumer, disabled ones included",
    responses: { 200: { description: "The consumers, by id.", schema: "ConsumerList" }, 503: unavailable },
    handler: async (c) => c.json({ consumers: await fromStore(() => listConsumers(c.env.DB)) }),
  },
  {
    method: "GET",
    path: "/consumers/:id",
    summary: "One consumer",
    responses: { 200: { description: "The consumer.", schema: "Consumer" }, 404: noConsumer, 503: unavailable },
    handler: async (c) => c.json(await requireConsumer(c)),
  },
  {
    method: "DELETE",
    path: "/consumers/:id",
    summary: "Disable a consumer",
    description: `Every key of the consumer stops working; the record and its keys' metadata stay, and the id is never reused. Final. Audited as consumer_change/consumer_disable. ${propagation}`,
    responses: {
      200: { description: "Disabled (or already disabled: nothing changed).", schema: "Consumer" },
      404: noConsumer,
      503: unavailable,
    },
    handler: disable,
  },
  {
    method: "POST",
    path: "/consumers/:id/keys",
    summary: "Issue an API key",
    description:
      "Generates `lk_` + 32 random bytes (base64url). The key is in this answer only; D1 keeps its SHA-256. Send it in the api_key header of the routes (default X-API-Key). Audited as consumer_change/key_issue (key id, never the key).",
    responses: {
      201: { description: "The key, shown exactly once, and its metadata.", schema: "IssuedApiKey" },
      404: noConsumer,
      409: { description: "The consumer is disabled.", schema: "Error" },
      503: unavailable,
    },
    handler: issueKey,
  },
  {
    method: "GET",
    path: "/consumers/:id/keys",
    summary: "A consumer's keys (metadata only)",
    responses: {
      200: { description: "Ids, prefixes, last 4 characters, times and status; never a key.", schema: "ApiKeyList" },
      404: noConsumer,
      503: unavailable,
    },
    handler: listConsumerKeys,
  },
  {
    method: "DELETE",
    path: "/consumers/:id/keys/:keyId",
    summary: "Revoke a key",
    description: `The key stops working (a key in its rotation grace period is cut short). Final. Audited as consumer_change/key_revoke. ${propagation}`,
    responses: { 200: { description: "Revoked (or already revoked: nothing changed).", schema: "ApiKey" }, 404: noKey, 503: unavailable },
    handler: revoke,
  },
  {
    method: "POST",
    path: "/consumers/:id/keys/:keyId/rotate",
    summary: "Replace a key with a new one",
    description: `Issues a new key (shown once, \`rotated_from\` names the old one) and revokes the old key, at once or after \`grace\` (at most 24h) so clients can switch. Body optional. Audited as consumer_change/key_rotate. ${propagation}`,
    body: { schema: "KeyRotation", mediaTypes: ["application/json", ...YAML_MEDIA_TYPES], optional: true },
    responses: {
      201: {
        description: "The new key, shown exactly once; `previous` is the old key's metadata with its revoked_at.",
        schema: "RotatedApiKey",
      },
      400: { description: "Invalid options.", schema: "InvalidConfig" },
      404: noKey,
      409: { description: "The consumer is disabled, or the key is not active (revoked or already rotated).", schema: "Error" },
      413: { description: "Body larger than 1 MiB.", schema: "Error" },
      503: unavailable,
    },
    handler: rotate,
  },
];
