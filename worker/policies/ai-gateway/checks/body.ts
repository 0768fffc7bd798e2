/**
 * Reading a provider request for the checks, failing closed: a body the edge cannot read is a
 * body it cannot check. Refused (400), in this order: bytes that are not UTF-8 or text that is
 * not JSON (`invalid_json`), an object naming a member twice (`duplicate_key`: JSON.parse keeps
 * the last, a provider's parser may keep the first, so the edge would check one text and the
 * model read another; RFC 8259 §4), and a body that is not a request of a provider API the
 * shapes understand (`ai_request_not_understood`, with the shapes' reason, which names a place
 * in the body and never a text of it).
 */
import { hasDuplicateKey } from "../../../http/duplicate-keys";
import { ERROR_CATALOGUE } from "../../../http/error-catalogue";
import { recognise, type RecognisedRequest } from "../shapes";
import type { AiRefusalCode, RequestDecision } from "./types";

/**
 * A body read for the checks. `text` and `body` are there whenever the bytes were UTF-8 JSON, also
 * for a refused one: the gateway's lenient checks (model allow-list, token limit) read them.
 */
export type ReadRequest =
  | { ok: true; text: string; body: unknown; request: RecognisedRequest }
  | { ok: false; refusal: RequestDecision; text?: string; body?: unknown };

// A BOM is dropped (ignoreBOM false), as the request-body validator does; invalid UTF-8 throws.
const utf8 = new TextDecoder("utf-8", { fatal: true, ignoreBOM: false });

export function readProviderRequest(path: string, body: Uint8Array | string): ReadRequest {
  let text: string;
  let parsed: unknown;
  try {
    text = typeof body === "string" ? body : utf8.decode(body);
    parsed = JSON.parse(text);
  } catch {
    return notUnderstood("invalid_json");
  }
  if (hasDuplicateKey(text)) return notUnderstood("duplicate_key");
  const recognised = recognise(path, parsed);
  if (recognised.api === "unknown")
    return { ...notUnderstood("ai_request_not_understood", { reason: recognised.reason }), text, body: parsed };
  return { ok: true, text, body: parsed, request: recognised };
}

function notUnderstood(code: AiRefusalCode, details: Record<string, unknown> = {}): ReadRequest & { ok: false } {
  return { ok: false, refusal: refusal(code, details, [{ rule: "request_not_understood", action: "block" }]) };
}

/** A refusal with the catalogue's status and message for `code`. */
export function refusal(code: AiRefusalCode, details: Record<string, unknown>, events: RequestDecision["events"]): RequestDecision {
  const { status, message } = ERROR_CATALOGUE[code];
  return { kind: "refuse", status, code, message, details, events };
}
