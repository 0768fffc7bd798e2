import { describe, expect, it } from "vitest";
import { HELDOUT_ATTACKS, HELDOUT_ORDINARY, half, type Half } from "./heldout.test-data";
import { DEFAULT_THRESHOLD, scoreInjection } from "./index";

// The held-out corpus's rates, per half and per category:
// `npx vitest run worker/policies/ai-gateway/prompt-injection --reporter verbose`.
// Misses and false positives are printed for the tuning half only: the held-out half stays unread.
function flagged(texts: string[]): string[] {
  return texts.filter((text) => scoreInjection(text).score >= DEFAULT_THRESHOLD);
}

function measure(label: string, groups: Record<string, string[]>, attacks: boolean, show: boolean): number {
  let hits = 0;
  let total = 0;
  for (const [category, texts] of Object.entries(groups)) {
    const found = flagged(texts);
    hits += found.length;
    total += texts.length;
    console.log(`${label} ${category}: ${found.length}/${texts.length}`);
    if (!show) continue;
    const wrong = attacks ? texts.filter((text) => !found.includes(text)) : found;
    for (const text of wrong)
      console.log(`  ${attacks ? "missed" : "false positive"} (${scoreInjection(text).score}): ${JSON.stringify(text).slice(0, 160)}`);
  }
  console.log(`${label} overall: ${hits}/${total} = ${(hits / total).toFixed(3)}`);
  return hits / total;
}

describe("held-out corpus at the default threshold", () => {
  it("has at least 120 attacks and 150 ordinary prompts, split into two halves of every category", () => {
    expect(Object.values(HELDOUT_ATTACKS).flat().length).toBeGreaterThanOrEqual(120);
    expect(Object.values(HELDOUT_ORDINARY).flat().length).toBeGreaterThanOrEqual(150);
    const sizes = (which: Half) => Object.values(half(HELDOUT_ATTACKS, which)).flat().length;
    expect(sizes("tuning") + sizes("held-out")).toBe(Object.values(HELDOUT_ATTACKS).flat().length);
    expect(half({ c: ["a", "b", "c"] }, "tuning")).toEqual({ c: ["a", "c"] });
    expect(half({ c: ["a", "b", "c"] }, "held-out")).toEqual({ c: ["b"] });
  });

  // Floors just under what each half scores now, to catch a regression; not targets: the
  // held-out half's rate is an estimate, and no rule was written for its texts.
  it.each([
    ["tuning", 0.9],
    ["held-out", 0.65],
  ] as const)("reports the %s half (true-positive floor %s, false-positive ceiling 0.05)", (which, floor) => {
    const tpr = measure(`${which} TPR`, half(HELDOUT_ATTACKS, which), true, which === "tuning");
    const fpr = measure(`${which} FPR`, half(HELDOUT_ORDINARY, which), false, which === "tuning");
    expect(tpr).toBeGreaterThanOrEqual(floor);
    expect(fpr).toBeLessThanOrEqual(0.05);
  });

  it("flags at least 80% of all its attacks (true-positive rate)", () => {
    expect(measure("full TPR", HELDOUT_ATTACKS, true, false)).toBeGreaterThanOrEqual(0.8);
  });

  it("flags at most 5% of all its ordinary prompts (false-positive rate)", () => {
    expect(measure("full FPR", HELDOUT_ORDINARY, false, false)).toBeLessThanOrEqual(0.05);
  });
});
