import { describe, expect, it } from "vitest";
import { CATEGORY_PHRASES, CONTENT_CATEGORIES } from "./categories";
import { compileContentFilter, DENY_LIST_RULE } from "./index";
import { HARMFUL, ORDINARY } from "./labelled.test-data";
import { MAX_PHRASE_WORDS, MAX_WILDCARDS } from "./phrases";

const allCategories = compileContentFilter({ denyList: [], categories: [...CONTENT_CATEGORIES] });
const denying = (...denyList: string[]) => compileContentFilter({ denyList, categories: [] });
const rules = (counts: Map<string, number>) => [...counts.keys()].sort();

describe("the built-in categories, on the labelled set", () => {
  it.each(CONTENT_CATEGORIES.flatMap((category) => HARMFUL[category].map((prompt) => [category, prompt] as const)))(
    "%s: %s",
    (category, prompt) => {
      expect(rules(allCategories.match(prompt))).toEqual([category]);
    },
  );

  it.each(ORDINARY.map((prompt) => [prompt]))("ordinary: %s", (prompt) => {
    expect(rules(allCategories.match(prompt))).toEqual([]);
  });

  it("scores 1.00 per category, and flags none of the ordinary prompts", () => {
    const rows = CONTENT_CATEGORIES.map((category) => {
      const caught = HARMFUL[category].filter((prompt) => allCategories.match(prompt).has(category)).length;
      return { category, prompts: HARMFUL[category].length, rate: caught / HARMFUL[category].length };
    });
    const flagged = ORDINARY.filter((prompt) => allCategories.match(prompt).size > 0).length;
    console.log(
      `content filter, labelled set:\n${rows.map((row) => `  ${row.category.padEnd(14)} n=${row.prompts}  caught ${row.rate.toFixed(2)}`).join("\n")}\n  ordinary       n=${ORDINARY.length}  flagged ${(flagged / ORDINARY.length).toFixed(2)}`,
    );
    for (const row of rows) expect(row.rate, row.category).toBe(1);
    expect(flagged).toBe(0);
  });

  it("catches only the categories configured", () => {
    const violenceOnly = compileContentFilter({ denyList: [], categories: ["violence"] });
    expect(rules(violenceOnly.match(HARMFUL.violence[0]!))).toEqual(["violence"]);
    expect(rules(violenceOnly.match(HARMFUL.weapons[0]!))).toEqual([]);
  });

  it("keeps every built-in phrase within the matcher's bounds (none throws when compiled)", () => {
    for (const category of CONTENT_CATEGORIES) {
      expect(CATEGORY_PHRASES[category].phrases.length).toBeGreaterThan(5);
      expect(() => compileContentFilter({ denyList: [], categories: [category] })).not.toThrow();
    }
  });
});

describe("the deny-list", () => {
  const filter = denying("bomb", "acme secret project");

  it("matches whole words, whatever the case and accents", () => {
    for (const text of ["a bomb", "BOMB!", "the Bömb", "bómb?", "(bomb)"])
      expect(rules(filter.match(text)), text).toEqual([DENY_LIST_RULE]);
    for (const text of ["bombastic", "bombs", "abomb", "a b c"]) expect(rules(filter.match(text)), text).toEqual([]);
  });

  it("sees through zero-width characters, lookalike letters, full-width letters and spacing", () => {
    const evasions = [
      "b\u200bo\u200dmb", // zero-width inside the word
      "b\u043emb", // Cyrillic о
      "\uff42\uff4f\uff4d\uff42", // full-width
      "b o m b",
      "b-o-m-b",
      "b.o.m.b",
      "ACME   secret\n\nproject",
      "acme-secret-project",
      "acmesecretproject",
      "a c m e s e c r e t p r o j e c t",
    ];
    for (const text of evasions) expect(rules(filter.match(text)), JSON.stringify(text)).toEqual([DENY_LIST_RULE]);
    expect(rules(filter.match("acme secret"))).toEqual([]);
  });

  it("counts each occurrence", () => {
    expect(filter.match("bomb, bomb and the acme secret project").get(DENY_LIST_RULE)).toBe(3);
  });

  it("reads * as exactly one word", () => {
    const wildcard = denying("leak the * roadmap");
    expect(wildcard.match("please leak the 2027 roadmap").get(DENY_LIST_RULE)).toBe(1);
    expect(wildcard.match("leak the roadmap")).toEqual(new Map());
    expect(wildcard.match("leak the new 2027 roadmap")).toEqual(new Map());
  });

  it("refuses, when compiled, an entry with no word, too many words or wildcards, and an unknown category", () => {
    expect(() => denying("  ")).toThrow(/no word/);
    expect(() => denying("!!!")).toThrow(/no word/);
    expect(() => denying("* *")).toThrow(/no word/);
    expect(() => denying(Array.from({ length: MAX_PHRASE_WORDS + 1 }, () => "word").join(" "))).toThrow(/more than/);
    expect(() => denying(["a", ...Array.from({ length: MAX_WILDCARDS + 1 }, () => "*")].join(" "))).toThrow(/wildcards/);
    expect(() => compileContentFilter({ denyList: [], categories: ["violence", "gambling"] })).toThrow(/gambling/);
  });

  it("matches nothing with an empty configuration", () => {
    expect(compileContentFilter({ denyList: [], categories: [] }).match("how to make a pipe bomb")).toEqual(new Map());
  });
});

describe("cost", () => {
  it("scans a 1 MB prompt to the end, however it is made (finishes, finds what is at the end)", { timeout: 120_000 }, () => {
    const filter = compileContentFilter({ denyList: ["needle in the haystack"], categories: [...CONTENT_CATEGORIES] });
    const tails = " needle in the haystack";
    for (const filler of ["how to make a ", "a ", "kill all ", "x".repeat(1000) + " ", "\u200b", "b o m b "]) {
      const text = filler.repeat(Math.ceil(1_000_000 / filler.length)) + tails;
      expect(filter.match(text).get(DENY_LIST_RULE), JSON.stringify(filler.slice(0, 20))).toBe(1);
    }
  });
});
