/**
 * Base64 payloads (RFC 4648 §4, and the URL-safe alphabet of §5) that may hide an instruction:
 * "aWdub3JlIGFsbCBwcmV2aW91cyBpbnN0cnVjdGlvbnM=" is "ignore all previous instructions".
 * Decoding is bounded: the first MAX_RUNS runs are decoded, each cut to MAX_RUN characters, until
 * MAX_DECODED characters were decoded in all, so a 1 MB blob costs one linear scan plus a fixed
 * amount of decoding (and of scoring what it decoded to).
 */
const MIN_RUN = 16;
const MAX_RUN = 4096;
const MAX_RUNS = 64;
const MAX_DECODED = 32 * 1024;
const UTF8 = new TextDecoder("utf-8", { fatal: true, ignoreBOM: false });
const READABLE = /[\p{L}\p{N}\p{P}\p{S}\p{Zs}\n]/u;
const WORDS = /\p{L}{2,}\s\p{L}/u;

/** Decode one run to text, or undefined when it is not base64 of readable UTF-8 text. */
function decodeRun(run: string): string | undefined {
  const body = run.replace(/=+$/, "").replace(/-/g, "+").replace(/_/g, "/");
  // Padding is optional in practice (RFC 4648 §3.2): restore it so the last bytes decode too.
  const cut = body.slice(0, MAX_RUN);
  const remainder = cut.length % 4;
  if (cut.length < MIN_RUN || remainder === 1) return undefined;
  const whole = remainder === 0 ? cut : cut + "=".repeat(4 - remainder);
  // Ordinary words and identifiers are runs too; real base64 of text mixes cases and digits
  // or ends in padding. A lowercase-only run ("internationalization") is not decoded.
  if (!/[A-Z]/.test(whole) || !/[a-z]/.test(whole)) return undefined;
  let bytes: Uint8Array;
  try {
    bytes = Uint8Array.from(atob(whole), (c) => c.charCodeAt(0));
  } catch {
    return undefined;
  }
  let text: string;
  try {
    text = UTF8.decode(bytes);
  } catch {
    return undefined;
  }
  // Readable: mostly letters, digits, spaces and punctuation, no control characters.
  let readable = 0;
  for (const char of text) if (READABLE.test(char)) readable++;
  return readable >= text.length * 0.9 && WORDS.test(text) ? text : undefined;
}

/** A-Z, a-z, 0-9, "+", "/" (RFC 4648 §4) and "-", "_" (§5): 1 at their codes, a table read per character. */
const BASE64_CODES = (() => {
  const codes = new Uint8Array(0x80);
  for (const char of "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/-_") codes[char.charCodeAt(0)] = 1;
  return codes;
})();

const isBase64Code = (code: number) => code < 0x80 && BASE64_CODES[code] === 1;

/** The readable texts hidden in the prompt's base64 runs (the first ones, within the budget). */
export function decodedBase64Texts(cased: string): string[] {
  const texts: string[] = [];
  let decoded = 0;
  for (const run of base64Runs(cased, MAX_RUNS)) {
    if (decoded >= MAX_DECODED) break;
    decoded += Math.min(run.length, MAX_RUN);
    const text = decodeRun(run);
    if (text !== undefined) texts.push(text);
  }
  return texts;
}

/**
 * The first `limit` of what /[A-Za-z0-9+/_-]{16,}={0,2}/g matches: each maximal run of at least
 * MIN_RUN base64 characters and up to two "=" after it. A scan of character codes: the regex would
 * try a match at every letter of every ordinary word.
 */
export function base64Runs(text: string, limit = Infinity): string[] {
  const runs: string[] = [];
  let index = 0;
  while (index < text.length && runs.length < limit) {
    const start = index;
    while (index < text.length && isBase64Code(text.charCodeAt(index))) index++;
    // An ordinary word is a run too short to matter; the character after it is none.
    if (index - start < MIN_RUN) {
      index++;
      continue;
    }
    let end = index;
    while (end < text.length && end - index < 2 && text.charCodeAt(end) === 0x3d) end++;
    runs.push(text.slice(start, end));
    index = end;
  }
  return runs;
}
