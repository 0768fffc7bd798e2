/**
 * International Bank Account Numbers (ISO 13616-1): a country code, two check digits and the
 * country's BBAN, the whole of the length the IBAN registry (SWIFT) fixes for that country, and
 * verified by ISO 7064 MOD 97-10 (the number, its first four characters moved to the end and
 * letters read as 10–35, leaves 1 modulo 97). Written electronically (no spaces) or in the
 * print format (groups of four separated by one space, the last group shorter). Any other
 * string of that shape fails the check 96 times in 97.
 */
import type { Candidate } from "../types";
import { scanMatches } from "../context";

/** IBAN lengths by country, from the SWIFT IBAN registry. */
const IBAN_LENGTHS: Readonly<Record<string, number>> = {
  AD: 24,
  AE: 23,
  AL: 28,
  AT: 20,
  AZ: 28,
  BA: 20,
  BE: 16,
  BG: 22,
  BH: 22,
  BI: 27,
  BR: 29,
  BY: 28,
  CH: 21,
  CR: 22,
  CY: 28,
  CZ: 24,
  DE: 22,
  DJ: 27,
  DK: 18,
  DO: 28,
  EE: 20,
  EG: 29,
  ES: 24,
  FI: 18,
  FK: 18,
  FO: 18,
  FR: 27,
  GB: 22,
  GE: 22,
  GI: 23,
  GL: 18,
  GR: 27,
  GT: 28,
  HR: 21,
  HU: 28,
  IE: 22,
  IL: 23,
  IQ: 23,
  IS: 26,
  IT: 27,
  JO: 30,
  KW: 30,
  KZ: 20,
  LB: 28,
  LC: 32,
  LI: 21,
  LT: 20,
  LU: 20,
  LV: 21,
  LY: 25,
  MC: 27,
  MD: 24,
  ME: 22,
  MK: 19,
  MN: 20,
  MR: 27,
  MT: 31,
  MU: 30,
  NI: 28,
  NL: 18,
  NO: 15,
  OM: 23,
  PK: 24,
  PL: 28,
  PS: 29,
  PT: 25,
  QA: 29,
  RO: 24,
  RS: 22,
  RU: 33,
  SA: 24,
  SC: 31,
  SD: 18,
  SE: 24,
  SI: 19,
  SK: 24,
  SM: 27,
  SO: 23,
  ST: 25,
  SV: 28,
  TL: 23,
  TN: 24,
  TR: 26,
  UA: 29,
  VA: 22,
  VG: 24,
  XK: 20,
  YE: 30,
};

// A country code and check digits, then up to 30 more characters, each optionally after one space
// (a space is never alphanumeric, so the pattern has one way to match and backtracks at most 30).
const IBAN_LIKE = /(?<![A-Za-z0-9])[A-Za-z]{2}\d{2}(?: ?[A-Za-z0-9]){10,30}/g;

export function findIbans(text: string): Candidate[] {
  return scanMatches(
    IBAN_LIKE,
    text,
    (match) => {
      const length = IBAN_LENGTHS[match[0].slice(0, 2).toUpperCase()];
      const end = length === undefined ? -1 : endOfIban(text, match.index, length);
      return end > 0 && passesMod97(text.slice(match.index, end).replace(/ /g, "").toUpperCase()) ? end : -1;
    },
    "next-char",
  );
}

/** The end of exactly `length` characters in one of the two layouts, or -1. */
function endOfIban(text: string, start: number, length: number): number {
  const grouped = text.charCodeAt(start + 4) === 32;
  let count = 0;
  let i = start;
  while (count < length) {
    const code = text.charCodeAt(i);
    if (code === 32) {
      if (!grouped || count % 4 !== 0) return -1;
    } else if (isAlnum(code)) count++;
    else return -1;
    i++;
  }
  return isAlnum(text.charCodeAt(i)) ? -1 : i;
}

const isAlnum = (code: number) => (code >= 48 && code <= 57) || (code >= 65 && code <= 90) || (code >= 97 && code <= 122);

/** ISO 7064 MOD 97-10 as ISO 13616 applies it. */
function passesMod97(iban: string): boolean {
  const rearranged = iban.slice(4) + iban.slice(0, 4);
  let remainder = 0;
  for (const char of rearranged) {
    const code = char.charCodeAt(0);
    const value = code <= 57 ? code - 48 : code - 55;
    remainder = (value > 9 ? remainder * 100 + value : remainder * 10 + value) % 97;
  }
  return remainder === 1;
}
