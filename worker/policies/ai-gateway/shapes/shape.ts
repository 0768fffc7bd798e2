/**
 * What a recognised provider request body is made of, and the small readers the four API
 * walkers share. A walker that meets anything it does not understand throws `NotUnderstood`;
 * `recognise` turns that into `{ api: "unknown", reason }` so the caller can fail closed.
 */
import { isRecord } from "../../../http/json-value";

export type ProviderApi = "anthropic-messages" | "openai-chat" | "openai-responses" | "openai-embeddings";

/** A step into the JSON body: an object key or an array index. */
export type JsonPath = readonly (string | number)[];

/**
 * Why the model reads a text, so a check can treat them differently (e.g. instructions hidden in a
 * document or a tool output are the indirect-injection case).
 */
export type TextKind =
  | "instructions" // Anthropic `system`, Responses `instructions`, system/developer messages
  | "message" // a user or assistant turn's text
  | "tool_call" // arguments of a call the assistant made earlier (the model reads its own calls back)
  | "tool_output" // what a tool returned
  | "document" // a document's text, title or context (Anthropic `document`, `search_result`)
  | "name" // a chat participant's `name`
  | "prompt_variable" // Responses `prompt.variables`
  | "embedding_input"; // an Embeddings `input` string

/** One text the model will read: where it is in the body, whose turn, and the text itself. */
export interface TextSlot {
  path: JsonPath;
  /** The message's role ("system" for Anthropic `system` and Responses `instructions`). */
  role?: string;
  kind: TextKind;
  text: string;
}

/**
 * An input the model reads that is not text the edge can check: images, audio, base64 PDFs,
 * files and stored items by id, embeddings token arrays. Listed so a strict policy can refuse them.
 */
export interface OpaqueInput {
  path: JsonPath;
  type: string;
}

export interface RecognisedRequest {
  api: ProviderApi;
  texts: TextSlot[];
  opaque: OpaqueInput[];
  model?: string;
  /** The largest of the output-token limits the body sets; absent when it sets none. */
  maxOutputTokens?: number;
  /** How many completions the request asks for (Chat Completions `n`); each may use `maxOutputTokens`. */
  completions: number;
  stream: boolean;
}

export interface UnknownRequest {
  api: "unknown";
  /** Why, for the 400 (never contains a text of the body). */
  reason: string;
}

export type Recognition = RecognisedRequest | UnknownRequest;

export class NotUnderstood extends Error {}

export const notUnderstood = (path: JsonPath, what: string): NotUnderstood =>
  new NotUnderstood(`${path.length === 0 ? "the body" : path.join(".")} ${what}`);

export { isRecord };

/** What the walkers fill in; one per recognised body. */
export class SlotCollector {
  readonly texts: TextSlot[] = [];
  readonly opaque: OpaqueInput[] = [];

  text(path: JsonPath, kind: TextKind, role: string | undefined, text: string): void {
    this.texts.push(role === undefined ? { path, kind, text } : { path, role, kind, text });
  }

  opaqueInput(path: JsonPath, type: string): void {
    this.opaque.push({ path, type });
  }

  /** The recognised request: the slots, and the fields every API spells alike (`model`, `stream`). */
  result(api: ProviderApi, body: Record<string, unknown>, maxOutputTokens: number | undefined, completions = 1): RecognisedRequest {
    return {
      api,
      texts: this.texts,
      opaque: this.opaque,
      model: optionalString(body, "model", []),
      maxOutputTokens,
      completions,
      // Embeddings have no stream mode: a `stream` field there is not the provider's.
      stream: api !== "openai-embeddings" && (optionalBoolean(body, "stream") ?? false),
    };
  }
}

// Providers accept `null` for an optional field as if it were absent (OpenAI's schemas are
// nullable throughout), so the readers do too; any other wrong type is not understood.

export function optionalString(body: Record<string, unknown>, key: string, path: JsonPath): string | undefined {
  const value = body[key];
  if (value === undefined || value === null) return undefined;
  if (typeof value !== "string") throw notUnderstood([...path, key], "is not a string");
  return value;
}

export function requiredString(body: Record<string, unknown>, key: string, path: JsonPath): string {
  const value = optionalString(body, key, path);
  if (value === undefined) throw notUnderstood([...path, key], "is missing");
  return value;
}

export function optionalBoolean(body: Record<string, unknown>, key: string): boolean | undefined {
  const value = body[key];
  if (value === undefined || value === null) return undefined;
  if (typeof value !== "boolean") throw notUnderstood([key], "is not a boolean");
  return value;
}

/** A token count: a non-negative safe integer (the providers refuse anything else). */
export function optionalTokenCount(body: Record<string, unknown>, key: string): number | undefined {
  const value = body[key];
  if (value === undefined || value === null) return undefined;
  if (typeof value !== "number" || !Number.isSafeInteger(value) || value < 0) throw notUnderstood([key], "is not a token count");
  return value;
}

export function requiredArray(body: Record<string, unknown>, key: string, path: JsonPath): unknown[] {
  const value = body[key];
  if (!Array.isArray(value)) throw notUnderstood([...path, key], "is not an array");
  return value;
}

export function recordAt(value: unknown, path: JsonPath): Record<string, unknown> {
  if (!isRecord(value)) throw notUnderstood(path, "is not an object");
  return value;
}

/** The largest of the limits set: the one that bounds what the provider may generate. */
export function largestLimit(...limits: (number | undefined)[]): number | undefined {
  let largest: number | undefined;
  for (const limit of limits) if (limit !== undefined && (largest === undefined || limit > largest)) largest = limit;
  return largest;
}
