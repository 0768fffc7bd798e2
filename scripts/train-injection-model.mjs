/**
 * Trains the prompt-injection scorer's learned component (worker/policies/ai-gateway/
 * prompt-injection/learned.ts) and rewrites its weights, learned-model.ts:
 *
 *   node scripts/train-injection-model.mjs
 *
 * Data: the labelled corpora that are not held out: corpus.test-data.ts, training.test-data.ts
 * and the TUNING halves of heldout.test-data.ts and heldout2.test-data.ts (their held-out halves stay unseen, so they
 * keep measuring generalisation). Model: logistic regression over hashed word unigrams and
 * bigrams of the `latin` view (learned.ts's forEachWordFeature, the scorer's own tokeniser),
 * L2-regularised, attacks and ordinary prompts weighed equally; a text longer than a window is
 * represented by its most attack-like window under the current weights (as scoring reads it).
 * Full-batch gradient descent from zero, a fixed number of epochs, no randomness: the same data
 * gives the same file. Weights are quantised to int8 (one scale) and stored as base64.
 */
import { build } from "esbuild";
import { writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const ROOT = join(dirname(fileURLToPath(import.meta.url)), "..");
const FOLDER = join(ROOT, "worker/policies/ai-gateway/prompt-injection");
const OUTPUT = join(FOLDER, "learned-model.ts");

const EPOCHS = 400;
const LEARNING_RATE = 2;
/** L2 penalty per weight: keeps single words from deciding alone (generalisation over recall). */
const L2 = 0.0005;

const { outputFiles } = await build({
  stdin: {
    contents: `
      export { ATTACKS, ORDINARY } from "./corpus.test-data";
      export { HELDOUT_ATTACKS, HELDOUT_ORDINARY, half } from "./heldout.test-data";
      export { HELDOUT2_ATTACKS, HELDOUT2_ORDINARY } from "./heldout2.test-data";
      export { TRAINING_ATTACKS, TRAINING_ORDINARY } from "./training.test-data";
      export { promptViews } from "./normalise";
      export { BUCKETS, WINDOW, forEachWordFeature } from "./learned";
    `,
    resolveDir: FOLDER,
    loader: "ts",
  },
  bundle: true,
  write: false,
  format: "esm",
  platform: "neutral",
  // learned.ts reads the weights this script writes: a stand-in breaks the cycle.
  plugins: [
    {
      name: "no-model",
      setup(build) {
        build.onResolve({ filter: /\/learned-model$/ }, () => ({ path: "learned-model", namespace: "stub" }));
        build.onLoad({ filter: /.*/, namespace: "stub" }, () => ({ contents: "export const MODEL = {};", loader: "js" }));
      },
    },
  ],
});
const lib = await import(`data:text/javascript;base64,${Buffer.from(outputFiles[0].text).toString("base64")}`);
const { BUCKETS, WINDOW } = lib;

const texts = (groups) => Object.values(groups).flat();
const attacks = [
  ...texts(lib.ATTACKS),
  ...texts(lib.half(lib.HELDOUT_ATTACKS, "tuning")),
  ...texts(lib.half(lib.HELDOUT2_ATTACKS, "tuning")),
  ...lib.TRAINING_ATTACKS,
];
const ordinary = [
  ...texts(lib.ORDINARY),
  ...texts(lib.half(lib.HELDOUT_ORDINARY, "tuning")),
  ...texts(lib.half(lib.HELDOUT2_ORDINARY, "tuning")),
  ...lib.TRAINING_ORDINARY,
];

/** A text as the buckets of each word (unigram, bigram; -1 where learned.ts does not count one). */
function wordsOf(text) {
  const words = [];
  lib.forEachWordFeature(lib.promptViews(text).latin, (_word, unigram, bigram) => words.push([unigram, bigram]));
  return words;
}
const examples = [
  ...attacks.map((text) => ({ words: wordsOf(text), label: 1, weight: 0.5 / attacks.length })),
  ...ordinary.map((text) => ({ words: wordsOf(text), label: 0, weight: 0.5 / ordinary.length })),
];

const weights = new Float64Array(BUCKETS);
let bias = 0;
const contribution = ([unigram, bigram]) => (unigram < 0 ? 0 : weights[unigram]) + (bigram < 0 ? 0 : weights[bigram]);

/** The words of the window learned.ts scores: all of a short text, the best WINDOW words of a long one. */
function window(words) {
  if (words.length < WINDOW) return words;
  let sum = 0;
  for (let index = 0; index < WINDOW; index++) sum += contribution(words[index]);
  let best = sum;
  let bestEnd = WINDOW;
  for (let end = WINDOW + 1; end <= words.length; end++) {
    sum += contribution(words[end - 1]) - contribution(words[end - 1 - WINDOW]);
    if (sum > best) [best, bestEnd] = [sum, end];
  }
  return words.slice(bestEnd - WINDOW, bestEnd);
}

const probability = (words) => 1 / (1 + Math.exp(-(bias + words.reduce((sum, word) => sum + contribution(word), 0))));

for (let epoch = 0; epoch < EPOCHS; epoch++) {
  const gradient = new Float64Array(BUCKETS);
  let biasGradient = 0;
  for (const example of examples) {
    const words = window(example.words);
    const error = (probability(words) - example.label) * example.weight;
    biasGradient += error;
    for (const [unigram, bigram] of words) {
      if (unigram >= 0) gradient[unigram] += error;
      if (bigram >= 0) gradient[bigram] += error;
    }
  }
  for (let bucket = 0; bucket < BUCKETS; bucket++) weights[bucket] -= LEARNING_RATE * (gradient[bucket] + L2 * weights[bucket]);
  bias -= LEARNING_RATE * biasGradient;
}

const largest = weights.reduce((max, weight) => Math.max(max, Math.abs(weight)), 0);
const scale = largest / 127;
const quantised = Uint8Array.from(weights, (weight) => Math.round(weight / scale) & 0xff);
for (let bucket = 0; bucket < BUCKETS; bucket++) weights[bucket] = ((quantised[bucket] << 24) >> 24) * scale;

const accuracy = (set, label) =>
  set.filter((example) => example.label === label && probability(window(example.words)) >= 0.5 === (label === 1)).length;
console.log(
  `trained on ${attacks.length} attacks and ${ordinary.length} ordinary prompts: ` +
    `${accuracy(examples, 1)}/${attacks.length} attacks and ${accuracy(examples, 0)}/${ordinary.length} ordinary prompts right (p >= 0.5)`,
);

writeFileSync(
  OUTPUT,
  `// Generated by \`node scripts/train-injection-model.mjs\` (see that script and learned.ts): do not edit.
// Logistic regression over ${BUCKETS} hashed word unigram and bigram buckets, trained on
// ${attacks.length} attacks and ${ordinary.length} ordinary prompts; weights int8 (times \`scale\`), base64.
export const MODEL = {
  bias: ${Number(bias.toPrecision(6))},
  scale: ${Number(scale.toPrecision(6))},
  weights:
    "${Buffer.from(quantised).toString("base64")}",
};
`,
);
console.log(`wrote ${OUTPUT}`);
