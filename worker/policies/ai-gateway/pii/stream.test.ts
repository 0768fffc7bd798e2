import { describe, expect, it } from "vitest";
import { HOLD_BACK, MAX_PENDING, PiiStreamMasker, detectPii, maskText, type PiiType } from "./index";

/** Streams `text` through a masker in the given chunk sizes (cycled) and joins what it emits. */
function streamed(text: string, sizes: readonly number[], types?: readonly PiiType[]): { out: string; pieces: string[] } {
  const masker = new PiiStreamMasker(types);
  const pieces: string[] = [];
  for (let i = 0, n = 0; i < text.length; n++) {
    const size = sizes[n % sizes.length]!;
    pieces.push(masker.push(text.slice(i, i + size)));
    i += size;
  }
  pieces.push(masker.flush());
  return { out: pieces.join(""), pieces };
}

const wholeMasked = (text: string) => maskText(text, detectPii(text));

const SAMPLE =
  "Dear support, I'm Jane (jane.doe@example.com, +44 20 7946 0958). Please refund card 4111 1111 1111 1111 " +
  "to IBAN DE89 3704 0044 0532 0130 00. My SSN is 536-22-8726 and I logged in from 203.0.113.45 and 2001:db8::1. " +
  "The key I pasted by mistake: sk-proj-Ab3dE5gH7jK9mN1pQ3rS5tU7vW9xY1zA3bC5dE7f. Thanks!";

describe("PiiStreamMasker", () => {
  it("emits, chunk by chunk, what masking the whole text gives, wherever the chunks split", () => {
    const long = `${"Some ordinary words in between. ".repeat(12)}${SAMPLE} ${"More words. ".repeat(30)}${SAMPLE}`;
    const expected = wholeMasked(long);
    for (const sizes of [[1], [2], [3], [7], [16], [64], [333], [1, 50, 5, 200], [long.length]]) {
      expect(streamed(long, sizes).out, `chunks of ${sizes.join(",")}`).toBe(expected);
    }
  });

  it("masks a finding split across two chunks at every split point", () => {
    const text = `${"x ".repeat(200)}call +44 20 7946 0958 or mail jane.doe@example.com about 4111 1111 1111 1111 ${"y ".repeat(200)}`;
    const expected = wholeMasked(text);
    for (let split = 390; split < 470; split++) {
      const masker = new PiiStreamMasker();
      const out = masker.push(text.slice(0, split)) + masker.push(text.slice(split)) + masker.flush();
      expect(out, `split at ${split}`).toBe(expected);
    }
  });

  it("holds back the last HOLD_BACK characters, and emits the rest as it goes", () => {
    const masker = new PiiStreamMasker();
    expect(masker.push("a ".repeat(HOLD_BACK / 2))).toBe("");
    const emitted = masker.push("b ".repeat(100));
    expect(emitted).toBe("a ".repeat(100));
    expect(masker.flush()).toBe("a ".repeat(HOLD_BACK / 2 - 100) + "b ".repeat(100));
  });

  it("never lets out the head of a long token (a JWT) before its end has arrived", () => {
    const jwt = `eyJhbGciOiJIUzI1NiJ9.eyJ${"a".repeat(1500)}In0.${"SflKxwRJSMeKKF2QT4fwpMeJf36POk6y".repeat(3)}`;
    const text = `${"word ".repeat(100)}Bearer ${jwt} done`;
    const { out, pieces } = streamed(text, [50]);
    expect(out).toBe(wholeMasked(text));
    expect(out).toContain("Bearer [SECRET] done");
    expect(pieces.join("")).not.toContain("eyJhbGci");
  });

  it("does not hold more than MAX_PENDING characters of one unbroken run", () => {
    const masker = new PiiStreamMasker();
    let emitted = "";
    for (let i = 0; i < 40; i++) emitted += masker.push("z".repeat(1000));
    expect(emitted.length).toBeGreaterThanOrEqual(40_000 - MAX_PENDING);
    expect(emitted + masker.flush()).toBe("z".repeat(40_000));
  });

  it("keeps the labels before the held tail as context", () => {
    const text = `${"filler ".repeat(60)}SSN: 536228726 end`;
    const cut = text.indexOf("536228726");
    const masker = new PiiStreamMasker();
    const out = masker.push(text.slice(0, cut)) + masker.push(text.slice(cut)) + masker.flush();
    expect(out.endsWith("SSN: [US_SSN] end")).toBe(true);
  });

  it("masks only the types asked for and counts what it masked", () => {
    const masker = new PiiStreamMasker(["EMAIL"]);
    const out = masker.push(SAMPLE.slice(0, 100)) + masker.push(SAMPLE.slice(100)) + masker.flush();
    expect(out).toContain("[EMAIL]");
    expect(out).toContain("4111 1111 1111 1111");
    expect(masker.countsByType()).toEqual({ EMAIL: 1 });
    const all = new PiiStreamMasker();
    all.push(SAMPLE);
    all.flush();
    expect(all.countsByType()).toEqual({ EMAIL: 1, PHONE: 1, CREDIT_CARD: 1, IBAN: 1, US_SSN: 1, IP_ADDRESS: 2, SECRET: 1 });
  });

  it("handles an empty stream and empty chunks", () => {
    const masker = new PiiStreamMasker();
    expect(masker.push("")).toBe("");
    expect(masker.flush()).toBe("");
  });
});
