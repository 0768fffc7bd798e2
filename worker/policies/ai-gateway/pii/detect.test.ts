import { describe, expect, it } from "vitest";
import { PII_TYPES, countByType, detectPii, maskText, type PiiType } from "./index";

/** The text with its findings masked: how most expectations read best. */
const masked = (text: string, types?: readonly PiiType[]) => maskText(text, detectPii(text, types));
const typesIn = (text: string) => detectPii(text).map((finding) => finding.type);

describe("detectPii: e-mail addresses", () => {
  it("finds addresses with subdomains, plus tags, apostrophes and non-ASCII letters", () => {
    expect(masked("a jane.doe+tag@mail.example.co.uk b")).toBe("a [EMAIL] b");
    expect(masked("o'brien@example.ie, müller@beispiel.de")).toBe("[EMAIL], [EMAIL]");
  });
  it("leaves out the sentence's final dot and surrounding punctuation", () => {
    expect(masked("Write to (sam@example.com).")).toBe("Write to ([EMAIL]).");
  });
  it("needs a domain with a top-level label of letters", () => {
    expect(typesIn("john@doe, react@18.2.0, @mention, a@b.c1")).toEqual([]);
  });
  it("does not take retina image names for addresses", () => {
    expect(typesIn("icon@2x.png logo@3x.webp")).toEqual([]);
  });
  it("refuses a local part longer than RFC 5321's 64 characters", () => {
    expect(typesIn(`${"a".repeat(65)}@example.com`)).toEqual([]);
    expect(typesIn(`${"a".repeat(64)}@example.com`)).toEqual(["EMAIL"]);
  });
});

describe("detectPii: phone numbers", () => {
  it.each([
    "+44 20 7946 0958",
    "(212) 555-0134",
    "+1-212-555-0134",
    "1-800-555-0199",
    "212.555.0134",
    "020 7946 0958",
    "06 12 34 56 78",
    "+33 1 23 45 67 89",
    "03-1234-5678",
    "(02) 9876 5432",
    "+49 (0)30 1234567",
    "0044 20 7946 0958",
    "+442079460958",
    "(11) 91234-5678",
    "98765 43210",
    "612 34 56 78",
    "138 1234 5678",
    "0171/1234567",
    "089 / 1234567",
  ])("finds %s", (phone) => {
    expect(masked(`number ${phone} here`)).toBe("number [PHONE] here");
  });
  it("finds other digits only after a phone label", () => {
    expect(masked("tel: 5551234567")).toBe("tel: [PHONE]");
    expect(typesIn("id 5551234567")).toEqual([]);
  });
  it.each([
    "2024-01-15",
    "15.01.2024",
    "ORD-2024-000123",
    "10.0.19045",
    "1 250 000",
    "$ 1 234 567",
    "ISBN 0-306-40615-2",
    "1700000000",
    "12.500.000",
    "078-05-1120",
    "01/02/2024",
    "2023/2024",
    "12345/67890",
  ])("does not take %s for a phone number", (text) => {
    expect(typesIn(`see ${text} now`)).toEqual([]);
  });
  it("splits two numbers written one after the other", () => {
    expect(masked("212-555-0134 212-555-0199")).toBe("[PHONE] [PHONE]");
  });
});

describe("detectPii: payment cards", () => {
  it("finds Luhn-valid numbers of an issuer's length, whole or grouped", () => {
    expect(masked("4111 1111 1111 1111 / 5555-5555-5555-4444 / 378282246310005 / 3782 822463 10005")).toBe(
      "[CREDIT_CARD] / [CREDIT_CARD] / [CREDIT_CARD] / [CREDIT_CARD]",
    );
  });
  it("refuses a failing check digit, an unknown issuer, repeated digits and odd layouts", () => {
    expect(typesIn("4111 1111 1111 1112")).toEqual([]);
    expect(typesIn("1234567812345670")).toEqual([]); // Luhn-valid, but no scheme starts with 1
    expect(typesIn("0000 0000 0000 0000")).toEqual([]);
    expect(typesIn("41 11 11 11 11 11 11 11")).toEqual([]);
    expect(typesIn("4111 1111-1111 1111")).toEqual([]);
  });
  it("refuses a number that continues a longer one", () => {
    expect(typesIn("41111111111111110")).toEqual([]);
    expect(typesIn("x-4111111111111111")).toEqual([]);
  });
});

describe("detectPii: US Social Security numbers", () => {
  it("finds dashed and spaced numbers, bare ones only after an SSN label", () => {
    expect(masked("536-22-8726 and 536 22 8726")).toBe("[US_SSN] and [US_SSN]");
    expect(masked("SSN: 536228726")).toBe("SSN: [US_SSN]");
    expect(typesIn("ref 536228726")).toEqual([]);
  });
  it.each(["000-12-3456", "666-12-3456", "900-12-3456", "999-12-3456", "123-00-4567", "123-45-0000", "078-05-1120", "219-09-9999"])(
    "refuses the never-issued %s",
    (ssn) => expect(typesIn(`SSN ${ssn}`)).toEqual([]),
  );
  it("refuses mixed separators", () => {
    expect(typesIn("SSN 536-22 8726")).toEqual([]);
  });
});

