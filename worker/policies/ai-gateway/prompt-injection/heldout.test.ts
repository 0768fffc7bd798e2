import { describe, expect, it } from "vitest";
import { HELDOUT_ATTACKS, HELDOUT_ORDINARY, half, type Half } from "./heldout.test-data";
import { HELDOUT2_ATTACKS, HELDOUT2_ORDINARY } from "./heldout2.test-data";
import { HELDOUT3_ATTACKS, HELDOUT3_ORDINARY } from "./heldout3.test-data";
import { measure } from "./rates.test-helper";

// The held-out corpora's rates, per half and per category:
// `npx vitest run worker/policies/ai-gateway/prompt-injection --reporter verbose`.
// Misses and false positives are printed for the tuning halves only: the held-out halves stay unread.

// True-positive floors just under, false-positive ceilings just over, what each half scores now,
// to catch a regression; not targets: a held-out half's rate is an estimate, and no rule was
// written for its texts (the targets are asserted on each whole set below).
// heldout and heldout2's held-out halves were released for tuning in session 19, when heldout3
// (written blind that day) took over: only heldout3's held-out half is unread now.
const CORPORA = [
  {
    name: "heldout",
    attacks: HELDOUT_ATTACKS,
    ordinary: HELDOUT_ORDINARY,
    floors: { tuning: 0.95, "held-out": 0.93 },
    ceilings: { tuning: 0.02, "held-out": 0.02 },
  },
  {
    name: "heldout2",
    attacks: HELDOUT2_ATTACKS,
    ordinary: HELDOUT2_ORDINARY,
    floors: { tuning: 0.93, "held-out": 0.9 },
    ceilings: { tuning: 0.02, "held-out": 0.02 },
  },
  {
    name: "heldout3",
    attacks: HELDOUT3_ATTACKS,
    ordinary: HELDOUT3_ORDINARY,
    floors: { tuning: 0.97, "held-out": 0.8 },
    ceilings: { tuning: 0.03, "held-out": 0.03 },
  },
] as const;

describe.each(CORPORA)("held-out corpus $name at the default threshold", ({ name, attacks, ordinary, floors, ceilings }) => {
  it("has at least 120 attacks and 150 ordinary prompts, split into two halves of every category", () => {
    expect(Object.values(attacks).flat().length).toBeGreaterThanOrEqual(120);
    expect(Object.values(ordinary).flat().length).toBeGreaterThanOrEqual(150);
    const sizes = (which: Half) => Object.values(half(attacks, which)).flat().length;
    expect(sizes("tuning") + sizes("held-out")).toBe(Object.values(attacks).flat().length);
    expect(half({ c: ["a", "b", "c"] }, "tuning")).toEqual({ c: ["a", "c"] });
    expect(half({ c: ["a", "b", "c"] }, "held-out")).toEqual({ c: ["b"] });
  });

  it.each(["tuning", "held-out"] as const)("reports the %s half (true-positive floor, false-positive ceiling)", (which) => {
    const tpr = measure(`${name} ${which} TPR`, half(attacks, which), true, which === "tuning");
    const fpr = measure(`${name} ${which} FPR`, half(ordinary, which), false, which === "tuning");
    expect(tpr).toBeGreaterThanOrEqual(floors[which]);
    expect(fpr).toBeLessThanOrEqual(ceilings[which]);
  });

  it("flags at least 80% of all its attacks (true-positive rate)", () => {
    expect(measure(`${name} full TPR`, attacks, true, false)).toBeGreaterThanOrEqual(0.8);
  });

  it("flags at most 5% of all its ordinary prompts (false-positive rate)", () => {
    expect(measure(`${name} full FPR`, ordinary, false, false)).toBeLessThanOrEqual(0.05);
  });
});
