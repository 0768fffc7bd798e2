import { describe, expect, it } from "vitest";
import { secretWeakness } from "./secret-strength";

/** `count` bytes from the platform's CSPRNG, as `openssl rand` gives them. */
const randomBytes = (count: number) => crypto.getRandomValues(new Uint8Array(count));
const base64 = (bytes: Uint8Array) => btoa(String.fromCharCode(...bytes));
const base64url = (bytes: Uint8Array) => base64(bytes).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
const hex = (bytes: Uint8Array) => [...bytes].map((byte) => byte.toString(16).padStart(2, "0")).join("");

describe("the entropy estimate: length × log2(the smallest standard alphabet)", () => {
  it.each([
    ["22 base64url characters", "kX3_pQ9-rT2vW8yZ1aB4cD", 132],
    ["21 base64url characters", "kX3_pQ9-rT2vW8yZ1aB4c", undefined],
    ["32 lower-case hex digits", "9f86d081884c7d659a2feaa0c55ad015", 128],
    ["31 hex digits", "9f86d081884c7d659a2feaa0c55ad01", undefined],
    ["32 upper-case hex digits", "9F86D081884C7D659A2FEAA0C55AD015", 128],
    ["20 printable ASCII characters", "k#3!pQ9-r T2v%W8y Z1", 131],
    ["base64 with its padding, which counts for nothing", "kX3+pQ9/rT2vW8yZ1aB4c==", undefined],
  ])("%s", (_, secret, strongBits) => {
    const weakness = secretWeakness(secret);
    if (strongBits === undefined) expect(weakness).toMatchObject({ reason: "too_short" });
    else expect(weakness, secret).toBeUndefined();
  });

  it("counts decimal digits as 10 symbols, mixed-case hex as base64", () => {
    expect(secretWeakness("31415926535897932384626433832795028841")).toMatchObject({ reason: "too_short", bits: 38 * Math.log2(10) });
    expect(secretWeakness("9f86D081884c7d659a2F")).toMatchObject({ bits: 20 * 6 });
  });

  it("counts a repeated unit once", () => {
    expect(secretWeakness("Pass1word9Pass1word9Pass1word9Pass1word9")).toMatchObject({ reason: "too_short", bits: 10 * 6 });
    expect(secretWeakness("a".repeat(64))).toMatchObject({ reason: "too_short", bits: 4 });
    // A unit that does not repeat at least twice is no repetition.
    expect(secretWeakness("kX3_pQ9-rT2vW8yZ1aB4cDkX3_pQ9")).toBeUndefined();
  });

  it.each([
    ["few distinct characters", `${"a".repeat(30)}bcdefg`],
    ["a run of neighbouring characters", "abcdefghijklmnopqrstuvwxyz"],
    ["a run of digits and letters", "0123456789ABCDEFGHIJKLMNOP"],
  ])("refuses %s as repetitive whatever its length", (_, secret) => {
    expect(secretWeakness(secret)).toMatchObject({ reason: "repetitive" });
  });

  it("the old test token was weak", () => {
    expect(secretWeakness("test-admin-token")).toEqual({ reason: "too_short", bits: 16 * 6 });
  });

  it.each([
    ["openssl rand -base64 32", () => base64(randomBytes(32))],
    ["openssl rand -base64 16 (exactly 128 bits)", () => base64(randomBytes(16))],
    ["openssl rand -hex 16", () => hex(randomBytes(16))],
    ["npm run dev: 32 bytes base64url", () => base64url(randomBytes(32))],
    ["the e2e harness: 24 bytes base64url", () => base64url(randomBytes(24))],
    ["the bench and isolate harness: 24 bytes hex", () => hex(randomBytes(24))],
  ])("accepts what %s generates, every time", (_, generate) => {
    for (let i = 0; i < 2000; i++) {
      const secret = generate();
      expect(secretWeakness(secret), secret).toBeUndefined();
    }
  });
});