describe("detectPii: IBANs", () => {
  it("finds electronic and print formats, in any case", () => {
    expect(masked("GB82WEST12345698765432 or GB82 WEST 1234 5698 7654 32 or gb82west12345698765432")).toBe("[IBAN] or [IBAN] or [IBAN]");
  });
  it("refuses a failing mod-97, a wrong length for the country and an unknown country", () => {
    expect(typesIn("GB83WEST12345698765432")).toEqual([]);
    expect(typesIn("GB82WEST123456987654321")).toEqual([]);
    expect(typesIn("ZZ82WEST12345698765432")).toEqual([]);
  });
  it("refuses groups that are not fours", () => {
    expect(typesIn("GB82 WES T1234 5698 7654 32")).toEqual([]);
  });
  it("finds two IBANs in one run of groups", () => {
    expect(masked("DE89 3704 0044 0532 0130 00 GB82 WEST 1234 5698 7654 32")).toBe("[IBAN] [IBAN]");
  });
});

describe("detectPii: IP addresses", () => {
  it("finds IPv4 and IPv6 (full, compressed, IPv4-mapped)", () => {
    expect(masked("192.168.1.20, 2001:0db8:85a3:0000:0000:8a2e:0370:7334, 2001:db8::1, ::1, ::ffff:192.0.2.128.")).toBe(
      "[IP_ADDRESS], [IP_ADDRESS], [IP_ADDRESS], [IP_ADDRESS], [IP_ADDRESS].",
    );
  });
  it.each([
    "1.2.3.4.5",
    "10.0.1",
    "v1.2.3.4",
    "version 1.2.3.4",
    "256.1.1.1",
    "010.1.1.1",
    "10:30:00",
    "00:1A:2B:3C:4D:5E",
    "dead::beef",
    "std::vector",
    "1:2:3:4:5:6:7",
  ])("does not take %s for an address", (text) => expect(typesIn(`see ${text} now`)).toEqual([]));
});

describe("detectPii: secrets", () => {
  it.each([
    "sk-proj-Ab3dE5gH7jK9mN1pQ3rS5tU7vW9xY1zA3bC5dE7f",
    "sk-ant-api03-x7Yb2Kp9Qm4Rt8Vw1Zc6Hn3Jd5Lf0Gs2Ae7",
    "AKIAIOSFODNN7EXAMPLE",
    "ghp_A1b2C3d4E5f6G7h8I9j0K1l2M3n4O5p6Q7r8",
    "github_pat_11ABCDEFG0123456789_abcdefghijklmnop",
    "xoxb-2048-4096-8192abcdefGhij",
    "sk_live_51HxYz2AbCdEfGhIjKlMnOpQr",
    "rk_live_9aBcD8eFgH7iJkL6mNoP5qRs",
    "AIzaSyD-9tSrke72PouQMnMX-a7eZSW0jkFMBWY",
    "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxIn0.SflKxwRJSMeKKF2QT4fwpMeJf36POk6y",
    "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY",
    "Xk9pQ2mN7vB4cR8tY1wZ5hL3jF6dG0sA",
  ])("finds %s", (secret) => expect(masked(`x ${secret} y`)).toBe("x [SECRET] y"));
  it("finds a labelled value of two character classes, not a labelled word", () => {
    expect(masked("password: hunter22")).toBe("password: [SECRET]");
    expect(masked("The token is a1b2c3d4.")).toBe("The token is [SECRET].");
    expect(masked("api_key=a8f5f167f44f4964e6c998dee827110c")).toBe("api_key=[SECRET]");
    expect(typesIn("the password is required")).toEqual([]);
  });
  it("reads labels inside environment variable names, not inside longer words", () => {
    expect(masked("AZURE_STORAGE_KEY=Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6==")).toBe("AZURE_STORAGE_KEY=[SECRET]");
    expect(typesIn("max_tokens=4096, secret_santa_list=alice2")).toEqual([]);
  });
  it("masks a PEM private key block whole", () => {
    const pem = "-----BEGIN RSA PRIVATE KEY-----\nMIIEpAIBAAKCAQEA\n-----END RSA PRIVATE KEY-----";
    expect(masked(`key:\n${pem}\ndone`)).toBe("key:\n[SECRET]\ndone");
  });
  it.each([
    "123e4567-e89b-12d3-a456-426614174000",
    "3f786850e387550fdab836ed7e6dc881de23001b",
    "0x742d35Cc6634C0532925a3b844Bc454e4438f44e",
    "getUserAccountSettingsById2",
    "max_tokens_per_request_limit",
    "src/components/UserProfileCard.tsx",
    "SGVsbG8sIFdvcmxkISBIb3cgYXJlIHlvdT8=",
    "sk-learn-style-package-name",
    "ch_3MmlLrLkdIwHu7ix0snN0B15",
  ])("does not take %s for a secret", (text) => expect(typesIn(`see ${text} now`)).toEqual([]));
});

