/**
 * OpenAI's content parts, as Chat Completions and Responses both write them: a string, or
 * `{ type, text }` parts, `{ type: "refusal", refusal }`, and parts the model reads that are not
 * text (images, audio, files). Each API names its own text and opaque part types.
 */
import { notUnderstood, recordAt, requiredString, type JsonPath, type SlotCollector, type TextKind } from "./shape";

export interface PartTypes {
  /** Types whose `text` the model reads. */
  text: ReadonlySet<string>;
  opaque: ReadonlySet<string>;
}

export function readParts(content: unknown, path: JsonPath, role: string, kind: TextKind, types: PartTypes, slots: SlotCollector): void {
  if (typeof content === "string") return slots.text(path, kind, role, content);
  if (!Array.isArray(content)) throw notUnderstood(path, "is neither a string nor content parts");
  content.forEach((entry, index) => readPart(entry, [...path, index], role, kind, types, slots));
}

export function readPart(entry: unknown, path: JsonPath, role: string, kind: TextKind, types: PartTypes, slots: SlotCollector): void {
  const part = recordAt(entry, path);
  const type = part.type;
  if (typeof type !== "string") throw notUnderstood([...path, "type"], "is not a string");
  if (types.text.has(type)) slots.text([...path, "text"], kind, role, requiredString(part, "text", path));
  else if (type === "refusal") slots.text([...path, "refusal"], kind, role, requiredString(part, "refusal", path));
  else if (types.opaque.has(type)) slots.opaqueInput(path, type);
  else throw notUnderstood([...path, "type"], "is not a content part type the edge understands");
}
