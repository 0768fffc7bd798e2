/**
 * US Social Security numbers, AAA-GG-SSSS, by the SSA's rules for numbers that are never issued:
 * area 000, 666 or 900–999, group 00, serial 0000 (SSA, "Social Security Number Randomization",
 * 2011), and the numbers made public by advertising and so voided: 078-05-1120 (the Woolworth
 * wallet card) and 219-09-9999 (an SSA pamphlet); 987-65-4320…4329, reserved for advertising,
 * already fall in area 900–999.
 * Written with dashes or spaces ("123-45-6789", "123 45 6789") the number is taken on its shape;
 * as nine bare digits it is taken only after an SSN label ("SSN", "social security", "SS#"),
 * since nine digits alone are as often an order, account or routing number.
 */
import type { Candidate } from "../types";
import { hasContextBefore } from "../context";

const SSN_LIKE = /(?<![\w.,+\-\/])(\d{3})([- ]?)(\d{2})\2(\d{4})(?![\w\/]|[.,\-]\d)/g;
const SSN_LABEL = /\b(?:ssn|ss#|soc(?:ial)?[ .-]*sec(?:urity)?|ssa|taxpayer|tin|itin)\b/i;
const VOIDED = new Set(["078051120", "219099999"]);

export function findSsns(text: string): Candidate[] {
  const found: Candidate[] = [];
  for (const match of text.matchAll(SSN_LIKE)) {
    const [span, area, separator, group, serial] = match as unknown as [string, string, string, string, string];
    if (!isIssuable(area, group, serial)) continue;
    if (separator === "" && !hasContextBefore(text, match.index, SSN_LABEL)) continue;
    found.push({ start: match.index, end: match.index + span.length });
  }
  return found;
}

function isIssuable(area: string, group: string, serial: string): boolean {
  if (area === "000" || area === "666" || area[0] === "9") return false;
  if (group === "00" || serial === "0000") return false;
  return !VOIDED.has(area + group + serial);
}
