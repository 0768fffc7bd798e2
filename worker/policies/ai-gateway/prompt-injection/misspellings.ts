/**
 * Misspelled and leetspeak keywords ("igrnore previus instructons", "1gn0r3 4ll pr3v10u5
 * 1n5truct10n5", "sytem promt") read as the keywords they imitate, so the phrase rules see
 * through typos without listing each one.
 *
 * A word of five to MAX_WORD letters is corrected when it is one edit (insertion, deletion,
 * substitution or adjacent transposition: optimal string alignment distance 1) from a keyword
 * of at least six letters; the few keywords sharing its first or last two letters are compared,
 * each in time linear in the word. Short keywords ("rules", "show") are not fuzzed: at one edit
 * they collide with too many words.
 * Leetspeak (digits and symbols standing for letters) is folded first, in words that mix both.
 */
const KEYWORDS = [
  // Override verbs.
  "ignore",
  "disregard",
  "forget",
  "bypass",
  "override",
  "discard",
  "neglect",
  "abandon",
  // What they aim at.
  "instructions",
  "instruction",
  "guidelines",
  "directions",
  "directives",
  "restrictions",
  "constraints",
  "programming",
  "commands",
  "previous",
  "preceding",
  "earlier",
  "initial",
  "original",
  "system",
  "prompt",
  "password",
  "secret",
  "reveal",
  "output",
  "unfiltered",
  "unrestricted",
  "jailbroken",
  "developer",
];

/**
 * Real words one edit away from a keyword: left as they are ("forged" is not "forget", "systems"
 * and "prompts" need no correction, "secrets" is a word of its own).
 */
const REAL_WORDS = new Set([
  "outputs",
  "ignored",
  "ignores",
  "forged",
  "forger",
  "forgets",
  "forgot",
  "systems",
  "prompts",
  "prompted",
  "secrets",
  "secrete",
  "reveals",
  "revealed",
  "passwords",
  "originals",
  "commando",
  "developers",
  "developed",
  "direction",
  "directive",
  "restriction",
  "constraint",
  "bypassed",
  "overrides",
  "overridden",
  "initials",
  "abandons",
  "neglects",
  "discards",
  "discarded",
  "neglected",
  "abandoned",
]);

const MIN_WORD = 5;
const MIN_LEET_WORD = 3;
const MAX_WORD = 16;
const LEET: Record<string, string> = { "0": "o", "1": "i", "3": "e", "4": "a", "5": "s", "7": "t", "@": "a", $: "s" };
const HAS_LETTER = /[a-z]/;
const HAS_LEET = /[0-9@$]/;
const LETTERS_ONLY = /^[a-z]+$/;

function isWordCode(code: number): boolean {
  return (code >= 0x61 && code <= 0x7a) || (code >= 0x30 && code <= 0x39) || code === 0x40 || code === 0x24;
}

/** The index of two lower-case letters (text[at], text[at + 1]) in the BY_* and LENGTHS_BY_* tables; -1 for anything else. */
function pairIndex(text: string, at: number): number {
  const first = text.charCodeAt(at) - 0x61;
  const second = text.charCodeAt(at + 1) - 0x61;
  return first >= 0 && first < 26 && second >= 0 && second < 26 ? first * 26 + second : -1;
}

/**
 * One edit keeps either the first two or the last two letters of a word of five or more: the
 * keywords are indexed by both, so most words are rejected by two reads of a small table.
 * LENGTHS_BY_* hold the keywords' lengths as bits (bit n: a keyword of n letters), for that
 * first rejection; the tables are indexed by letter pair (pairIndex), 676 entries each.
 */
const BY_PREFIX: (string[] | undefined)[] = new Array(26 * 26);
const BY_SUFFIX: (string[] | undefined)[] = new Array(26 * 26);
const LENGTHS_BY_PREFIX = new Uint32Array(26 * 26);
const LENGTHS_BY_SUFFIX = new Uint32Array(26 * 26);
for (const keyword of KEYWORDS) {
  for (const [index, lengths, pair] of [
    [BY_PREFIX, LENGTHS_BY_PREFIX, pairIndex(keyword, 0)],
    [BY_SUFFIX, LENGTHS_BY_SUFFIX, pairIndex(keyword, keyword.length - 2)],
  ] as const) {
    (index[pair] ??= []).push(keyword);
    lengths[pair]! |= 1 << keyword.length;
  }
}

/** Whether a keyword one edit from a word of `length` letters may share its first or last two letters. */
function mayBeKeyword(text: string, start: number, end: number): boolean {
  // Keywords of length - 1, length and length + 1 letters.
  const near = 0b111 << (end - start - 1);
  const prefix = pairIndex(text, start);
  const suffix = pairIndex(text, end - 2);
  return (prefix >= 0 && (LENGTHS_BY_PREFIX[prefix]! & near) !== 0) || (suffix >= 0 && (LENGTHS_BY_SUFFIX[suffix]! & near) !== 0);
}

/** Whether `a` and `b` differ by at most one insertion, deletion, substitution or adjacent swap. */
export function withinOneEdit(a: string, b: string): boolean {
  return withinOneEditOf(a, 0, a.length, b);
}

/** withinOneEdit(text.slice(start, end), b), read in place. */
function withinOneEditOf(text: string, start: number, end: number, b: string): boolean {
  const length = end - start;
  if (Math.abs(length - b.length) > 1) return false;
  let same = 0;
  while (same < length && same < b.length && text.charCodeAt(start + same) === b.charCodeAt(same)) same++;
  if (same === length && same === b.length) return true;
  // Compare the tails after the first difference under each kind of edit.
  const at = start + same;
  if (length === b.length) {
    return (
      tailsEqual(text, at + 1, end, b, same + 1) ||
      (text.charCodeAt(at) === b.charCodeAt(same + 1) &&
        text.charCodeAt(at + 1) === b.charCodeAt(same) &&
        tailsEqual(text, at + 2, end, b, same + 2))
    );
  }
  return length > b.length ? tailsEqual(text, at + 1, end, b, same) : tailsEqual(text, at, end, b, same + 1);
}

