/**
 * A prompt token ESTIMATE, for `max_tokens_per_request` and the budget reserved before the
 * provider reports its count. Without the models' tokenizers (megabytes of vocabulary per model)
 * the edge counts what BPE tokenizers (OpenAI's cl100k/o200k, Anthropic's) cannot merge, in one
 * linear pass over UTF-16 code units:
 *
 * - a run of ASCII letters costs ceil(length / 4), a new run starting at a lower→upper case change
 *   (tokenizers split `camelCase`); common English words are one token, so prose is over-counted;
 * - a run of ASCII digits costs ceil(length / 3) (cl100k and o200k split numbers into groups of at
 *   most three digits);
 * - a single space is free (it merges into the next word's token), a longer whitespace run costs
 *   ceil(length / 4);
 * - every other ASCII character (punctuation, symbols, controls) costs 1, though tokenizers merge
 *   many (`://`, `");`);
 * - every non-ASCII code unit costs 1: a CJK character ~1 token (rare ones up to 3 with cl100k's
 *   byte fallback), a Cyrillic or Greek letter well under 1, an emoji (2 code units) 1–3;
 * - plus 4 per text (OpenAI documents 3 per message and 1 per name for the role and delimiters)
 *   and 3 per request (the reply's priming).
 *
 * It errs high on purpose: the reservation is charged back to the provider's reported usage, so
 * over-reserving only holds budget for one request's lifetime, while under-reserving lets
 * concurrent requests spend past a budget before any usage arrives. It can still under-count
 * random strings (base64, keys), where tokenizers manage ~2.5 characters a token.
 */

const PER_TEXT_OVERHEAD = 4;
const PER_REQUEST_OVERHEAD = 3;

const LETTER = 1;
const DIGIT = 2;
const SPACE = 3;
const OTHER = 4;

export function estimateTokens(texts: readonly (string | { text: string })[]): number {
  let total = PER_REQUEST_OVERHEAD;
  for (const entry of texts) total += PER_TEXT_OVERHEAD + estimateTextTokens(typeof entry === "string" ? entry : entry.text);
  return total;
}

/** One text's estimate, without the overheads. */
export function estimateTextTokens(text: string): number {
  let tokens = 0;
  let run = OTHER;
  let length = 0;
  let previousLower = false;
  for (let index = 0; index <= text.length; index++) {
    const code = index < text.length ? text.charCodeAt(index) : -1;
    const kind = classify(code);
    const lower = code >= 0x61 && code <= 0x7a;
    if (kind !== run || (kind === LETTER && previousLower && !lower)) {
      if (run === LETTER) tokens += Math.ceil(length / 4);
      else if (run === DIGIT) tokens += Math.ceil(length / 3);
      else if (run === SPACE && length > 1) tokens += Math.ceil(length / 4);
      length = 0;
    }
    if (kind === OTHER) tokens += index < text.length ? 1 : 0;
    else length++;
    run = kind;
    previousLower = lower;
  }
  return tokens;
}

function classify(code: number): number {
  if ((code >= 0x61 && code <= 0x7a) || (code >= 0x41 && code <= 0x5a)) return LETTER;
  if (code >= 0x30 && code <= 0x39) return DIGIT;
  if (code === 0x20 || code === 0x09 || code === 0x0a || code === 0x0d) return SPACE;
  return OTHER;
}
