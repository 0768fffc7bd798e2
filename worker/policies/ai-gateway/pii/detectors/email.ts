/**
 * E-mail addresses (RFC 5322 addr-spec, with RFC 6531's non-ASCII letters): found from each "@"
 * outwards, so the scan is linear whatever the text (no regex runs from every position).
 * - Local part: atext and dots (RFC 5322 §3.2.3), at most 64 characters (RFC 5321 §4.5.3.1.1);
 *   a longer run is not an address. Leading dots and quotes are dropped ("'john@…'" in prose).
 * - Domain: at least two labels of letters, digits and inner hyphens, each ≤ 63 characters, the
 *   whole ≤ 253; the last label (TLD) is letters only, or an A-label ("xn--…"). A final "." is
 *   the sentence's, not the domain's. Address literals ("user@[192.0.2.1]") are not matched.
 * - Written to dodge harvesters, with the "@" and dots in brackets: "jane [at] example [dot] com",
 *   "jane(at)example.com".
 */
import type { Candidate } from "../types";

const MAX_LOCAL = 64;
const MAX_DOMAIN = 253;
const MAX_LABEL = 63;

// RFC 5322 atext (§3.2.3) without "&", "/", "=", "?", "`", "{", "|" and "}": allowed, but in
// text they join an address to what precedes it ("?email=jane@…", "a/b@…") far more often than
// they are part of one.
const LOCAL_SYMBOLS = "!#$%'*+-^_~.";
// Letters of scripts written without spaces (Han, kana, Hangul) do not continue an address: in
// "私のメールはtanaka@example.jpです" they are the sentence around it.
const NON_ASCII_WORD = /(?![\p{sc=Han}\p{sc=Hiragana}\p{sc=Katakana}\p{sc=Hangul}])[\p{L}\p{M}\p{N}]/u;

const isAsciiAlnum = (code: number) => (code >= 48 && code <= 57) || (code >= 65 && code <= 90) || (code >= 97 && code <= 122);
const isWordChar = (text: string, i: number) => {
  const code = text.charCodeAt(i);
  return isAsciiAlnum(code) || (code > 0x7f && NON_ASCII_WORD.test(text[i]!));
};
const isLocalChar = (text: string, i: number) => isWordChar(text, i) || LOCAL_SYMBOLS.includes(text[i]!);
const isLabelChar = (text: string, i: number) => isWordChar(text, i) || text.charCodeAt(i) === 45;

export function findEmails(text: string): Candidate[] {
  const found: Candidate[] = [];
  for (let at = text.indexOf("@"); at !== -1; at = text.indexOf("@", at + 1)) {
    let start = at;
    while (start > 0 && at - start <= MAX_LOCAL && isLocalChar(text, start - 1)) start--;
    if (at - start > MAX_LOCAL) continue;
    while (start < at && (text.charCodeAt(start) === 46 || text.charCodeAt(start) === 39)) start++;
    if (start === at || text.charCodeAt(at - 1) === 46) continue;
    const end = domainEnd(text, at + 1);
    if (end > 0 && !IMAGE_NAME.test(text.slice(at + 1, end))) found.push({ start, end });
  }
  if (BRACKETED_AT.test(text)) {
    for (const match of text.matchAll(OBFUSCATED)) found.push({ start: match.index, end: match.index + match[0].length });
  }
  return found;
}

// Every quantifier is bounded and each separator is required, so a match is tried in one way.
const BRACKETED_AT = /[[({]\s?at\s?[\])}]/i;
const OBFUSCATED =
  /(?<![\w.+\-])[\w.+\-]{1,64}\s?[[({]\s?at\s?[\])}]\s?[\w\-]{1,63}(?:\s?(?:[[({]\s?dot\s?[\])}]|\.)\s?[\w\-]{1,63}){0,3}(?:\s?(?:[[({]\s?dot\s?[\])}]|\.)\s?[A-Za-z]{2,24})(?![\w\-])/gi;

/** The end of a valid domain starting at `from`, or -1. */
function domainEnd(text: string, from: number): number {
  let labels = 0;
  let end = -1;
  let position = from;
  let lastLabelStart = from;
  while (position - from <= MAX_DOMAIN) {
    let labelEnd = position;
    while (labelEnd < text.length && labelEnd - position <= MAX_LABEL && isLabelChar(text, labelEnd)) labelEnd++;
    const length = labelEnd - position;
    if (length === 0 || length > MAX_LABEL || text.charCodeAt(position) === 45 || text.charCodeAt(labelEnd - 1) === 45) break;
    labels++;
    lastLabelStart = position;
    if (labels >= 2 && isTopLevelLabel(text.slice(lastLabelStart, labelEnd))) end = labelEnd;
    // A dot continues the domain only when a label follows it ("example.com." ends a sentence).
    if (text.charCodeAt(labelEnd) !== 46 || labelEnd + 1 >= text.length || !isLabelChar(text, labelEnd + 1)) break;
    position = labelEnd + 1;
  }
  if (end > 0 && end - from > MAX_DOMAIN) return -1;
  return end;
}

/** "icon@2x.png": an image at a pixel density, named as iOS and the web name them; not a domain. */
const IMAGE_NAME = /^\d+(?:\.\d+)?x\.(?:png|jpe?g|gif|svg|webp|avif)$|\.(?:png|jpe?g|gif|svg|webp|avif|ico|bmp)$/i;
const isTopLevelLabel = (label: string) => /^(?:[\p{L}]{2,63}|xn--[a-z0-9-]{1,59})$/iu.test(label);
