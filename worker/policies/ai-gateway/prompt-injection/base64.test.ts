import { describe, expect, it } from "vitest";
import { base64Runs } from "./base64";

describe("base64Runs", () => {
  it("finds exactly what /[A-Za-z0-9+/_-]{16,}={0,2}/g matches", () => {
    // Random texts of base64 characters, padding and separators, with runs around 16 long.
    let seed = 3;
    const random = (n: number) => {
      seed = (Math.imul(seed, 1103515245) + 12345) >>> 0;
      return (seed >>> 8) % n;
    };
    const pieces = ["aWdub3JlIGFsbCBw", "QUJD", "x", "-_+/", "=", "==", "===", " ", ".", "\n", "é", "9"];
    let runs = 0;
    for (let round = 0; round < 2000; round++) {
      let text = "";
      for (let count = random(12); count > 0; count--) text += pieces[random(pieces.length)];
      const expected = [...text.matchAll(/[A-Za-z0-9+/_-]{16,}={0,2}/g)].map((match) => match[0]);
      expect([...base64Runs(text)], JSON.stringify(text)).toEqual(expected);
      runs += expected.length;
    }
    expect(runs).toBeGreaterThan(500);
  });
});
