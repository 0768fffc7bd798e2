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

/** Two characters as one number: the key of a word's first or last two letters. */
const pairKey = (text: string, at: number) => text.charCodeAt(at) * 0x10000 + text.charCodeAt(at + 1);

/**
 * One edit keeps either the first two or the last two letters of a word of five or more: the
 * keywords are indexed by both, so most words are rejected by two map lookups. LENGTHS_BY_* hold
 * the keywords' lengths as bits (bit n: a keyword of n letters), for that first rejection.
 */
const BY_PREFIX = new Map<number, string[]>();
const BY_SUFFIX = new Map<number, string[]>();
const LENGTHS_BY_PREFIX = new Map<number, number>();
const LENGTHS_BY_SUFFIX = new Map<number, number>();
for (const keyword of KEYWORDS) {
  for (const [index, lengths, key] of [
    [BY_PREFIX, LENGTHS_BY_PREFIX, pairKey(keyword, 0)],
    [BY_SUFFIX, LENGTHS_BY_SUFFIX, pairKey(keyword, keyword.length - 2)],
  ] as const) {
    const list = index.get(key) ?? [];
    list.push(keyword);
    index.set(key, list);
    lengths.set(key, (lengths.get(key) ?? 0) | (1 << keyword.length));
  }
}

/** Whether a keyword one edit from a word of `length` letters may share its first or last two letters. */
function mayBeKeyword(text: string, start: number, end: number): boolean {
  // Keywords of length - 1, length and length + 1 letters.
  const near = 0b111 << (end - start - 1);
  return (
    ((LENGTHS_BY_PREFIX.get(pairKey(text, start)) ?? 0) & near) !== 0 || ((LENGTHS_BY_SUFFIX.get(pairKey(text, end - 2)) ?? 0) & near) !== 0
  );
}

/** Whether `a` and `b` differ by at most one insertion, deletion, substitution or adjacent swap. */
export function withinOneEdit(a: string, b: string): boolean {
  if (Math.abs(a.length - b.length) > 1) return false;
  let start = 0;
  while (start < a.length && start < b.length && a.charCodeAt(start) === b.charCodeAt(start)) start++;
  if (start === a.length && start === b.length) return true;
  // Compare the tails after the first difference under each kind of edit.
  if (a.length === b.length) {
    return (
      tailsEqual(a, start + 1, b, start + 1) ||
      (a.charCodeAt(start) === b.charCodeAt(start + 1) &&
        a.charCodeAt(start + 1) === b.charCodeAt(start) &&
        tailsEqual(a, start + 2, b, start + 2))
    );
  }
  return a.length > b.length ? tailsEqual(a, start + 1, b, start) : tailsEqual(a, start, b, start + 1);
}

/** Whether a from `fromA` on equals b from `fromB` on, compared in place. */
function tailsEqual(a: string, fromA: number, b: string, fromB: number): boolean {
  if (a.length - fromA !== b.length - fromB) return false;
  for (let offset = 0; fromA + offset < a.length; offset++) if (a.charCodeAt(fromA + offset) !== b.charCodeAt(fromB + offset)) return false;
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
  const byPrefix = BY_PREFIX.get(pairKey(letters, 0));
  const bySuffix = BY_SUFFIX.get(pairKey(letters, letters.length - 2));
  if (byPrefix?.includes(letters) || bySuffix?.includes(letters)) return readAs;
  const near = (keyword: string) => withinOneEdit(letters, keyword);
  return byPrefix?.find(near) ?? bySuffix?.find(near) ?? readAs;
}

/**
 * Whether the word latin[start, end) is the part of an e-mail address around its `@`, whose
 * domain goes on after a dot ("doe@example" in "jane.doe@example.com"): an address is no leetspeak.
 */
function inEmailAddress(latin: string, start: number, end: number): boolean {
  const at = latin.indexOf("@", start);
  return at > start && at < end - 1 && latin.charCodeAt(end) === 0x2e && /[a-z]/.test(latin.charAt(end + 1));
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
    const wordLength = at - start;
    if (
      wordLength <= MAX_WORD &&
      (leet ? wordLength >= MIN_LEET_WORD && !inEmailAddress(latin, start, at) : wordLength >= MIN_WORD && mayBeKeyword(latin, start, at))
    ) {
      const keyword = correctedWord(latin.slice(start, at));
      if (keyword !== undefined) {
        corrected ??= [];
        corrected.push(latin.slice(copied, start), keyword);
        length += start - copied;
        edits.push(length, length + keyword.length);
        length += keyword.length;
        copied = at;
      }
    }
    start = at + 1;
    leet = false;
  }
  return corrected && { text: corrected.join("") + latin.slice(copied), edits };
}
