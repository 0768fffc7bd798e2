import { describe, expect, it } from "vitest";
import { requiredLiterals } from "./literals";

describe("requiredLiterals", () => {
  it("multiplies out small alternatives into whole phrases", () => {
    expect(requiredLiterals(/\b(?:ignore|forget) (?:all )?rules\b/g)).toEqual([
      ["ignore all rules", "ignore rules", "forget all rules", "forget rules"],
    ]);
  });

  it("requires each piece around what it cannot enumerate, most telling first", () => {
    expect(requiredLiterals(/\bignore\W{1,6}(?:all )?rules\b/g)).toEqual([["ignore"], ["all rules", "rules"]]);
    expect(requiredLiterals(/x.*y/)).toEqual([["x"], ["y"]]);
    // The group's strings are not just "b" ("zab" matches): "z" and "b" must not be joined.
    expect(requiredLiterals(/z(?:a?.*b)/)).toEqual([["z"], ["b"]]);
    expect(requiredLiterals(/reveal[^a-z]{1,6}the\w+prompt/)).toEqual([["reveal"], ["prompt"], ["the"]]);
  });

  it("ORs the requirements of alternatives", () => {
    expect(requiredLiterals(/(?:ab.*cd|ef)/)).toEqual([
      ["ab", "ef"],
      ["cd", "ef"],
    ]);
  });

  it("requires nothing when a branch or the whole may match without a literal", () => {
    expect(requiredLiterals(/abc|\w+/)).toBeUndefined();
    expect(requiredLiterals(/(?:abc)?/)).toBeUndefined();
    expect(requiredLiterals(/a*/)).toBeUndefined();
    expect(requiredLiterals(/abc|/)).toBeUndefined();
    expect(requiredLiterals(/\bdef\B/)).toEqual([["def"]]);
  });

  it("treats lookarounds, anchors and word boundaries as adding no character", () => {
    expect(requiredLiterals(/^(?<!no )yes(?= sir)$/m)).toEqual([["yes"]]);
  });

  it("keeps one repetition of a repeated piece", () => {
    expect(requiredLiterals(/(?:ab){2,3}c+/)).toEqual([["ab"], ["c"]]);
  });

  it("enumerates small classes, gives up on large or negated ones", () => {
    expect(requiredLiterals(/[ab]c/)).toEqual([["ac", "bc"]]);
    expect(requiredLiterals(/[a-c]x/)).toEqual([["ax", "bx", "cx"]]);
    expect(requiredLiterals(/[^a]bc/)).toEqual([["bc"]]);
    expect(requiredLiterals(/[a-z]x/)).toEqual([["x"]]);
    expect(requiredLiterals(/[\w]x/)).toEqual([["x"]]);
  });

  it("reads escapes as the characters they stand for", () => {
    expect(requiredLiterals(/\.\/\x41\u0042\n/)).toEqual([["./AB\n"]]);
    expect(requiredLiterals(/\u{1F600}x/u)).toEqual([["\u{1F600}x"]]);
    expect(requiredLiterals(/😀?x/u)).toEqual([["😀x", "x"]]);
  });

  it("gives up on what it does not analyse: case-insensitive flag, back-references", () => {
    expect(requiredLiterals(/abc/i)).toBeUndefined();
    expect(requiredLiterals(/(a)\1/)).toBeUndefined();
    expect(requiredLiterals(/\cJ/)).toBeUndefined();
  });

  it("is sound on random regexes: every match contains a literal of every group", () => {
    // A seeded generator of regexes over "abc " with every construct the analysis handles.
    let seed = 42;
    const random = (n: number) => {
      seed = (Math.imul(seed, 1103515245) + 12345) >>> 0;
      return (seed >>> 8) % n;
    };
    const atoms = ["a", "b", "c", " ", "ab", "abc", ".", "[ab]", "[^a]", "[a-c]", "\\w", "\\s", "\\b", "\\B", "^", "$"];
    const regex = (depth: number): string => {
      const parts: string[] = [];
      for (let count = 1 + random(4); count > 0; count--) {
        let part = depth > 0 && random(3) === 0 ? `(?:${regex(depth - 1)}|${regex(depth - 1)})` : atoms[random(atoms.length)]!;
        if (depth > 0 && random(8) === 0) part = [`(?=${regex(0)})`, `(?!${regex(0)})`, `(?<=${regex(0)})`, `(?<!${regex(0)})`][random(4)]!;
        else if (!/^(?:\\[bB]|\^|\$)$/.test(part) && random(3) === 0) part += ["?", "*", "+", "{1,2}", "{0,2}", "{2}", "??"][random(7)];
        parts.push(part);
      }
      return parts.join("");
    };
    let checked = 0;
    for (let round = 0; round < 1500; round++) {
      const source = regex(2);
      const pattern = new RegExp(source, "g");
      const groups = requiredLiterals(pattern);
      if (groups === undefined) continue;
      for (let sample = 0; sample < 60; sample++) {
        let text = "";
        for (let length = random(10); length > 0; length--) text += "abc "[random(4)];
        for (const match of text.matchAll(pattern)) {
          checked++;
          for (const group of groups)
            expect(
              group.some((literal) => match[0].includes(literal)),
              `${source} on ${JSON.stringify(match[0])}`,
            ).toBe(true);
        }
      }
    }
    expect(checked).toBeGreaterThan(1000);
  });
});