/** Whether text[from, end) equals b from `fromB` on, compared in place. */
function tailsEqual(text: string, from: number, end: number, b: string, fromB: number): boolean {
  if (end - from !== b.length - fromB) return false;
  for (let offset = 0; from + offset < end; offset++) if (text.charCodeAt(from + offset) !== b.charCodeAt(fromB + offset)) return false;
  return true;
}

/**
 * The keyword `word` imitates, or undefined. A leetspeak word reads as its letters even when
 * they are no keyword ("4ll" is "all", "pr10r" is "prior"): the phrases around keywords need them.
 */
export function correctedWord(word: string): string | undefined {
  const leet = HAS_LEET.test(word) && HAS_LETTER.test(word);
  if (word.length < (leet ? MIN_LEET_WORD : MIN_WORD) || word.length > MAX_WORD || REAL_WORDS.has(word)) return undefined;
  const letters = leet ? [...word].map((char) => LEET[char] ?? char).join("") : word;
  // A digit no letter looks like ("19th", "4k") makes a word no leetspeak: it reads as it is.
  if (!LETTERS_ONLY.test(letters)) return undefined;
  const readAs = letters === word ? undefined : letters;
  if (letters.length < MIN_WORD) return readAs;
  return correctedLetters(letters, 0, letters.length) ?? readAs;
}

/**
 * The keyword one edit from the a-z word text[start, end), read in place (no copy, no closure: it
 * runs for every word that shares two letters with a keyword); undefined when it is a keyword or
 * near none. Keywords sharing its first two letters are tried first, then its last two.
 */
function correctedLetters(text: string, start: number, end: number): string | undefined {
  const prefix = pairIndex(text, start);
  const suffix = pairIndex(text, end - 2);
  const byPrefix = prefix < 0 ? undefined : BY_PREFIX[prefix];
  const bySuffix = suffix < 0 ? undefined : BY_SUFFIX[suffix];
  if (isOneOf(text, start, end, byPrefix) || isOneOf(text, start, end, bySuffix)) return undefined;
  return nearestOf(text, start, end, byPrefix) ?? nearestOf(text, start, end, bySuffix);
}

/** Whether text[start, end) is one of `keywords`. */
function isOneOf(text: string, start: number, end: number, keywords: readonly string[] | undefined): boolean {
  if (keywords === undefined) return false;
  for (const keyword of keywords) if (keyword.length === end - start && tailsEqual(text, start, end, keyword, 0)) return true;
  return false;
}

/** The first of `keywords` one edit from text[start, end). */
function nearestOf(text: string, start: number, end: number, keywords: readonly string[] | undefined): string | undefined {
  if (keywords === undefined) return undefined;
  for (const keyword of keywords) if (withinOneEditOf(text, start, end, keyword)) return keyword;
  return undefined;
}

/**
 * Whether the word latin[start, end) is the part of an e-mail address around its `@`, whose
 * domain goes on after a dot ("doe@example" in "jane.doe@example.com"): an address is no leetspeak.
 */
function inEmailAddress(latin: string, start: number, end: number): boolean {
  const at = latin.indexOf("@", start);
  return at > start && at < end - 1 && latin.charCodeAt(end) === 0x2e && /[a-z]/.test(latin.charAt(end + 1));
}

/**
 * What the word latin[start, end) is read as: the keyword it misspells, or a leetspeak word's
 * letters; undefined when it reads as it is. A word without digits is read in place, and copied
 * out only when a keyword is one edit from it (to be looked up among REAL_WORDS).
 */
function correctionOf(latin: string, start: number, end: number, leet: boolean): string | undefined {
  const length = end - start;
  if (length > MAX_WORD) return undefined;
  if (leet) return length >= MIN_LEET_WORD && !inEmailAddress(latin, start, end) ? correctedWord(latin.slice(start, end)) : undefined;
  if (length < MIN_WORD || !mayBeKeyword(latin, start, end)) return undefined;
  const keyword = correctedLetters(latin, start, end);
  return keyword === undefined || REAL_WORDS.has(latin.slice(start, end)) ? undefined : keyword;
}

/** The corrected `latin` view and where it differs from `latin`. */
export interface CorrectedView {
  text: string;
  /** The start and end (exclusive) in `text` of each replacement, in order: [start, end, start, end, ...]. */
  edits: number[];
}

/**
 * `latin` with every misspelled keyword replaced by the keyword, or undefined when nothing was
 * misspelled (the common case: the phrase rules need not run twice). One pass over the text;
 * a word is copied out only when a keyword of its length shares its first or last two letters
 * (a leet word always: its digits hide its letters).
 */
export function correctedView(latin: string): CorrectedView | undefined {
  let corrected: string[] | undefined;
  const edits: number[] = [];
  let length = 0;
  let copied = 0;
  let start = 0;
  let leet = false;
  for (let at = 0; at <= latin.length; at++) {
    const code = at < latin.length ? latin.charCodeAt(at) : 0;
    if (isWordCode(code)) {
      if (code < 0x61) leet = true;
      continue;
    }
    const keyword = correctionOf(latin, start, at, leet);
    if (keyword !== undefined) {
      corrected ??= [];
      corrected.push(latin.slice(copied, start), keyword);
      length += start - copied;
      edits.push(length, length + keyword.length);
      length += keyword.length;
      copied = at;
    }
    start = at + 1;
    leet = false;
  }
  return corrected && { text: corrected.join("") + latin.slice(copied), edits };
}
