/**
 * OpenAI's Embeddings (`POST /v1/embeddings`, Azure's `/openai/deployments/<d>/embeddings`):
 * `input` as a string or an array of strings. Token arrays (`number[]` or `number[][]`) are
 * opaque: they decode to text only with the model's tokenizer, which the edge does not carry.
 */
import { notUnderstood, SlotCollector, type RecognisedRequest } from "./shape";

export function readOpenaiEmbeddings(body: Record<string, unknown>): RecognisedRequest {
  const slots = new SlotCollector();
  const input = body.input;
  if (typeof input === "string") slots.text(["input"], "embedding_input", undefined, input);
  else if (!Array.isArray(input)) throw notUnderstood(["input"], "is neither a string nor an array");
  else if (input.length === 0) throw notUnderstood(["input"], "is empty");
  else if (input.every(isTokenId)) slots.opaqueInput(["input"], "token_array");
  else
    input.forEach((entry, index) => {
      if (typeof entry === "string") slots.text(["input", index], "embedding_input", undefined, entry);
      else if (Array.isArray(entry) && entry.every(isTokenId)) slots.opaqueInput(["input", index], "token_array");
      else throw notUnderstood(["input", index], "is neither a string nor a token array");
    });
  return slots.result("openai-embeddings", body, undefined);
}

const isTokenId = (value: unknown): boolean => typeof value === "number" && Number.isSafeInteger(value) && value >= 0;
