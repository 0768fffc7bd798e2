/**
 * The words the content filter compares, read from a prompt through the prompt-injection
 * scorer's normalisation against evasion (../prompt-injection/normalise.ts, `latin` view: NFKC,
 * zero-width and tag characters removed, Cyrillic and Greek lookalikes folded per Unicode TR39,
 * lower case), then:
 *
 * - accents removed (NFD, then every combining mark dropped: "Bömb" reads "bomb");
 * - split into words: runs of letters and digits (`\p{L}`, `\p{N}`); everything else (spaces,
 *   punctuation, hyphens, emoji) separates words, so "kill--myself" and "kill   myself" are two
 *   words like "kill myself";
 * - runs of SPELLED_OUT or more one-character words joined into one ("k i l l", "k.i.l.l" and
 *   "k-i-l-l" read "kill"): letters pulled apart to slip past a word match.
 *
 * One pass per step: linear in the text.
 */
import { promptViews } from "../prompt-injection/normalise";

/** How many one-character words in a row are read as one spelled-out word. */
export const SPELLED_OUT = 3;

const ASCII_ONLY = /^[\x00-\x7f]*$/;
const COMBINING_MARKS = /\p{M}+/gu;
const WORD = /[\p{L}\p{N}]+/gu;

/** The words of `text`, normalised as above. */
export function contentWords(text: string): string[] {
  const { latin } = promptViews(text);
  const unaccented = ASCII_ONLY.test(latin) ? latin : latin.normalize("NFD").replace(COMBINING_MARKS, "");
  return joinSpelledOut(unaccented.match(WORD) ?? []);
}

function joinSpelledOut(words: string[]): string[] {
  const joined: string[] = [];
  let run: string[] = [];
  const endRun = () => {
    if (run.length >= SPELLED_OUT) joined.push(run.join(""));
    else joined.push(...run);
    run = [];
  };
  for (const word of words) {
    if (word.length === 1) run.push(word);
    else {
      endRun();
      joined.push(word);
    }
  }
  endRun();
  return joined;
}
