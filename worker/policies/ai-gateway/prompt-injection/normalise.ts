import { LOOKALIKE_LETTERS, latinLookalike } from "./confusables";

/**
 * The views of a prompt the rules match on, built in one linear pass:
 *
 * - `cased`: NFKC (UAX #15: full-width and mathematical letters become ASCII), invisible
 *   characters removed, runs of spaces and tabs collapsed. Case kept: base64 needs it.
 * - `plain`: `cased` lower-cased. The non-Latin rules (Russian, Chinese, ...) match here.
 * - `latin`: `plain` with Cyrillic and Greek lookalikes folded to Latin (TR39 confusables), so
 *   "ignоre" with a Cyrillic "о" reads "ignore". The English rules match here.
 * - `squashed`: `latin` with everything but a-z removed, so "i g n o r e" and "ig-no-re" read
 *   "ignore" (spacing and splitting evasion).
 *
 * Invisible characters (U+200B-U+200D, U+2060-U+2064, U+FEFF, U+00AD, U+180E) are removed before
 * anything matches; those found between two Latin letters are counted (smuggling inside a word).
 * Tag characters (U+E0000-U+E007F) are removed too; outside an emoji flag sequence (U+1F3F4
 * followed by tags, Unicode TS #51) they are the "ASCII smuggling" trick: each one mirrors an
 * ASCII character, so they are decoded into `hiddenText` and scored like the rest.
 */
export interface PromptViews {
  cased: string;
  plain: string;
  latin: string;
  /**
   * Built on first use: the spaced-letters rules read it only when no phrase rule fired and their
   * literals are among `latin`'s letters (the prefilter reads those in `latin` itself).
   */
  squashed: string;
  /** The index in `latin` of the character at `index` in `squashed` (mapped on first use: rarely needed). */
  squashedOrigin: (index: number) => number;
  /** Invisible characters found between two Latin letters. */
  invisibleInWords: number;
  /** Tag characters outside emoji flag sequences. */
  smuggledTags: number;
  /** The ASCII those tag characters mirror. */
  hiddenText: string;
  /** Words mixing Latin letters with Cyrillic or Greek lookalikes. */
  mixedScriptWords: number;
}

const INVISIBLE = new Set([0x00ad, 0x180e, 0x200b, 0x200c, 0x200d, 0x2060, 0x2061, 0x2062, 0x2063, 0x2064, 0xfeff]);
const TAG_FIRST = 0xe0000;
const TAG_LAST = 0xe007f;
const WAVING_BLACK_FLAG = 0x1f3f4;
const LETTER = /\p{L}/u;
const ASCII_ONLY = /^[\x00-\x7f]*$/;
// Two or more spaces or tabs, or one tab: single spaces, the common case, are left alone.
const SPACE_RUN = /[ \t]{2,}|\t/g;
const ASCII = new TextDecoder();
/** asciiLetters' scratch space, reused: the letters are decoded into a string before it returns. */
let letterBuffer = new Uint8Array(4096);

function isAsciiLetter(code: number): boolean {
  return (code >= 0x61 && code <= 0x7a) || (code >= 0x41 && code <= 0x5a);
}

/** What the per-character pass is for: invisible characters, tag characters, lookalikes. */
const NEEDS_CHARACTER_PASS = new RegExp(
  `[${[...INVISIBLE].map((code) => String.fromCharCode(code)).join("")}${LOOKALIKE_LETTERS.join("")}\\u{E0000}-\\u{E007F}]`,
  "u",
);

export function promptViews(text: string): PromptViews {
  if (ASCII_ONLY.test(text)) return plainViews(text);
  const source = text.normalize("NFKC");
  return NEEDS_CHARACTER_PASS.test(source) ? unicodeViews(source) : plainViews(source);
}

/**
 * Most prompts are ASCII (NFKC leaves them unchanged), and most others ("Séville", "日本") hold no
 * invisible character, tag or lookalike either: their views are two replacements, as the
 * per-character pass would build them at several times the cost.
 */
function plainViews(text: string): PromptViews {
  const cased = text.replace(SPACE_RUN, " ");
  const lower = cased.toLowerCase();
  return new LazilySquashedViews({
    cased,
    plain: lower,
    latin: lower,
    invisibleInWords: 0,
    smuggledTags: 0,
    hiddenText: "",
    mixedScriptWords: 0,
  });
}

