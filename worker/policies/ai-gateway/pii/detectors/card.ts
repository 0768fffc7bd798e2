/**
 * Payment card numbers (ISO/IEC 7812): 13–19 digits, written whole or in groups separated by one
 * space or one dash, that pass Luhn's check and start with an issuer prefix (IIN) of a scheme that
 * issues cards of that length. Groups must be the printed layouts: fours (the last may be
 * shorter), or 4-6-5 / 4-6-4 (American Express, Diners Club), so a run of unrelated numbers
 * that happens to pass Luhn is not taken for a card. Repeated digits ("0000 0000 0000 0000") are
 * placeholders, not cards.
 */
import type { Candidate } from "../types";

// Bounded and unambiguous (a digit, then an optional separator that is never a digit): at most
// 19 digits are tried from a position, and only from a position that does not continue a number.
const CARD_LIKE = /(?<![\w.,+\-\/])\d(?:[ -]?\d){12,18}(?![\w\/]|[.,\-]\d)/g;

export function findCards(text: string): Candidate[] {
  const found: Candidate[] = [];
  for (const match of text.matchAll(CARD_LIKE)) {
    const span = match[0];
    const digits = digitsOf(span);
    if (hasCardLayout(span) && isIssuedPrefix(digits) && passesLuhn(digits) && !isOneRepeatedDigit(digits)) {
      found.push({ start: match.index, end: match.index + span.length });
    }
  }
  return found;
}

function hasCardLayout(span: string): boolean {
  const groups = span.split(/[ -]/);
  if (groups.length === 1) return true;
  const separators = span.replace(/\d+/g, "");
  if (!/^( +|-+)$/.test(separators)) return false;
  const lengths = groups.map((group) => group.length).join("-");
  if (lengths === "4-6-5" || lengths === "4-6-4") return true;
  return groups.every((group, i) => group.length === 4 || (i === groups.length - 1 && i >= 3 && group.length >= 1 && group.length < 4));
}

/** Whether the leading digits are an IIN range of a scheme that issues this many digits. */
function isIssuedPrefix(digits: string): boolean {
  const length = digits.length;
  const two = Number(digits.slice(0, 2));
  const three = Number(digits.slice(0, 3));
  const four = Number(digits.slice(0, 4));
  const six = Number(digits.slice(0, 6));
  if (digits[0] === "4") return length === 13 || length === 16 || length === 19; // Visa
  if ((two >= 51 && two <= 55) || (four >= 2221 && four <= 2720)) return length === 16; // Mastercard
  if (two === 34 || two === 37) return length === 15; // American Express
  if ((three >= 300 && three <= 305) || two === 36 || two === 38 || two === 39) return length >= 14 && length <= 19; // Diners Club
  if (four === 6011 || (three >= 644 && three <= 649) || two === 65 || (six >= 622126 && six <= 622925))
    return length >= 16 && length <= 19; // Discover
  if (four >= 3528 && four <= 3589) return length >= 16 && length <= 19; // JCB
  if (two === 62 || two === 81) return length >= 16 && length <= 19; // UnionPay
  if (four >= 2200 && four <= 2204) return length >= 16 && length <= 19; // Mir
  if (two === 50 || (two >= 56 && two <= 69)) return length >= 13 && length <= 19; // Maestro and national schemes
  return false;
}

/** The digits of a span, separators dropped. */
const digitsOf = (span: string): string => span.replace(/\D+/g, "");

/** Luhn's mod-10 check (ISO/IEC 7812-1 annex B): payment card numbers end with its check digit. */
function passesLuhn(digits: string): boolean {
  let sum = 0;
  for (let i = 0; i < digits.length; i++) {
    let digit = digits.charCodeAt(digits.length - 1 - i) - 48;
    if (i % 2 === 1) {
      digit *= 2;
      if (digit > 9) digit -= 9;
    }
    sum += digit;
  }
  return sum % 10 === 0;
}

/** "1111111111111111", "0000 0000": placeholders, not data. */
const isOneRepeatedDigit = (digits: string): boolean => /^(\d)\1*$/.test(digits);
