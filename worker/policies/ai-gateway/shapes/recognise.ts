/**
 * Which provider API a request speaks, decided by the URL path AND the body: the path picks the
 * API (the suffix, so a route prefix such as `/ai` is kept), the body must then have that API's
 * shape, field by field. Anything else is `{ api: "unknown" }`, which the caller refuses when a
 * content check is on (fail closed): a body the edge cannot read is a body it cannot check.
 */
import { readAnthropicMessages } from "./anthropic-messages";
import { readOpenaiChat } from "./openai-chat";
import { readOpenaiEmbeddings } from "./openai-embeddings";
import { readOpenaiResponses } from "./openai-responses";
import { isRecord, NotUnderstood, type ProviderApi, type RecognisedRequest, type Recognition } from "./shape";

const READERS: Record<ProviderApi, (body: Record<string, unknown>) => RecognisedRequest> = {
  "anthropic-messages": readAnthropicMessages,
  "openai-chat": readOpenaiChat,
  "openai-responses": readOpenaiResponses,
  "openai-embeddings": readOpenaiEmbeddings,
};

/**
 * The API a path names, by its last segments, compared exactly (case and all): a provider
 * answers only its own spelling, and one the edge does not know is unknown rather than guessed.
 *
 * - `…/v1/messages` Anthropic; `…/v1/chat/completions`, `…/v1/responses`, `…/v1/embeddings` OpenAI
 *   and compatible servers;
 * - Azure OpenAI: `…/openai/deployments/<deployment>/chat/completions` and `…/embeddings`,
 *   `…/openai/responses` (`?api-version=` in the query), `…/openai/v1/…` as OpenAI's.
 */
export function apiOfPath(path: string): ProviderApi | undefined {
  const end = path.search(/[?#]/);
  const segments = (end === -1 ? path : path.slice(0, end)).split("/");
  const endsWith = (...tail: string[]) =>
    segments.length > tail.length && tail.every((segment, index) => segments[segments.length - tail.length + index] === segment);
  // `openai/deployments/<deployment>/` right before the last `tailLength` segments.
  const azureDeployment = (tailLength: number) => {
    const at = segments.length - tailLength;
    return at >= 3 && segments[at - 3] === "openai" && segments[at - 2] === "deployments" && segments[at - 1] !== "";
  };
  if (endsWith("v1", "messages")) return "anthropic-messages";
  if (endsWith("v1", "chat", "completions") || (endsWith("chat", "completions") && azureDeployment(2))) return "openai-chat";
  if (endsWith("v1", "responses") || endsWith("openai", "responses")) return "openai-responses";
  if (endsWith("v1", "embeddings") || (endsWith("embeddings") && azureDeployment(1))) return "openai-embeddings";
  return undefined;
}

/** What a provider request body holds; `body` is the parsed JSON. Never throws on any JSON value. */
export function recognise(path: string, body: unknown): Recognition {
  const api = apiOfPath(path);
  if (api === undefined) return { api: "unknown", reason: "the path is not a provider API the edge understands" };
  if (!isRecord(body)) return { api: "unknown", reason: "the body is not a JSON object" };
  try {
    return READERS[api](body);
  } catch (error) {
    if (error instanceof NotUnderstood) return { api: "unknown", reason: error.message };
    throw error;
  }
}
