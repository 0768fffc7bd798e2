import type { PromptViews } from "./normalise";

/**
 * One detection rule: a pattern over one view of the prompt and the weight (0..1) a match adds.
 * Patterns use only bounded repetition (`{0,n}`) or single character classes followed by a
 * fixed tail, so each match attempt does bounded work and a scan is linear in the prompt.
 */
export interface PatternRule {
  /** Stable id, reported in signals and audit events: `<category>.<name>`. */
  id: string;
  weight: number;
  view: keyof Pick<PromptViews, "cased" | "plain" | "latin" | "squashed">;
  /** Global (`g`) so every occurrence is examined. */
  pattern: RegExp;
  /** Whether negation, quotation and talk about attacks lower the weight (see context.ts). */
  contextual: boolean;
  /**
   * A further factor for a match, e.g. lower when the user overrides their own instructions;
   * `after` is the text that follows the match (up to AFTER_MATCH characters), `start` where the
   * match starts in the view.
   */
  adjust?: (match: string, after: string, start: number) => number;
}

/** How much of the text after a match `adjust` sees. */
export const AFTER_MATCH = 40;

/** Alternatives as one regex group, longest first so the alternation prefers the full phrase. */
export function anyOf(words: readonly string[]): string {
  return `(?:${[...words].sort((a, b) => b.length - a.length).join("|")})`;
}

/**
 * Calls `visit` with each match of the global `pattern` in `text`, until it returns true.
 * An exec loop on the shared pattern: `String.prototype.matchAll` clones the RegExp on every call
 * (ECMA-262 §22.2.6.9, via the species constructor), which costs more than a scan of a 2 KB prompt.
 * Not reentrant per pattern: `visit` must not scan with the same pattern.
 */
export function forEachMatch(pattern: RegExp, text: string, visit: (match: RegExpExecArray) => boolean | void): void {
  pattern.lastIndex = 0;
  try {
    for (let match = pattern.exec(text); match !== null; match = pattern.exec(text)) {
      if (visit(match) === true) return;
      // An empty match would be found again at the same index.
      if (match[0].length === 0) pattern.lastIndex++;
    }
  } finally {
    pattern.lastIndex = 0;
  }
}
