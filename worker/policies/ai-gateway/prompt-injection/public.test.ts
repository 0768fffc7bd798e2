import { describe, expect, it } from "vitest";
import { half, type Half } from "./heldout.test-data";
import { PUBLIC_ATTACKS, PUBLIC_ORDINARY } from "./public.test-data";
import { measure } from "./rates.test-helper";

// The public sets' rates, per half and per source:
// `npx vitest run worker/policies/ai-gateway/prompt-injection/public.test.ts --reporter verbose`.
// As for the held-out corpora, only the tuning half's misses are printed.

// Floors just under, ceilings just over, what each half scores now: a regression check, not the
// issue's targets, which these sets (written by others, for other systems: deepset's attacks
// include hijacks of a news bot's topic with no injection phrase at all) are not held to.
const FLOORS: Record<Half, number> = { tuning: 0.75, "held-out": 0.6 };
const CEILINGS: Record<Half, number> = { tuning: 0.01, "held-out": 0.02 };

describe("public prompt-injection sets at the default threshold", () => {
  it("holds at least 250 attacks and 140 ordinary prompts", () => {
    expect(Object.values(PUBLIC_ATTACKS).flat().length).toBeGreaterThanOrEqual(250);
    expect(Object.values(PUBLIC_ORDINARY).flat().length).toBeGreaterThanOrEqual(140);
  });

  it.each(["tuning", "held-out"] as const)("reports the %s half (true-positive floor, false-positive ceiling)", (which) => {
    const tpr = measure(`public ${which} TPR`, half(PUBLIC_ATTACKS, which), true, which === "tuning");
    const fpr = measure(`public ${which} FPR`, half(PUBLIC_ORDINARY, which), false, which === "tuning");
    expect(tpr).toBeGreaterThanOrEqual(FLOORS[which]);
    expect(fpr).toBeLessThanOrEqual(CEILINGS[which]);
  });
});
