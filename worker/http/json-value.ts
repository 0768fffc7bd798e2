/** Shapes of parsed JSON values, for code that reads bodies and stored records. */

/** A JSON object (not an array, not null): what `JSON.parse` gives for `{…}`. */
export function isRecord(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === "object" && !Array.isArray(value);
}
