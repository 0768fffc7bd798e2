/**
 * What the AI gateway reads of a request before any provider sees it: the body, read once and
 * kept as bytes so a fallback can send it again; its JSON and recognised shape; and the checks
 * the route's config asks for (model allow-list, `max_tokens_per_request`).
 *
 * A body that is not JSON, or not a shape the edge understands, passes (the content checks, when
 * on, refuse it: fail closed there). The allow-list and the token limit still apply to it, read
 * leniently: its top-level `model` must be allowed (a body naming none is refused when a list is
 * set), and its top-level output limits and its whole text, estimated as one prompt, must fit.
 */
import type { Context } from "hono";
import type { AppEnv } from "../../env";
import { contentLength, readAtMost } from "../../http/body";
import { httpError } from "../../http/errors";
import { isRecord } from "../../http/json-value";
import { readProviderRequest, type ReadRequest } from "./checks";
import { estimateTokens } from "./shapes";

const BODYLESS_METHODS = new Set(["GET", "HEAD"]);
/** The output-token limits of the APIs the edge knows (Chat Completions, Messages, Responses). */
const OUTPUT_LIMIT_FIELDS = ["max_tokens", "max_completion_tokens", "max_output_tokens"] as const;

export interface AiRequest {
  /** The body as received, sent to each provider tried; null without one. */
  bytes: Uint8Array | null;
  /** The body read once for every check (checks/body.ts); with its text and JSON when it is UTF-8 JSON. */
  read?: ReadRequest;
}

/**
 * The body, whole, at most `limit` bytes (413 beyond, before anything is sent). A body a policy
 * already read (request-validator, body_limit's chunked read) is not read again.
 */
export async function readAiRequest(c: Context<AppEnv>, forwardPath: string, limit: number): Promise<AiRequest> {
  const request = c.req.raw;
  if (BODYLESS_METHODS.has(request.method)) return { bytes: null };
  const tooLarge = () => httpError("payload_too_large", `the request body is larger than ${limit} bytes`);
  let bytes = c.get("body") ?? null;
  if (bytes === null && request.body !== null) {
    const declared = contentLength(request.headers);
    if (declared !== undefined && declared > limit) throw tooLarge();
    bytes = await readAtMost(request.body, limit, tooLarge);
  }
  if (bytes === null) return { bytes };
  const read = readProviderRequest(forwardPath, bytes);
  // Refused whether or not a content check is on: JSON.parse keeps the last of two equal names, a
  // provider's parser may keep the first, so the gateway would check one model or text and the
  // provider act on another (RFC 8259 §4).
  if (!read.ok && read.refusal.kind === "refuse" && read.refusal.code === "duplicate_key") throw httpError("duplicate_key");
  return { bytes, read };
}

/** Whose allow-list a model check reads: the route's (or `ai_gateway`'s), or the calling consumer's. */
export type ModelListOwner = "route" | "consumer";

const REFUSALS: Record<ModelListOwner, { none: string; other: string }> = {
  route: { none: "this route serves only the models it lists; the request names none", other: "this route does not serve the model" },
  consumer: {
    none: "this consumer may use only the models it is allowed; the request names none",
    other: "this consumer is not allowed the model",
  },
};

/**
 * 403 `ai_model_not_allowed` unless the body's `model` is in `allowed` (when there is a list),
 * the message saying whose list refused, never what it lists. A request without a body
 * (`GET /v1/models`) asks no model for anything and passes.
 */
export function checkModel(request: AiRequest, allowed: ReadonlySet<string> | undefined, owner: ModelListOwner): void {
  if (allowed === undefined || request.bytes === null) return;
  const body = request.read?.body;
  const model = isRecord(body) ? body.model : undefined;
  if (typeof model !== "string") throw httpError("ai_model_not_allowed", REFUSALS[owner].none);
  if (!allowed.has(model)) {
    throw httpError("ai_model_not_allowed", `${REFUSALS[owner].other} ${JSON.stringify(model.slice(0, 100))}`, {
      extra: { model: model.slice(0, 100) },
    });
  }
}

/**
 * 400 `ai_token_limit` when the request's output limit (any of OUTPUT_LIMIT_FIELDS), or its estimated prompt tokens
 * (shapes/token-estimate.ts: the texts the model reads; for a body the edge cannot read, its
 * whole text), exceed `max`.
 */
export function checkTokenLimit(request: AiRequest, max: number | undefined): void {
  const text = request.read?.text;
  if (max === undefined || text === undefined) return;
  // Read at the top level whatever the shape: a field the API does not define costs nothing to
  // check, and a provider that reads it anyway cannot then exceed the limit.
  const json = isRecord(request.read!.body) ? request.read!.body : {};
  const output = Math.max(
    0,
    ...OUTPUT_LIMIT_FIELDS.map((field) => json[field]).filter((value): value is number => typeof value === "number"),
  );
  if (output > max) {
    throw httpError("ai_token_limit", `the request asks for up to ${output} output tokens; this route allows ${max}`, {
      extra: { limit: max, requested: output },
    });
  }
  const prompt = request.read!.ok ? estimateTokens(request.read!.request.texts) : estimateTokens([text]);
  if (prompt > max) {
    throw httpError("ai_token_limit", `the prompt is estimated at ${prompt} tokens; this route allows ${max} per request`, {
      extra: { limit: max, estimated: prompt },
    });
  }
}
