import { describe, expect, it } from "vitest";
import { PII_CORPUS, PII_NEGATIVES } from "./corpus.test-data";
import { PII_TYPES, detectPii, type PiiFinding, type PiiType } from "./index";

interface Labelled {
  text: string;
  expected: PiiFinding[];
}

/** "…⟦TYPE:value⟧…" → the text without marks and the marked spans. */
function parse(marked: string): Labelled {
  const expected: PiiFinding[] = [];
  let text = "";
  let rest = marked;
  for (let open = rest.indexOf("⟦"); open !== -1; open = rest.indexOf("⟦")) {
    const close = rest.indexOf("⟧", open);
    const colon = rest.indexOf(":", open);
    text += rest.slice(0, open);
    const value = rest.slice(colon + 1, close);
    expected.push({ type: rest.slice(open + 1, colon) as PiiType, start: text.length, end: text.length + value.length });
    text += value;
    rest = rest.slice(close + 1);
  }
  return { text: text + rest, expected };
}

interface Score {
  truePositives: number;
  falsePositives: number;
  falseNegatives: number;
}

/** A finding counts when it has the expected type and exactly the expected span. */
const covers = (finding: PiiFinding, expected: PiiFinding) =>
  finding.type === expected.type && finding.start === expected.start && finding.end === expected.end;

function score(examples: readonly Labelled[]): { scores: Map<PiiType, Score>; errors: string[] } {
  const scores = new Map(PII_TYPES.map((type) => [type, { truePositives: 0, falsePositives: 0, falseNegatives: 0 }]));
  const errors: string[] = [];
  for (const { text, expected } of examples) {
    const findings = detectPii(text);
    for (const want of expected) {
      if (findings.some((finding) => covers(finding, want))) scores.get(want.type)!.truePositives++;
      else {
        scores.get(want.type)!.falseNegatives++;
        errors.push(`missed ${want.type} ${JSON.stringify(text.slice(want.start, want.end))} in ${JSON.stringify(text)}`);
      }
    }
    for (const finding of findings) {
      if (expected.some((want) => covers(finding, want))) continue;
      scores.get(finding.type)!.falsePositives++;
      errors.push(`false ${finding.type} ${JSON.stringify(text.slice(finding.start, finding.end))} in ${JSON.stringify(text)}`);
    }
  }
  return { scores, errors };
}

const ratio = (part: number, whole: number) => (whole === 0 ? 1 : part / whole);

describe("the labelled PII corpus", () => {
  const examples = [...PII_CORPUS.map(parse), ...PII_NEGATIVES.map((text) => ({ text, expected: [] }))];
  const { scores, errors } = score(examples);

  it("has at least 300 examples, positives of every type and hard negatives", () => {
    expect(examples.length).toBeGreaterThanOrEqual(300);
    expect(PII_NEGATIVES.length).toBeGreaterThanOrEqual(100);
    for (const type of PII_TYPES) expect(scores.get(type)!.truePositives + scores.get(type)!.falseNegatives).toBeGreaterThanOrEqual(20);
  });

  it("scores recall and precision ≥ 0.95 per type", () => {
    const rows = PII_TYPES.map((type) => {
      const { truePositives: tp, falsePositives: fp, falseNegatives: fn } = scores.get(type)!;
      return { type, labelled: tp + fn, tp, fp, fn, recall: ratio(tp, tp + fn).toFixed(3), precision: ratio(tp, tp + fp).toFixed(3) };
    });
    console.log(`${examples.length} examples (${PII_NEGATIVES.length} hard negatives)\ntype\tlabelled\ttp\tfp\tfn\trecall\tprecision`);
    for (const row of rows) console.log(Object.values(row).map(String).join("\t"));
    if (errors.length > 0) console.log(errors.join("\n"));
    for (const { type, recall, precision } of rows) {
      expect(Number(recall), `${type} recall`).toBeGreaterThanOrEqual(0.95);
      expect(Number(precision), `${type} precision`).toBeGreaterThanOrEqual(0.95);
    }
  });
});
