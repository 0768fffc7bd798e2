/**
 * Anthropic's Messages API (`POST /v1/messages`): the texts of `system` (a string or text blocks)
 * and of every `messages[].content` (a string or content blocks).
 *
 * Blocks the model reads as text: `text`; `tool_use.input` (every string value, the assistant's
 * earlier call); `tool_result.content` (a string or text / image / document / search_result
 * blocks); `document` with a `text` or `content` source plus its `title` and `context`;
 * `search_result` title and text; the server and MCP tools' `server_tool_use` / `mcp_tool_use`
 * input and `mcp_tool_result` content. `image`, documents sent as base64 PDF, URL or file id,
 * `web_search_tool_result` (its page contents are encrypted by Anthropic) and `container_upload`
 * are opaque. `thinking` / `redacted_thinking` blocks are skipped: Anthropic verifies their signature,
 * so a client can neither forge nor edit them. Any other block type is not understood (a new type
 * may carry text the edge would not check).
 */
import {
  isRecord,
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

const ROLES = new Set(["user", "assistant"]);

export function readAnthropicMessages(body: Record<string, unknown>): RecognisedRequest {
  const slots = new SlotCollector();
  readSystem(body.system, slots);
  const messages = requiredArray(body, "messages", []);
  messages.forEach((entry, index) => {
    const path = ["messages", index];
    const message = recordAt(entry, path);
    const role = requiredString(message, "role", path);
    if (!ROLES.has(role)) throw notUnderstood([...path, "role"], "is not a Messages API role");
    readContent(message.content, [...path, "content"], role, "message", MESSAGE_BLOCKS, slots);
  });
  return slots.result("anthropic-messages", body, optionalTokenCount(body, "max_tokens"));
}

function readSystem(system: unknown, slots: SlotCollector): void {
  if (system === undefined || system === null) return;
  if (typeof system === "string") return slots.text(["system"], "instructions", "system", system);
  if (!Array.isArray(system)) throw notUnderstood(["system"], "is neither a string nor blocks");
  system.forEach((entry, index) => {
    const path = ["system", index];
    const block = recordAt(entry, path);
    if (block.type !== "text") throw notUnderstood([...path, "type"], "is not text");
    slots.text([...path, "text"], "instructions", "system", requiredString(block, "text", path));
  });
}

/** The block types each place accepts (Anthropic's Messages API reference). */
const MESSAGE_BLOCKS = new Set([
  "text",
  "image",
  "document",
  "search_result",
  "tool_use",
  "tool_result",
  "thinking",
  "redacted_thinking",
  "server_tool_use",
  "web_search_tool_result",
  "mcp_tool_use",
  "mcp_tool_result",
  "container_upload",
]);
const MCP_RESULT_BLOCKS = new Set(["text"]);
const TOOL_RESULT_BLOCKS = new Set(["text", "image", "document", "search_result"]);
const DOCUMENT_BLOCKS = new Set(["text", "image"]);
const SEARCH_RESULT_BLOCKS = new Set(["text"]);

/** A string or content blocks of the `allowed` types; `kind` is what their text is. */
function readContent(
  content: unknown,
  path: JsonPath,
  role: string,
  kind: TextKind,
  allowed: ReadonlySet<string>,
  slots: SlotCollector,
): void {
  if (typeof content === "string") return slots.text(path, kind, role, content);
  if (!Array.isArray(content)) throw notUnderstood(path, "is neither a string nor content blocks");
  content.forEach((entry, index) => {
    const blockPath = [...path, index];
    const block = recordAt(entry, blockPath);
    if (typeof block.type !== "string" || !allowed.has(block.type))
      throw notUnderstood([...blockPath, "type"], "is not a block type the edge understands here");
    readBlock(block, blockPath, role, kind, slots);
  });
}

function readBlock(block: Record<string, unknown>, path: JsonPath, role: string, kind: TextKind, slots: SlotCollector): void {
  switch (block.type) {
    case "text":
      return slots.text([...path, "text"], kind, role, requiredString(block, "text", path));
    case "image":
      return slots.opaqueInput(path, "image");
    case "document":
      return readDocument(block, path, role, slots);
    case "search_result": {
      const title = optionalString(block, "title", path);
      if (title !== undefined) slots.text([...path, "title"], "document", role, title);
      return readContent(requiredArray(block, "content", path), [...path, "content"], role, "document", SEARCH_RESULT_BLOCKS, slots);
    }
    case "tool_use":
    case "server_tool_use":
    case "mcp_tool_use":
      return readStringLeaves(block.input, [...path, "input"], "tool_call", role, slots);
    case "mcp_tool_result":
      if (block.content === undefined || block.content === null) return;
      return readContent(block.content, [...path, "content"], role, "tool_output", MCP_RESULT_BLOCKS, slots);
    case "web_search_tool_result":
    case "container_upload":
      return slots.opaqueInput(path, block.type);
    case "tool_result":
      if (block.content === undefined || block.content === null) return;
      return readContent(block.content, [...path, "content"], role, "tool_output", TOOL_RESULT_BLOCKS, slots);
    // thinking, redacted_thinking: signed by Anthropic, not texts (see the header)
  }
}

function readDocument(block: Record<string, unknown>, path: JsonPath, role: string, slots: SlotCollector): void {
  for (const key of ["title", "context"]) {
    const value = optionalString(block, key, path);
    if (value !== undefined) slots.text([...path, key], "document", role, value);
  }
  const sourcePath = [...path, "source"];
  const source = recordAt(block.source, sourcePath);
  switch (source.type) {
    case "text":
      return slots.text([...sourcePath, "data"], "document", role, requiredString(source, "data", sourcePath));
    case "content":
      return readContent(source.content, [...sourcePath, "content"], role, "document", DOCUMENT_BLOCKS, slots);
    case "base64":
    case "url":
    case "file":
      return slots.opaqueInput(path, `document:${source.type}`);
    default:
      throw notUnderstood([...sourcePath, "type"], "is not a document source type the edge understands");
  }
}

/** Deeper tool inputs are not understood: each slot's path costs its depth, so a deep chain would cost quadratic memory. */
const MAX_TOOL_INPUT_DEPTH = 32;

/**
 * Every string value of a JSON value (a tool call's `input`), walked with an explicit stack: the
 * nesting is the client's choice, and recursion would let a deep one overflow the call stack.
 */
function readStringLeaves(root: unknown, rootPath: JsonPath, kind: TextKind, role: string, slots: SlotCollector): void {
  const pending: [unknown, JsonPath][] = [[root, rootPath]];
  for (let next = pending.pop(); next !== undefined; next = pending.pop()) {
    const [value, path] = next;
    if (path.length - rootPath.length > MAX_TOOL_INPUT_DEPTH) throw notUnderstood(rootPath, "is nested too deeply");
    if (typeof value === "string") slots.text(path, kind, role, value);
    else if (Array.isArray(value)) for (let index = value.length - 1; index >= 0; index--) pending.push([value[index], [...path, index]]);
    else if (isRecord(value)) {
      const keys = Object.keys(value);
      for (let index = keys.length - 1; index >= 0; index--) pending.push([value[keys[index]!], [...path, keys[index]!]]);
    }
  }
}
