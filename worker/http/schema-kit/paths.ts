import type { z } from "zod";

/** `routes[0].upstream`-style path of an issue, `(root)` for the document itself. */
export function formatPath(path: readonly PropertyKey[]): string {
  let out = "";
  for (const part of path) {
    out += typeof part === "number" ? `[${part}]` : `${out ? "." : ""}${String(part)}`;
  }
  return out || "(root)";
}

/**
 * The message of a value that matches no form of a union: the problems inside the form it came
 * closest to (those with a path, e.g. `categories[1]: Invalid option`), else `fallback`, which
 * says what the forms are. Zod's own message would be "Invalid input".
 */
export function unionError(fallback: string): (issue: z.core.$ZodRawIssue) => string {
  return (issue) => {
    const nested =
      issue.code === "invalid_union" ? (issue.errors as z.core.$ZodIssue[][]).flat().filter((inner) => inner.path.length > 0) : [];
    return nested.length > 0 ? nested.map((inner) => `${formatPath(inner.path)}: ${inner.message}`).join("; ") : fallback;
  };
}
