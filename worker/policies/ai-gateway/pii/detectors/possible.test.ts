import { describe, expect, it } from "vitest";
import { PII_CORPUS, PII_NEGATIVES } from "../corpus.test-data";
import { normalizeForDetection } from "../normalize";
import type { Candidate } from "../types";
import { findCards } from "./card";
import { findIbans } from "./iban";
import { findIpAddresses } from "./ip";
import { findPhones } from "./phone";
import { possibleFindings, type PossibleFindings } from "./possible";
import { LABELLED_VALUE, LABEL_WORD, findSecrets } from "./secret";
import { requiredLiterals } from "../../prompt-injection/literals";
import { findSsns } from "./ssn";
import { seeded } from "../../seeded.test-helper";

/** Each gated detector run without its gate, and the gate that lets it run. */
const GATED: [name: keyof PossibleFindings, find: (text: string) => Candidate[]][] = [
  ["iban", findIbans],
  ["card", findCards],
  ["ssn", findSsns],
  ["phone", findPhones],
  ["ip", findIpAddresses],
  // The secret detector's two gated patterns: what each finds beyond the labelled values.
  [
    "providerKey",
    (text) => beyond(findSecrets(text, { providerKey: true, token: false }), findSecrets(text, { providerKey: false, token: false })),
  ],
  [
    "token",
    (text) => beyond(findSecrets(text, { providerKey: false, token: true }), findSecrets(text, { providerKey: false, token: false })),
  ],
];

const beyond = (found: Candidate[], base: Candidate[]) =>
  found.filter((candidate) => !base.some((other) => other.start === candidate.start && other.end === candidate.end));

/** The corpus texts without their marks ("⟦TYPE:value⟧" → "value"). */
const CORPUS_TEXTS = [...PII_CORPUS, ...PII_NEGATIVES].map((marked) => marked.replace(/⟦[A-Z_]+:([^⟧]*)⟧/g, "$1"));

/**
 * Texts near the gates' edges: strings of the characters the detectors' patterns are made of
 * (digits, separators, hex letters, token symbols), and the corpus texts with characters
 * dropped, doubled or replaced by separators.
 */
function randomTexts(): string[] {
  const random = seeded(11);
  const alphabet = "0123456789012345678901234567890123456789 -.()/+:_=aAbBcCdDeEfFgGkKxXyYzZ@\n";
  const texts: string[] = [];
  for (let count = 0; count < 6000; count++) {
    const length = 4 + random(60);
    let text = "";
    for (let index = 0; index < length; index++) text += alphabet[random(alphabet.length)];
    texts.push(text);
  }
  for (const text of CORPUS_TEXTS) {
    for (let copy = 0; copy < 8; copy++) {
      let changed = "";
      for (const char of text) {
        const roll = random(20);
        changed += roll === 0 ? "" : roll === 1 ? char + char : roll === 2 ? " -./:"[random(5)] : char;
      }
      texts.push(changed);
    }
  }
  return texts;
}

describe("possibleFindings", () => {
  it("says a detector may find something wherever it does, on the corpora and 10,000 changed and random texts", () => {
    const texts = [...CORPUS_TEXTS, ...randomTexts()].map((text) => normalizeForDetection(text).text);
    const missed: string[] = [];
    const found = new Map(GATED.map(([name]) => [name, 0]));
    for (const text of texts) {
      const possible = possibleFindings(text);
      for (const [name, find] of GATED) {
        if (find(text).length === 0) continue;
        found.set(name, found.get(name)! + 1);
        if (!possible[name]) missed.push(`${name}: ${JSON.stringify(text)}`);
      }
    }
    expect(missed).toEqual([]);
    // The check means something only if each detector found things in many of the texts.
    for (const [name, count] of found) expect(count, name).toBeGreaterThan(20);
  });

  it("rules out the detectors a prose prompt gives nothing to", () => {
    const prose =
      "Could you send any update to my work address, or text me later? The 30-day window starts on the 19th; it costs 4.95. " +
      "I don't always see the app's notifications, responsibilities or internationally.";
    expect(possibleFindings(prose)).toEqual({
      iban: false,
      card: false,
      ssn: false,
      phone: false,
      ip: false,
      providerKey: false,
      token: false,
    });
  });

  it("lets each detector run on the shortest run its pattern needs, and not on one character less", () => {
    const cases: [keyof PossibleFindings, string, string][] = [
      ["card", "4111 1111 1111 1", "4111 1111 1111"],
      ["ssn", "123-45-6789", "123-45-678"],
      ["ssn", "123 45 6789", "123  45 6789"],
      ["phone", "0 (12)3", "0 (1)3"],
      ["ip", "1.2.3.4", "1.2.3."],
      ["ip", "fe80::1", "fe80:1"],
      ["providerKey", "eyJa.eyJb.cc", "eyJa.eyJb.c"],
      ["providerKey", "notificationS", "notifications"],
      ["providerKey", "notification_", "notification"],
      ["token", "aB3".repeat(6) + "+/", "aB3".repeat(6) + "+"],
      ["iban", "DE89", "D89"],
    ];
    for (const [name, enough, short] of cases) {
      expect(possibleFindings(`see ${enough} here`)[name], enough).toBe(true);
      expect(possibleFindings(`see ${short} here`)[name], short).toBe(false);
    }
  });

  it("finds a label word in every label the secret detector looks for, so a text without one has no labelled value", () => {
    // The literals a match of the labels' pattern cannot do without (read case-sensitively: the
    // pattern's own /i applies to the label words alike).
    const groups = requiredLiterals(new RegExp(LABELLED_VALUE.source, "g"))!;
    const labels = groups.find((group) => group.some((literal) => literal.includes("password")))!;
    expect(labels.length).toBeGreaterThan(20);
    expect(labels.filter((label) => !LABEL_WORD.test(label))).toEqual([]);
  });
});
