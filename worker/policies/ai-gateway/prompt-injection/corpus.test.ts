import { describe, expect, it } from "vitest";
import { ATTACKS, ORDINARY } from "./corpus.test-data";
import { DEFAULT_THRESHOLD, scoreInjection } from "./index";

// The measured rates: `npx vitest run worker/policies/ai-gateway/prompt-injection/corpus.test.ts --reporter verbose`
// prints them per category, with every miss and every false positive.
function rate(texts: string[]): { flagged: number; total: number; misses: string[]; hits: string[] } {
  const hits: string[] = [];
  const misses: string[] = [];
  for (const text of texts) (scoreInjection(text).score >= DEFAULT_THRESHOLD ? hits : misses).push(text);
  return { flagged: hits.length, total: texts.length, misses, hits };
}

function report(label: string, groups: Record<string, string[]>, show: "misses" | "hits") {
  let flagged = 0;
  let total = 0;
  for (const [category, texts] of Object.entries(groups)) {
    const result = rate(texts);
    flagged += result.flagged;
    total += result.total;
    console.log(`${label} ${category}: ${result.flagged}/${result.total} flagged (${(result.flagged / result.total).toFixed(3)})`);
    for (const text of result[show])
      console.log(
        `  ${show === "misses" ? "missed" : "false positive"} (${scoreInjection(text).score}): ${JSON.stringify(text).slice(0, 160)}`,
      );
  }
  console.log(`${label} overall: ${flagged}/${total} = ${(flagged / total).toFixed(3)}`);
  return { flagged, total };
}

describe("labelled corpus at the default threshold", () => {
  it("has at least 200 attacks and 200 ordinary prompts", () => {
    expect(Object.values(ATTACKS).flat().length).toBeGreaterThanOrEqual(200);
    expect(Object.values(ORDINARY).flat().length).toBeGreaterThanOrEqual(200);
  });

  it("flags at least 80% of the attacks (true-positive rate)", () => {
    const { flagged, total } = report("TPR", ATTACKS, "misses");
    expect(flagged / total).toBeGreaterThanOrEqual(0.8);
  });

  it("flags at most 5% of the ordinary prompts (false-positive rate)", () => {
    const { flagged, total } = report("FPR", ORDINARY, "hits");
    expect(flagged / total).toBeLessThanOrEqual(0.05);
  });
});
