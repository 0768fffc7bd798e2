import { describe, expect, it } from "vitest";
import { estimateTextTokens, estimateTokens } from "./token-estimate";

describe("estimateTextTokens", () => {
  it.each([
    ["", 0],
    ["The quick brown fox jumps over the lazy dog.", 13],
    ["camelCaseName", 4],
    ["HTTPServer", 3],
    ["1234567", 3],
    ["a  b", 3],
    ["\n\n\n\n\n", 2],
    ["https://x.io", 8],
    ["日本語のテキスト", 8],
    ["Привет", 6],
    ["😀", 2],
    ["café", 2],
  ])("%j is %i", (text, tokens) => expect(estimateTextTokens(text)).toBe(tokens));

  it("is at least the count cl100k gives for known strings", () => {
    // Counts from OpenAI's tokenizer (cl100k_base) for these strings.
    expect(estimateTextTokens("Hello world")).toBeGreaterThanOrEqual(2);
    expect(estimateTextTokens("The quick brown fox jumps over the lazy dog.")).toBeGreaterThanOrEqual(10);
    expect(estimateTextTokens("tiktoken is great!")).toBeGreaterThanOrEqual(6);
  });

  it("counts above bytes/4 for English prose and code", () => {
    const prose = "Large language models read text as tokens, pieces of words that a tokenizer learned from data. ".repeat(10);
    const code = "function add(a, b) {\n  return a + b;\n}\nconsole.log(add(1, 2));\n".repeat(10);
    for (const text of [prose, code])
      expect(estimateTextTokens(text)).toBeGreaterThan(Math.ceil(new TextEncoder().encode(text).length / 4));
  });

  it("scans a megabyte in one pass", () => {
    expect(estimateTextTokens("a ".repeat(500_000))).toBe(500_000);
    expect(estimateTextTokens("x".repeat(1_000_000))).toBe(250_000);
  });
});

describe("estimateTokens", () => {
  it("adds 4 per text and 3 per request; takes strings or slots", () => {
    expect(estimateTokens([])).toBe(3);
    expect(estimateTokens([""])).toBe(7);
    expect(estimateTokens(["hi", { text: "hi" }])).toBe(3 + 2 * (4 + 1));
  });
});
