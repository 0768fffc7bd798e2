/**
 * OpenAI's Chat Completions (`POST /v1/chat/completions`, Azure's
 * `/openai/deployments/<d>/chat/completions`, and OpenAI-compatible servers): the texts of every
 * `messages[]` entry.
 *
 * Read as text: `content` as a string or `text` / `input_text` / `refusal` parts (by role: system
 * and developer are instructions, tool and function are tool outputs); the participant `name`;
 * an assistant's `refusal`; the `arguments` of its earlier `tool_calls` (and legacy
 * `function_call`) and custom tool `input`, the raw strings the model wrote. Function arguments
 * are JSON text: a check sees its escapes as written (`\u0040` for `@`), and a masked span keeps
 * it valid JSON only if the span holds no quote or backslash. `image_url`, `input_audio`, `file` parts and `audio` references are opaque.
 */
import {
  isRecord,
  largestLimit,
  notUnderstood,
  optionalString,
  optionalTokenCount,
  recordAt,
  requiredArray,
  requiredString,
  SlotCollector,
  type JsonPath,
  type RecognisedRequest,
  type TextKind,
} from "./shape";
import { readParts, type PartTypes } from "./openai-parts";

const KIND_BY_ROLE = new Map<string, TextKind>([
  ["system", "instructions"],
  ["developer", "instructions"],
  ["user", "message"],
  ["assistant", "message"],
  ["tool", "tool_output"],
  ["function", "tool_output"],
]);

/** `input_text` is Responses' name, which some OpenAI-compatible servers accept here too. */
const PART_TYPES: PartTypes = { text: new Set(["text", "input_text"]), opaque: new Set(["image_url", "input_audio", "file"]) };

export function readOpenaiChat(body: Record<string, unknown>): RecognisedRequest {
  const slots = new SlotCollector();
  requiredArray(body, "messages", []).forEach((entry, index) =>
    readMessage(recordAt(entry, ["messages", index]), ["messages", index], slots),
  );
  return slots.result(
    "openai-chat",
    body,
    largestLimit(optionalTokenCount(body, "max_tokens"), optionalTokenCount(body, "max_completion_tokens")),
    optionalTokenCount(body, "n") ?? 1,
  );
}

function readMessage(message: Record<string, unknown>, path: JsonPath, slots: SlotCollector): void {
  const role = requiredString(message, "role", path);
  const kind = KIND_BY_ROLE.get(role);
  if (kind === undefined) throw notUnderstood([...path, "role"], "is not a Chat Completions role");
  const name = optionalString(message, "name", path);
  if (name !== undefined) slots.text([...path, "name"], "name", role, name);
  if (message.content !== undefined && message.content !== null)
    readParts(message.content, [...path, "content"], role, kind, PART_TYPES, slots);
  const refusal = optionalString(message, "refusal", path);
  if (refusal !== undefined) slots.text([...path, "refusal"], "message", role, refusal);
  if (message.audio !== undefined && message.audio !== null) slots.opaqueInput([...path, "audio"], "audio");
  readToolCalls(message, path, role, slots);
}

function readToolCalls(message: Record<string, unknown>, path: JsonPath, role: string, slots: SlotCollector): void {
  if (message.function_call !== undefined && message.function_call !== null) {
    const callPath = [...path, "function_call"];
    const call = recordAt(message.function_call, callPath);
    slots.text([...callPath, "arguments"], "tool_call", role, requiredString(call, "arguments", callPath));
  }
  if (message.tool_calls === undefined || message.tool_calls === null) return;
  requiredArray(message, "tool_calls", path).forEach((entry, index) => {
    const callPath = [...path, "tool_calls", index];
    const call = recordAt(entry, callPath);
    if (call.type === "function" && isRecord(call.function)) {
      const functionPath = [...callPath, "function"];
      slots.text([...functionPath, "arguments"], "tool_call", role, requiredString(call.function, "arguments", functionPath));
    } else if (call.type === "custom" && isRecord(call.custom)) {
      const customPath = [...callPath, "custom"];
      slots.text([...customPath, "input"], "tool_call", role, requiredString(call.custom, "input", customPath));
    } else throw notUnderstood(callPath, "is not a function or custom tool call");
  });
}
