import { describe, expect, it } from "vitest";
import { PiiStreamMasker, detectPii, maskText } from "./index";

const MB = 1024 * 1024;
const fill = (unit: string) => unit.repeat(Math.ceil(MB / unit.length)).slice(0, MB);

/**
 * 1 MB texts built to make a backtracking or quadratic scan blow up. Each must simply complete
 * (the detectors are linear: anchored scans, bounded quantifiers that start only at a token's
 * start); no assertion on time, but a quadratic detector would not finish within the test's limit.
 */
const ADVERSARIAL: Record<string, string> = {
  digits: fill("7"),
  "spaced digits": fill("4 "),
  "dashed digits": fill("12-"),
  "dotted digits": fill("1."),
  "at signs": fill("@"),
  "local parts and at signs": fill("a@"),
  "almost e-mails": fill("a.b@c."),
  "pluses and digits": fill("+1"),
  "parenthesised digits": fill("(1) "),
  colons: fill(":"),
  "hex and colons": fill("a:"),
  "one long letter run": fill("x"),
  "one long random-looking token": fill("Xk9pQ2mN7vB4cR8tY1wZ5hL3jF6dG0sA"),
  "JWT heads": fill("eyJ"),
  "JWT heads and dots": fill("eyJa."),
  "key prefixes": fill("sk-"),
  "IBAN heads": fill("DE89 "),
  "PEM openings": fill("-----BEGIN PRIVATE KEY-----"),
  "labels without values": fill("password: "),
  "full-width digits": fill("４"),
  "zero-width characters": fill("\u200b"),
  "digits and zero-width characters": fill("1\u200b"),
  "uppercase run then lowercase": `${"A".repeat(MB - 1)}b`,
};

describe("adversarial input sizes", () => {
  it.each(Object.keys(ADVERSARIAL))("detects and masks 1 MB of %s", { timeout: 120_000 }, (name) => {
    const text = ADVERSARIAL[name]!;
    const findings = detectPii(text);
    for (let i = 1; i < findings.length; i++) expect(findings[i]!.start).toBeGreaterThanOrEqual(findings[i - 1]!.end);
    expect(typeof maskText(text, findings)).toBe("string");
  });

  it("streams 1 MB of digits in small chunks", { timeout: 120_000 }, () => {
    const masker = new PiiStreamMasker();
    let length = 0;
    const text = ADVERSARIAL["spaced digits"]!;
    for (let i = 0; i < text.length; i += 100) length += masker.push(text.slice(i, i + 100)).length;
    length += masker.flush().length;
    expect(length).toBeGreaterThan(0);
  });
});
