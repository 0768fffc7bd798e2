/**
 * The texts a model wrote in a (non-streamed) JSON response, as slots for masking:
 * - Chat Completions: `choices[].message.content` (a string);
 * - Anthropic Messages: `content[].text` of `text` blocks;
 * - Responses: `output[].content[].text` of `output_text` parts of `message` items (also the
 *   `response` object that a stream's `response.completed` event carries).
 * Anything else (tool calls, refusals, reasoning summaries, Embeddings) is not looked at: see
 * the module's doc for what that leaves unmasked.
 */
import { isRecord } from "../../../http/json-value";
import type { JsonPath, ProviderApi } from "../shapes";

export interface OutputText {
  path: JsonPath;
  text: string;
}

const records = (value: unknown): [number, Record<string, unknown>][] =>
  Array.isArray(value)
    ? value.flatMap((entry, index) => (isRecord(entry) ? [[index, entry] as [number, Record<string, unknown>]] : []))
    : [];

export function outputTexts(api: ProviderApi, body: unknown): OutputText[] {
  if (!isRecord(body)) return [];
  const texts: OutputText[] = [];
  switch (api) {
    case "openai-chat":
      for (const [index, choice] of records(body.choices))
        if (isRecord(choice.message) && typeof choice.message.content === "string")
          texts.push({ path: ["choices", index, "message", "content"], text: choice.message.content });
      break;
    case "anthropic-messages":
      for (const [index, block] of records(body.content))
        if (block.type === "text" && typeof block.text === "string") texts.push({ path: ["content", index, "text"], text: block.text });
      break;
    case "openai-responses":
      for (const [index, item] of records(body.output)) {
        if (item.type !== "message") continue;
        for (const [part, content] of records(item.content))
          if (content.type === "output_text" && typeof content.text === "string")
            texts.push({ path: ["output", index, "content", part, "text"], text: content.text });
      }
      break;
    case "openai-embeddings":
      break;
  }
  return texts;
}
