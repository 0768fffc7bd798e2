import type { Candidate } from "./types";

/** How far before a candidate a context word counts: a label and a few words ("SSN no.: "). */
const CONTEXT_WINDOW = 40;

/** Whether `words` matches in the few characters before `start` (bounded: never the whole text). */
export function hasContextBefore(text: string, start: number, words: RegExp): boolean {
  return words.test(text.slice(Math.max(0, start - CONTEXT_WINDOW), start));
}

/**
 * Runs a global `pattern` over `text`, letting `accept` take a match or a prefix of it: it returns
 * the end of what it found, or -1. Scanning resumes after a finding; after a rejected match, one
 * character further ("next-char": a greedy pattern that swallowed a neighbour, "XX12 3456 GB82…",
 * still lets the neighbour be found) or after the match ("after-match": when `accept` already
 * tried the match's prefixes, and re-trying from each digit of a long run would cost as much again
 * for every position). Patterns start only at token boundaries, so either way this stays linear.
 */
export function scanMatches(
  pattern: RegExp,
  text: string,
  accept: (match: RegExpExecArray) => number,
  onReject: "next-char" | "after-match",
): Candidate[] {
  const found: Candidate[] = [];
  pattern.lastIndex = 0;
  for (let match = pattern.exec(text); match !== null; match = pattern.exec(text)) {
    const end = accept(match);
    if (end > match.index) found.push({ start: match.index, end });
    pattern.lastIndex = end > match.index ? end : onReject === "next-char" ? match.index + 1 : match.index + match[0].length;
  }
  return found;
}
