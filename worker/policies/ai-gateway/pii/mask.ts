import type { PiiFinding, PiiType } from "./types";

/** The text with each finding replaced by its typed placeholder ("[EMAIL]"…). */
export function maskText(text: string, findings: readonly PiiFinding[]): string {
  const ordered = [...findings].sort((a, b) => a.start - b.start || b.end - a.end);
  const parts: string[] = [];
  let cursor = 0;
  for (const finding of ordered) {
    if (finding.start < cursor) {
      cursor = Math.max(cursor, finding.end); // overlapping the previous one: one placeholder for both
      continue;
    }
    parts.push(text.slice(cursor, finding.start), `[${finding.type}]`);
    cursor = finding.end;
  }
  parts.push(text.slice(cursor));
  return parts.join("");
}

/** How many findings of each type: what an audit event or a `block` error may carry. */
export function countByType(findings: readonly PiiFinding[]): Partial<Record<PiiType, number>> {
  const counts: Partial<Record<PiiType, number>> = {};
  for (const finding of findings) counts[finding.type] = (counts[finding.type] ?? 0) + 1;
  return counts;
}
