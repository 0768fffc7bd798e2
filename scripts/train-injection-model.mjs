/**
 * Trains the prompt-injection scorer's learned component (worker/policies/ai-gateway/
 * prompt-injection/learned.ts) and rewrites its weights, learned-model.ts:
 *
 *   node scripts/train-injection-model.mjs
 *
 * Data: the labelled corpora that are not held out: corpus.test-data.ts, training.test-data.ts,
 * heldout.test-data.ts and heldout2.test-data.ts (whole: their held-out halves were released for
 * tuning in session 19, when heldout3 took over their role), and the TUNING halves of
 * heldout3.test-data.ts and public.test-data.ts (their held-out halves stay unseen, so they keep
 * measuring generalisation). Model: logistic regression over hashed word unigrams and
 * bigrams of the `latin` view (learned.ts's forEachWordFeature, the scorer's own tokeniser),
 * L2-regularised, attacks and ordinary prompts weighed equally; a text longer than a window is
 * represented by its most attack-like window under the current weights (as scoring reads it).
 * Full-batch gradient descent from zero, a fixed number of epochs, no randomness: the same data
 * gives the same file. Weights are quantised to int8 (one scale) and stored as base64.
 * `node scripts/train-injection-model.mjs --cross-validate` prints a 5-fold cross-validation
 * instead (what share of attacks and ordinary prompts reach each probability) and writes nothing.
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
      export { HELDOUT3_ATTACKS, HELDOUT3_ORDINARY } from "./heldout3.test-data";
      export { PUBLIC_ATTACKS, PUBLIC_ORDINARY } from "./public.test-data";
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
  ...texts(lib.HELDOUT_ATTACKS),
  ...texts(lib.HELDOUT2_ATTACKS),
  ...texts(lib.half(lib.HELDOUT3_ATTACKS, "tuning")),
  ...texts(lib.half(lib.PUBLIC_ATTACKS, "tuning")),
  ...lib.TRAINING_ATTACKS,
];
const ordinary = [
  ...texts(lib.ORDINARY),
  ...texts(lib.HELDOUT_ORDINARY),
  ...texts(lib.HELDOUT2_ORDINARY),
  ...texts(lib.half(lib.HELDOUT3_ORDINARY, "tuning")),
  ...texts(lib.half(lib.PUBLIC_ORDINARY, "tuning")),
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

/** A model: weights per bucket and a bias. */
const contribution = (model, [unigram, bigram]) => (unigram < 0 ? 0 : model.weights[unigram]) + (bigram < 0 ? 0 : model.weights[bigram]);

/** The words of the window learned.ts scores: all of a short text, the best WINDOW words of a long one. */
function window(model, words) {
  if (words.length < WINDOW) return words;
  let sum = 0;
  for (let index = 0; index < WINDOW; index++) sum += contribution(model, words[index]);
  let best = sum;
  let bestEnd = WINDOW;
  for (let end = WINDOW + 1; end <= words.length; end++) {
    sum += contribution(model, words[end - 1]) - contribution(model, words[end - 1 - WINDOW]);
    if (sum > best) [best, bestEnd] = [sum, end];
  }
  return words.slice(bestEnd - WINDOW, bestEnd);
}

const probability = (model, words) => 1 / (1 + Math.exp(-(model.bias + words.reduce((sum, word) => sum + contribution(model, word), 0))));

/** Full-batch gradient descent on `set`; the weights quantised to int8 as stored. */
function train(set) {
  const model = { weights: new Float64Array(BUCKETS), bias: 0, scale: 1 };
  // Each class weighs half, whatever the split.
  const totals = [0, 0];
  for (const example of set) totals[example.label] += example.weight;
  for (let epoch = 0; epoch < EPOCHS; epoch++) {
    const gradient = new Float64Array(BUCKETS);
    let biasGradient = 0;
    for (const example of set) {
      const words = window(model, example.words);
      const error = ((probability(model, words) - example.label) * example.weight * 0.5) / totals[example.label];
      biasGradient += error;
      for (const [unigram, bigram] of words) {
        if (unigram >= 0) gradient[unigram] += error;
        if (bigram >= 0) gradient[bigram] += error;
      }
    }
    for (let bucket = 0; bucket < BUCKETS; bucket++)
      model.weights[bucket] -= LEARNING_RATE * (gradient[bucket] + L2 * model.weights[bucket]);
    model.bias -= LEARNING_RATE * biasGradient;
  }
  const largest = model.weights.reduce((max, weight) => Math.max(max, Math.abs(weight)), 0);
  model.scale = largest / 127;
  model.quantised = Uint8Array.from(model.weights, (weight) => Math.round(weight / model.scale) & 0xff);
  for (let bucket = 0; bucket < BUCKETS; bucket++) model.weights[bucket] = ((model.quantised[bucket] << 24) >> 24) * model.scale;
  return model;
}

/** The probability of each example's text under `model`, as learned.ts computes it. */
const predict = (model, example) => probability(model, window(model, example.words));

if (process.argv.includes("--cross-validate")) {
  // Five folds by position: each example is scored by a model that never saw it. Prints, per
  // probability, the share of attacks and of ordinary prompts at or above it: what index.ts's
  // LEARNED_* constants are chosen from. Writes nothing.
  const FOLDS = 5;
  const scored = [];
  for (let fold = 0; fold < FOLDS; fold++) {
    const model = train(examples.filter((_, index) => index % FOLDS !== fold));
    examples.forEach((example, index) => index % FOLDS === fold && scored.push({ label: example.label, p: predict(model, example) }));
  }
  for (const cut of [0.5, 0.7, 0.8, 0.9, 0.93, 0.95, 0.97, 0.98, 0.99]) {
    const share = (label) =>
      scored.filter((entry) => entry.label === label && entry.p >= cut).length / scored.filter((entry) => entry.label === label).length;
    console.log(`p >= ${cut}: ${(100 * share(1)).toFixed(1)}% of attacks, ${(100 * share(0)).toFixed(1)}% of ordinary prompts`);
  }
  process.exit(0);
}

const model = train(examples);
const accuracy = (label) =>
  examples.filter((example) => example.label === label && predict(model, example) >= 0.5 === (label === 1)).length;
console.log(
  `trained on ${attacks.length} attacks and ${ordinary.length} ordinary prompts: ` +
    `${accuracy(1)}/${attacks.length} attacks and ${accuracy(0)}/${ordinary.length} ordinary prompts right (p >= 0.5)`,
);

writeFileSync(
  OUTPUT,
  `// Generated by \`node scripts/train-injection-model.mjs\` (see that script and learned.ts): do not edit.
// Logistic regression over ${BUCKETS} hashed word unigram and bigram buckets, trained on
// ${attacks.length} attacks and ${ordinary.length} ordinary prompts; weights int8 (times \`scale\`), base64.
export const MODEL = {
  bias: ${Number(model.bias.toPrecision(6))},
  scale: ${Number(model.scale.toPrecision(6))},
  weights:
    "${Buffer.from(model.quantised).toString("base64")}",
};
`,
);
console.log(`wrote ${OUTPUT}`);
