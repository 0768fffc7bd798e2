/**
 * Rewriting texts of a body, e.g. masking: a new body in which only the named strings changed.
 * Copy-on-write along each path (the input is never mutated; untouched subtrees are shared), so
 * `JSON.stringify` of the result differs from the original's only in those strings: roles, model,
 * tool definitions and key order stay as the client sent them.
 */
import { isRecord, type JsonPath } from "./shape";

export interface TextReplacement {
  /** A `TextSlot.path` of this body. */
  path: JsonPath;
  text: string;
}

/** Throws (a caller's bug, not a client's input) when a path does not lead to a string of `body`. */
export function applyReplacements(body: unknown, replacements: readonly TextReplacement[]): unknown {
  if (replacements.length === 0) return body;
  const copies = new Map<object, Record<string, unknown> | unknown[]>();
  const copyOf = (container: Record<string, unknown> | unknown[]) => {
    let copy = copies.get(container);
    if (copy === undefined) {
      copy = Array.isArray(container) ? container.slice() : { ...container };
      copies.set(container, copy);
    }
    return copy;
  };
  const root = asContainer(body, []);
  for (const { path, text } of replacements) {
    if (path.length === 0) throw new Error("a replacement path is empty");
    let original = root;
    let copy = copyOf(root);
    path.forEach((key, depth) => {
      const child = childOf(original, key, path);
      if (depth === path.length - 1) {
        if (typeof child !== "string") throw new Error(`no text at ${path.join(".")}`);
        setChild(copy, key, text);
        return;
      }
      const container = asContainer(child, path);
      const childCopy = copyOf(container);
      setChild(copy, key, childCopy);
      original = container;
      copy = childCopy;
    });
  }
  return copies.get(root);
}

function asContainer(value: unknown, path: JsonPath): Record<string, unknown> | unknown[] {
  if (Array.isArray(value) || isRecord(value)) return value;
  throw new Error(`no text at ${path.join(".")}`);
}

function childOf(container: Record<string, unknown> | unknown[], key: string | number, path: JsonPath): unknown {
  if (
    Array.isArray(container)
      ? typeof key === "number" && key >= 0 && key < container.length
      : typeof key === "string" && Object.hasOwn(container, key)
  )
    return (container as Record<string | number, unknown>)[key];
  throw new Error(`no text at ${path.join(".")}`);
}

/** A data property even for the key `__proto__` (JSON.parse makes it an own key; `=` would set the prototype). */
function setChild(container: Record<string, unknown> | unknown[], key: string | number, value: unknown): void {
  Object.defineProperty(container, key, { value, writable: true, enumerable: true, configurable: true });
}