/** The per-character pass, over NFKC text. */
function unicodeViews(source: string): PromptViews {
  const cased: string[] = [];
  const latin: string[] = [];
  const hidden: string[] = [];
  let invisibleInWords = 0;
  let smuggledTags = 0;
  let mixedScriptWords = 0;
  // Scanning state: the last kept character, invisibles pending since it, whether we are in a flag.
  let previousWasLatinLetter = false;
  let pendingInvisibles = 0;
  let inFlagSequence = false;
  let previousWasSpace = false;
  // The current word's scripts, for mixed-script detection.
  let wordHasAscii = false;
  let wordHasLookalike = false;

  const endWord = () => {
    if (wordHasAscii && wordHasLookalike) mixedScriptWords++;
    wordHasAscii = wordHasLookalike = false;
  };

  for (const char of source) {
    const code = char.codePointAt(0)!;
    if (INVISIBLE.has(code)) {
      if (previousWasLatinLetter) pendingInvisibles++;
      continue;
    }
    if (code >= TAG_FIRST && code <= TAG_LAST) {
      if (!inFlagSequence) {
        smuggledTags++;
        if (code >= 0xe0020 && code <= 0xe007e) hidden.push(String.fromCharCode(code - TAG_FIRST));
      }
      continue;
    }
    inFlagSequence = code === WAVING_BLACK_FLAG;
    if (char === " " || char === "\t") {
      endWord();
      previousWasLatinLetter = false;
      pendingInvisibles = 0;
      if (!previousWasSpace) {
        cased.push(" ");
        latin.push(" ");
      }
      previousWasSpace = true;
      continue;
    }
    previousWasSpace = false;
    const folded = latinLookalike(char);
    const isLatinLetter = folded !== undefined || isAsciiLetter(code);
    if (isLatinLetter) {
      if (pendingInvisibles > 0) invisibleInWords += pendingInvisibles;
      if (folded === undefined) wordHasAscii = true;
      else wordHasLookalike = true;
    } else if (code < 0x80 || !LETTER.test(char)) {
      endWord();
    }
    pendingInvisibles = 0;
    previousWasLatinLetter = isLatinLetter;
    cased.push(char);
    latin.push(folded ?? char);
  }
  endWord();

  const casedText = cased.join("");
  const latinText = latin.join("").toLowerCase();
  return new LazilySquashedViews({
    cased: casedText,
    plain: casedText.toLowerCase(),
    latin: latinText,
    invisibleInWords,
    smuggledTags,
    hiddenText: hidden.join(""),
    mixedScriptWords,
  });
}

/**
 * The views with `squashed` and `squashedOrigin` built on first use: the spaced-letters rule
 * reads `squashed` only when it may match, and the origins only for a match. A class, not an
 * object literal spreading the others beside a getter: the engine builds that one through its
 * slow path, for every text scored.
 */
class LazilySquashedViews implements PromptViews {
  readonly cased: string;
  readonly plain: string;
  readonly latin: string;
  readonly invisibleInWords: number;
  readonly smuggledTags: number;
  readonly hiddenText: string;
  readonly mixedScriptWords: number;
  #squashed: string | undefined;
  #origin: Uint32Array | undefined;

  constructor(views: Omit<PromptViews, "squashed" | "squashedOrigin">) {
    this.cased = views.cased;
    this.plain = views.plain;
    this.latin = views.latin;
    this.invisibleInWords = views.invisibleInWords;
    this.smuggledTags = views.smuggledTags;
    this.hiddenText = views.hiddenText;
    this.mixedScriptWords = views.mixedScriptWords;
  }

  get squashed(): string {
    return (this.#squashed ??= asciiLetters(this.latin));
  }

  readonly squashedOrigin = (index: number): number => (this.#origin ??= lettersOrigin(this.latin))[index]!;
}

/**
 * `latin`'s a-z letters: copied into bytes and decoded at once (a regex replace of every run of
 * non-letters costs several times more: one replacement per word).
 */
function asciiLetters(latin: string): string {
  if (letterBuffer.length < latin.length) letterBuffer = new Uint8Array(Math.max(latin.length, letterBuffer.length * 2));
  const letters = letterBuffer;
  let count = 0;
  for (let index = 0; index < latin.length; index++) {
    const code = latin.charCodeAt(index);
    if (code >= 0x61 && code <= 0x7a) letters[count++] = code;
  }
  return ASCII.decode(letters.subarray(0, count));
}

/** For each a-z letter of `latin`, in order, its index. */
function lettersOrigin(latin: string): Uint32Array {
  const origin = new Uint32Array(latin.length);
  let letters = 0;
  for (let index = 0; index < latin.length; index++) {
    const code = latin.charCodeAt(index);
    if (code >= 0x61 && code <= 0x7a) origin[letters++] = index;
  }
  return origin.subarray(0, letters);
}
