import { MODEL } from "./learned-model";

/**
 * A small learned component: a logistic regression over hashed word unigrams and bigrams
 * (the "hashing trick", Weinberger et al., "Feature Hashing for Large Scale Multitask
 * Learning", ICML 2009), trained offline on the labelled corpora that are not held out
 * (`node scripts/train-injection-model.mjs` writes learned-model.ts; see that script).
 * The rules recognise phrasings someone listed; the model scores the words they did not, so an
 * unseen attack built from attack vocabulary ("from now on", "every reply", "the text before")
 * still gets some weight. Its output is one signal in the scorer's noisy-OR, capped (index.ts).
 *
 * A bucket counts once per window (a repeated word or pair is not more evidence), in training
 * as in scoring. Cost: one pass over the `latin` view, no allocation (a hash per word, computed as its
 * letters are read; a fixed ring buffer and fixed per-bucket stamps). Bounded: the logit is the best of the windows of
 * WINDOW words, so a long document is scored by its most attack-like passage (an injection
 * hidden in a page is local) and its length does not add up.
 */

/** Words per window: a sentence or two; CV scores 16, 24 and 40 alike, and a shorter window dilutes a planted attack less. */
export const WINDOW = 24;
/** 2^13 buckets: a few thousand distinct words and pairs in the corpora, few collisions. */
export const BUCKETS = 1 << 13;
const MASK = BUCKETS - 1;

const FNV_OFFSET = 0x811c9dc5;
const FNV_PRIME = 0x01000193;
/** Hashes a bigram apart from the unigram of the same words. */
const BIGRAM_SALT = 0x9e3779b1;

/** Letters and digits of the `latin` view (lower case); any non-ASCII letter-like character too. */
function isWordCode(code: number): boolean {
  return (code >= 0x61 && code <= 0x7a) || (code >= 0x30 && code <= 0x39) || code === 0x27 || code >= 0xc0;
}

/**
 * Where each bucket last counted, as a word number that runs on from call to call (a call
 * starts WINDOW words past the last one's end, so nothing counted before it is recent): one
 * fixed array, reused by every call, so a call allocates nothing and clears nothing. 16 KB of
 * 16-bit numbers, read at a random place per feature: kept small, as it is out of the caches on
 * a busy gateway. Before the number could outgrow 16 bits (every 65,000 words or so, a few hundred
 * prompts) the array is cleared and numbering starts again, as a view begins: a 16 KB fill. Only
 * a view of over 65,000 words is cleared mid-way, where a word or pair may then count twice in
 * one window.
 */
const lastCounted = new Uint16Array(BUCKETS);
/** The running number of the next call's first word. */
let nextNumber = WINDOW;
const LAST_NUMBER = 0xffff;

/** Clears the array; the number the next word takes. */
function restart(): number {
  lastCounted.fill(0);
  return WINDOW;
}

/**
 * A bucket counts once per WINDOW words: a word repeated ("ha ha ha", a column of zeros, an
 * attacker's padding) would otherwise add its weight WINDOW times and decide the window alone.
 * The model is trained on the same counts (features are presence in a window, as in training).
 */
function counts(bucket: number, word: number): boolean {
  if (word - lastCounted[bucket]! < WINDOW) return false;
  lastCounted[bucket] = word;
  return true;
}

/**
 * Calls `visit(word, unigram, bigram)` for each word of `view`: its 0-based index, the bucket of
 * the word and the bucket of the previous word and this one, each -1 when that bucket already
 * counted within the last WINDOW words (or for the first word's bigram). FNV-1a (32-bit) over
 * the word's UTF-16 code units.
 */
export function forEachWordFeature(view: string, visit: (word: number, unigram: number, bigram: number) => void): void {
  // A view is numbered from a clear array when its words (at most one per two characters) could
  // take the number past 16 bits: a long one mid-way too.
  let number = nextNumber + ((view.length + 1) >> 1) > LAST_NUMBER ? restart() : nextNumber;
  let previous = 0;
  let word = 0;
  let hash = FNV_OFFSET;
  let inWord = false;
  for (let index = 0; index <= view.length; index++) {
    const code = index < view.length ? view.charCodeAt(index) : 0x20;
    if (isWordCode(code)) {
      hash = Math.imul(hash ^ code, FNV_PRIME);
      inWord = true;
      continue;
    }
    if (!inWord) continue;
    if (number > LAST_NUMBER) number = restart();
    const unigram = hash & MASK;
    const bigram = word === 0 ? -1 : (Math.imul(previous ^ BIGRAM_SALT, FNV_PRIME) ^ hash) & MASK;
    visit(word, counts(unigram, number) ? unigram : -1, bigram >= 0 && counts(bigram, number) ? bigram : -1);
    previous = hash;
    hash = FNV_OFFSET;
    inWord = false;
    word++;
    number++;
  }
  nextNumber = number + WINDOW;
}

let weights: Int8Array | undefined;

/**
 * The model's weights as stored (int8, times MODEL.scale: 8 KB, not 32 as floats), decoded from
 * learned-model.ts on first use (not at an isolate's startup).
 */
function modelWeights(): Int8Array {
  return (weights ??= Int8Array.from(atob(MODEL.weights), (char) => (char.charCodeAt(0) << 24) >> 24));
}

/** Each word's contribution in the current window, a ring of WINDOW slots (reused: no allocation per call). */
const ring = new Float64Array(WINDOW);
/**
 * The scan's running sums: the current window's logit and the best one so far. Held in an array
 * the word callback writes, not in variables it closes over, which the engine would box anew
 * (a heap number) at every word.
 */
const sums = new Float64Array(2);
const CURRENT = 0;
const BEST = 1;

/** The probability (0..1) the model gives the most attack-like window of WINDOW words of `view`. */
export function learnedProbability(view: string): number {
  const model = modelWeights();
  ring.fill(0);
  sums[CURRENT] = 0;
  sums[BEST] = -Infinity;
  let words = 0;
  forEachWordFeature(view, (word, unigram, bigram) => {
    const contribution = ((unigram < 0 ? 0 : model[unigram]!) + (bigram < 0 ? 0 : model[bigram]!)) * MODEL.scale;
    const slot = word % WINDOW;
    sums[CURRENT] = sums[CURRENT]! + contribution - ring[slot]!;
    ring[slot] = contribution;
    // Whole windows only: a text's first words alone are not a window (a prefix of an ordinary
    // sentence can look like an attack's).
    if (word + 1 >= WINDOW && sums[CURRENT]! > sums[BEST]!) sums[BEST] = sums[CURRENT]!;
    words = word + 1;
  });
  const best = words < WINDOW ? sums[CURRENT]! : sums[BEST]!;
  return 1 / (1 + Math.exp(-(MODEL.bias + best)));
}
