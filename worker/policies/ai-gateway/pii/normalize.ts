/**
 * The text the detectors read: an evasion-resistant view of the input with a map back to the
 * original offsets, so masking replaces exactly the characters the user sent.
 *
 * What is normalised, and why (each rule maps one character to at most one):
 * - Removed: zero-width and invisible formatting characters (U+200B–U+200D, U+2060, U+FEFF,
 *   U+00AD soft hyphen, U+180E): they render as nothing, so "4111<ZWSP>1111…" reads as a card.
 * - To ASCII: full-width forms U+FF01–U+FF5E ("４１１１", "＠"), as NFKC would fold them.
 * - To a space: NBSP and the Unicode space separators (U+00A0, U+1680, U+2000–U+200A, U+202F,
 *   U+205F, U+3000), so grouping with any of them reads like grouping with a space.
 * - To "-": the dashes and minus (U+2010–U+2015, U+2212, U+FE63, U+FF0D), used as group separators.
 * - To ASCII digits: the decimal digits of Arabic-Indic (U+0660–U+0669), Eastern Arabic-Indic
 *   (U+06F0–U+06F9) and Devanagari (U+0966–U+096F), in which phone and card numbers are written too.
 * Not normalised: letters of other scripts that look Latin (Unicode TR39 confusables). Local parts
 * and domains of e-mail addresses accept any letter (RFC 6531), so a Cyrillic "а" inside an
 * address does not hide it; digits spelt out or spaced one by one are not read as numbers.
 */

/** The normalised text and, for each of its code units, the offset of the original one. */
export interface NormalizedText {
  text: string;
  /** `origin[i]` is the offset in the original text of normalised code unit i. */
  origin: Int32Array | null;
}

// Any character the rules above touch; a text without one is used as it is (no copy, no map).
const NEEDS_NORMALIZING =
  /[\u0660-\u0669\u06f0-\u06f9\u0966-\u096f\u00a0\u00ad\u1680\u180e\u2000-\u200d\u2010-\u2015\u202f\u205f\u2060\u2212\u3000\ufe63\ufeff\uff01-\uff5e]/;

function mapped(code: number): number {
  if ((code >= 0x200b && code <= 0x200d) || code === 0x2060 || code === 0xfeff || code === 0x00ad || code === 0x180e) return -1;
  if (code === 0xff0d || code === 0xfe63 || code === 0x2212 || (code >= 0x2010 && code <= 0x2015)) return 0x2d;
  if (code >= 0xff01 && code <= 0xff5e) return code - 0xfee0;
  if (code >= 0x0660 && code <= 0x0669) return code - 0x0660 + 0x30;
  if (code >= 0x06f0 && code <= 0x06f9) return code - 0x06f0 + 0x30;
  if (code >= 0x0966 && code <= 0x096f) return code - 0x0966 + 0x30;
  if (code === 0x00a0 || code === 0x1680 || (code >= 0x2000 && code <= 0x200a) || code === 0x202f || code === 0x205f || code === 0x3000)
    return 0x20;
  return code;
}

export function normalizeForDetection(input: string): NormalizedText {
  if (!NEEDS_NORMALIZING.test(input)) return { text: input, origin: null };
  const origin = new Int32Array(input.length);
  const units = new Uint16Array(input.length);
  let length = 0;
  for (let i = 0; i < input.length; i++) {
    const code = mapped(input.charCodeAt(i));
    if (code < 0) continue;
    origin[length] = i;
    units[length++] = code;
  }
  // In slices: String.fromCharCode takes its code units as arguments, and arguments are bounded.
  const parts: string[] = [];
  for (let i = 0; i < length; i += 8192) parts.push(String.fromCharCode(...units.subarray(i, Math.min(length, i + 8192))));
  return { text: parts.join(""), origin: origin.subarray(0, length) };
}

/** The original [start, end) of normalised [start, end): from its first to its last code unit. */
export function originalSpan(normalized: NormalizedText, start: number, end: number): { start: number; end: number } {
  if (normalized.origin === null) return { start, end };
  return { start: normalized.origin[start]!, end: normalized.origin[end - 1]! + 1 };
}