describe("detectPii: evasion and offsets", () => {
  it("reads full-width and Arabic-Indic or Devanagari digits, NBSP, Unicode dashes and zero-width characters as the plain text", () => {
    expect(masked("card ４１１１ １１１１ １１１１ １１１１!")).toBe("card [CREDIT_CARD]!");
    expect(masked("ssn 536\u201122\u20118726")).toBe("ssn [US_SSN]");
    expect(masked("tel +44\u00a020\u00a07946\u00a00958")).toBe("tel [PHONE]");
    expect(masked("ja\u200bne@exa\u200dmple.com")).toBe("[EMAIL]");
    expect(masked("رقمي ٠٢٠ ٧٩٤٦ ٠٩٥٨")).toBe("رقمي [PHONE]");
    expect(masked("कार्ड ४१११ ११११ ११११ ११११")).toBe("कार्ड [CREDIT_CARD]");
  });
  it("returns offsets of the original text, invisible characters included", () => {
    const text = "a\u200b\u200b 4111\u200b1111\u200b1111\u200b1111 z";
    const [finding] = detectPii(text);
    expect(finding).toEqual({ type: "CREDIT_CARD", start: 4, end: text.length - 2 });
  });
});

describe("detectPii: overlaps, type selection and results", () => {
  it("keeps the finding of the higher precedence when two overlap", () => {
    // An IBAN holds digit runs a phone pattern would take; an e-mail's local part may be digits.
    expect(typesIn("DE89 3704 0044 0532 0130 00")).toEqual(["IBAN"]);
    expect(masked("5551234567@example.com")).toBe("[EMAIL]");
  });
  it("looks only for the types asked for", () => {
    const text = "jane@example.com 4111 1111 1111 1111";
    expect(masked(text, ["CREDIT_CARD"])).toBe("jane@example.com [CREDIT_CARD]");
    expect(detectPii(text, [])).toEqual([]);
  });
  it("returns findings sorted and without values", () => {
    const findings = detectPii("b@example.com 10.0.0.1 a@example.com");
    expect(findings.map((finding) => Object.keys(finding).sort())).toEqual(Array(3).fill(["end", "start", "type"]));
    expect(findings.map((finding) => finding.start)).toEqual([0, 14, 23]);
  });
  it("finds nothing in a text without any", () => {
    expect(detectPii("Summarise the attached meeting notes in three bullet points.")).toEqual([]);
  });
});

describe("maskText and countByType", () => {
  it("replaces each finding with its typed placeholder", () => {
    const text = "mail a@example.com, card 4111111111111111, ip ::1";
    expect(maskText(text, detectPii(text))).toBe("mail [EMAIL], card [CREDIT_CARD], ip [IP_ADDRESS]");
  });
  it("masks overlapping findings given by a caller once, as one span", () => {
    expect(
      maskText("0123456789", [
        { type: "PHONE", start: 2, end: 6 },
        { type: "SECRET", start: 4, end: 8 },
      ]),
    ).toBe("01[PHONE]89");
  });
  it("counts findings by type", () => {
    const text = "a@example.com b@example.com 10.0.0.1";
    expect(countByType(detectPii(text))).toEqual({ EMAIL: 2, IP_ADDRESS: 1 });
    expect(countByType([])).toEqual({});
  });
  it("names every type's placeholder", () => {
    expect(PII_TYPES.map((type) => maskText("x", [{ type, start: 0, end: 1 }]))).toEqual([
      "[EMAIL]",
      "[PHONE]",
      "[CREDIT_CARD]",
      "[US_SSN]",
      "[IBAN]",
      "[IP_ADDRESS]",
      "[SECRET]",
    ]);
  });
});

describe("detectPii: e-mail addresses in context", () => {
  it("stops at the scripts written without spaces around it", () => {
    expect(masked("私のメールはtanaka.taro@example.jpです。")).toBe("私のメールは[EMAIL]です。");
  });
  it("does not take a URL's query key or a quote into the address", () => {
    expect(masked("?email=jane@example.com&x=1 'bob@example.org'")).toBe("?email=[EMAIL]&x=1 '[EMAIL]'");
  });
  it("finds addresses written with [at] and [dot]", () => {
    expect(masked("jane.doe [at] example [dot] com, bob(at)example.org")).toBe("[EMAIL], [EMAIL]");
    expect(typesIn("look at [at] the cat")).toEqual([]);
  });
});
