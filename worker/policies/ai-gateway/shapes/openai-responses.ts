/**
 * OpenAI's Responses API (`POST /v1/responses`, Azure's `/openai/responses` and `/openai/v1/responses`):
 * `instructions`, `input` (a string or a list of items) and the string values of `prompt.variables`.
 *
 * Items read as text: messages (with or without `type: "message"`; content a string or
 * `input_text` / `output_text` / `refusal` parts), `function_call.arguments` and
 * `custom_tool_call.input` (the model's earlier calls), `function_call_output.output` and
 * `custom_tool_call_output.output` (a string or parts), `mcp_call` arguments and output,
 * `reasoning` summaries. Opaque: `input_image` / `input_file` / `input_audio` parts,
 * `item_reference` (a stored item the edge cannot see) and the hosted tools' call items. Any other
 * item or part type is not understood. A request that only continues `previous_response_id` or a
 * stored `conversation` adds no text here: the provider holds the earlier turns.
 */
import {
  isRecord,
  notUnderstood,
  optionalString,
  optionalTokenCount,
  recordAt,
  requiredString,
  SlotCollector,
  type JsonPath,
  type RecognisedRequest,
} from "./shape";
import { readPart, readParts, type PartTypes } from "./openai-parts";

const MESSAGE_ROLES = new Set(["user", "assistant", "system", "developer"]);
const PART_TYPES: PartTypes = {
  text: new Set(["input_text", "output_text"]),
  opaque: new Set(["input_image", "input_file", "input_audio"]),
};
/** Items of the provider's hosted tools: what they carry came from the provider, not the client. */
const OPAQUE_ITEMS = new Set([
  "item_reference",
  "web_search_call",
  "file_search_call",
  "computer_call",
  "computer_call_output",
  "image_generation_call",
  "code_interpreter_call",
]);

export function readOpenaiResponses(body: Record<string, unknown>): RecognisedRequest {
  const slots = new SlotCollector();
  const instructions = optionalString(body, "instructions", []);
  if (instructions !== undefined) slots.text(["instructions"], "instructions", "system", instructions);
  readInput(body.input, slots);
  readPromptVariables(body.prompt, slots);
  return slots.result("openai-responses", body, optionalTokenCount(body, "max_output_tokens"));
}

function readInput(input: unknown, slots: SlotCollector): void {
  if (input === undefined || input === null) return;
  if (typeof input === "string") return slots.text(["input"], "message", "user", input);
  if (!Array.isArray(input)) throw notUnderstood(["input"], "is neither a string nor items");
  input.forEach((entry, index) => readItem(recordAt(entry, ["input", index]), ["input", index], slots));
}

function readItem(item: Record<string, unknown>, path: JsonPath, slots: SlotCollector): void {
  const type = item.type ?? "message";
  switch (type) {
    case "message": {
      const role = requiredString(item, "role", path);
      if (!MESSAGE_ROLES.has(role)) throw notUnderstood([...path, "role"], "is not a Responses message role");
      const kind = role === "system" || role === "developer" ? "instructions" : "message";
      return readParts(item.content, [...path, "content"], role, kind, PART_TYPES, slots);
    }
    case "function_call":
      return slots.text([...path, "arguments"], "tool_call", "assistant", requiredString(item, "arguments", path));
    case "custom_tool_call":
      return slots.text([...path, "input"], "tool_call", "assistant", requiredString(item, "input", path));
    case "function_call_output":
    case "custom_tool_call_output":
      return readParts(item.output, [...path, "output"], "tool", "tool_output", PART_TYPES, slots);
    case "mcp_call": {
      slots.text([...path, "arguments"], "tool_call", "assistant", requiredString(item, "arguments", path));
      const output = optionalString(item, "output", path);
      if (output !== undefined) slots.text([...path, "output"], "tool_output", "tool", output);
      return;
    }
    case "reasoning":
      return readReasoning(item, path, slots);
    default:
      if (typeof type === "string" && OPAQUE_ITEMS.has(type)) return slots.opaqueInput(path, type);
      throw notUnderstood([...path, "type"], "is not an input item type the edge understands");
  }
}

function readReasoning(item: Record<string, unknown>, path: JsonPath, slots: SlotCollector): void {
  const summary = item.summary;
  if (summary === undefined || summary === null) return;
  if (!Array.isArray(summary)) throw notUnderstood([...path, "summary"], "is not an array");
  summary.forEach((entry, index) => {
    const partPath = [...path, "summary", index];
    const part = recordAt(entry, partPath);
    if (part.type !== "summary_text") throw notUnderstood([...partPath, "type"], "is not summary_text");
    slots.text([...partPath, "text"], "message", "assistant", requiredString(part, "text", partPath));
  });
}

/** `prompt: { id, variables }`: a stored prompt template whose variables (strings or input parts) the model reads. */
function readPromptVariables(prompt: unknown, slots: SlotCollector): void {
  if (prompt === undefined || prompt === null) return;
  const promptRecord = recordAt(prompt, ["prompt"]);
  const variables = promptRecord.variables;
  if (variables === undefined || variables === null) return;
  if (!isRecord(variables)) throw notUnderstood(["prompt", "variables"], "is not an object");
  for (const [name, value] of Object.entries(variables)) {
    const path = ["prompt", "variables", name];
    if (typeof value === "string") slots.text(path, "prompt_variable", "user", value);
    else readPart(value, path, "user", "prompt_variable", PART_TYPES, slots);
  }
}
