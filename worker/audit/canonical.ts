/**
 * Canonical JSON: object keys sorted at every level, no whitespace. Two writers (or a writer
 * and a verifier years later) that hold the same values produce the same bytes, so a hash over
 * it is reproducible.
 */
export function canonicalJson(value: unknown): string {
  return JSON.stringify(sortKeys(value));
}

function sortKeys(input: unknown): unknown {
  // Dates and other objects with toJSON serialise as JSON.stringify would have them.
  const value = typeof (input as { toJSON?: unknown } | null)?.toJSON === "function" ? (input as { toJSON(): unknown }).toJSON() : input;
  if (Array.isArray(value)) return value.map(sortKeys);
  if (value !== null && typeof value === "object") {
    const sorted: Record<string, unknown> = {};
    for (const key of Object.keys(value).sort()) sorted[key] = sortKeys((value as Record<string, unknown>)[key]);
    return sorted;
  }
  return value;
}
