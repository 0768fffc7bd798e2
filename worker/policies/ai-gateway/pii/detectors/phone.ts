/**
 * Telephone numbers, international and national (ITU-T E.164: at most 15 digits with the country
 * code). A candidate is a run of digits with single separators (space, "-", ".") and at most one
 * parenthesised group; it is a phone number when it is written as one:
 * - international: "+" or "00", a country code not starting with 0, 8–15 digits in all
 *   ("+44 20 7946 0958", "+1-212-555-0134", "+33 1 23 45 67 89", "0049 30 1234567");
 * - North American (NANP): 10 digits as 3-3-4, with a leading "1" or the area code in parentheses
 *   ("(212) 555-0134", "1-212-555-0134", "212.555.0134"); the NANP's rule that area code and
 *   exchange start with 2–9 is not applied, as text is full of "555-123-4567"-style numbers;
 * - national with the trunk prefix 0, 9–12 digits in at least two groups ("020 7946 0958",
 *   "07700 900123", "01 23 45 67 89", "030 12345678", "03-1234-5678", "(02) 9876 5432"), and
 *   the German slash after the area code ("0171/1234567");
 * - a parenthesised area code first, 9–12 digits ("(11) 91234-5678");
 * - common mobile layouts without a prefix: India 5-5 from 6–9 ("98765 43210"), Spain 3-2-2-2
 *   from 6–9 ("612 34 56 78"), China 3-4-4 from 13–19 ("138 1234 5678");
 * - any other 7–15 digits only after a phone label ("tel", "call", "mobile", "Telefon", "電話"…).
 * Never: dates (2024-01-15, 15.01.2024), amounts with thousands separators ("1 250 000",
 * "1.234.567") or after a currency sign, percentages, dotted runs that are not 3.3.4 (versions and
 * addresses are left to the IP detector), or numbers continuing a word ("ORD-2024-000123").
 */
import type { Candidate } from "../types";
import { hasContextBefore, scanMatches } from "../context";

// Bounded character class: at most 24 characters are tried from a start, and a start is only a
// "+", "(" or digit that does not continue a number or word.
const PHONE_LIKE = /(?<![\w+.,\-\/)]|\((?!\+))(?:\+ ?|\()?\d[\d \-.()\/]{5,22}\d(?![\w\/%]|[.,\-:]\d)/g;
const PHONE_LABEL =
  /(?:\b(?:tel|tél|phone|telephone|call|ring|mobile|mob|cell|fax|whats ?app|sms|reach|contact|dial|hotline|telefon|telefono|teléfono|telefone|téléphone|handy|portable|móvil|celular|cellulare|rufnummer|telefonnummer|handynummer|mobilnummer|(?:my|his|her|their|your|our)\s+number)\b|電話|电话|手机|携帯)[\s\S]{0,25}$/i;
// Numbers that are labelled as something else: publication, order and parcel numbers.
const OTHER_NUMBER_LABEL = /\b(?:isbn(?:-1[03])?|issn|doi|order|invoice|tracking|sku|serial|part|ref)\b[\s#:.no-]{0,6}$/i;
const CURRENCY_BEFORE = /(?:[$€£¥₹]|\b(?:usd|eur|gbp|chf|jpy|inr|rs|kr)\.?)\s?$/i;

export function findPhones(text: string): Candidate[] {
  return scanMatches(
    PHONE_LIKE,
    text,
    (match) => {
      if (CURRENCY_BEFORE.test(text.slice(Math.max(0, match.index - 5), match.index))) return -1;
      if (hasContextBefore(text, match.index, OTHER_NUMBER_LABEL)) return -1;
      const labelled = hasContextBefore(text, match.index, PHONE_LABEL);
      // The whole run, then shorter runs ending before a space: "212-555-0134 555-0199" is two.
      for (let span = match[0]; span !== ""; span = span.slice(0, Math.max(0, span.lastIndexOf(" "))).trimEnd()) {
        if (isPhone(span, labelled)) return match.index + span.length;
      }
      return -1;
    },
    "after-match",
  );
}

function isPhone(span: string, labelled: boolean): boolean {
  if (!/\d$/.test(span)) return false;
  const groups = groupsOf(span);
  if (groups === null || isDateLike(groups, span) || isAmountLike(groups, span)) return false;
  return isWrittenAsPhone(span, groups) || (labelled && isPlausibleLength(groups));
}

/** The digit groups, or null when separators or parentheses are not those of a phone number. */
function groupsOf(span: string): string[] | null {
  const open = span.indexOf("(");
  const close = span.indexOf(")");
  if (open !== span.lastIndexOf("(") || close !== span.lastIndexOf(")") || open < 0 !== close < 0) return null;
  if (open >= 0 && (close < open || !/^\(\d{1,5}\)$/.test(span.slice(open, close + 1)))) return null;
  // Between two groups: one separator, ")" with at most one, or one before "(".
  for (const separator of span.match(/[^\d+]+/g) ?? []) {
    if (!/^(?:[ \-.]|\) ?|[ \-]?\(|\)[\-.]| ?\/ ?)$/.test(separator)) return null;
  }
  const dotted = span.includes(".");
  if (dotted && /[ \-]/.test(span.replace(/^\+ /, "+"))) return null;
  return span.split(/[^\d]+/).filter((group) => group !== "");
}

const digitCount = (groups: string[]) => groups.reduce((sum, group) => sum + group.length, 0);
const isPlausibleLength = (groups: string[]) => digitCount(groups) >= 7 && digitCount(groups) <= 15;

function isWrittenAsPhone(span: string, groups: string[]): boolean {
  const digits = groups.join("");
  const lengths = groups.map((group) => group.length).join("-");
  const parenthesised = span.startsWith("(") || /^\+ ?\d{1,3}[ \-]?\(/.test(span);
  if (span.startsWith("+"))
    return digits[0] !== "0" && digits.length >= 8 && digits.length <= 15 && (groups.length > 1 || digits.length >= 10);
  if (span.includes(".")) return lengths === "3-3-4";
  // German and Austrian numbers put a slash after the area code ("0171/1234567", "089 / 123456").
  if (span.includes("/")) return /^0\d{1,4} ?\/ ?\d[\d \-]*$/.test(span) && digits.length >= 9 && digits.length <= 12;
  if (digits.startsWith("00")) return groups.length >= 3 && digits.length >= 10 && digits.length <= 17 && digits[2] !== "0";
  if (lengths === "3-3-4" || (lengths === "1-3-3-4" && digits[0] === "1")) return true;
  if (groups.length < 2) return false;
  // 3-2-4 is the SSN's layout, not a national phone number's ("078-05-1120").
  if (digits[0] === "0")
    return digits.length >= 9 && digits.length <= 12 && groups[0]!.length >= 2 && groups[0]!.length <= 5 && lengths !== "3-2-4";
  if (parenthesised) return digits.length >= 9 && digits.length <= 12;
  if (lengths === "5-5" || lengths === "3-2-2-2") return /^[6-9]/.test(digits);
  return lengths === "3-4-4" && /^1[3-9]/.test(digits);
}

function isDateLike(groups: string[], span: string): boolean {
  if (groups.length !== 3 || span.includes("(")) return false;
  const [a, b, c] = groups.map(Number) as [number, number, number];
  const lengths = groups.map((group) => group.length).join("-");
  if (lengths === "4-2-2") return a >= 1800 && a <= 2199 && b >= 1 && b <= 12;
  if (lengths === "2-2-4") return c >= 1800 && c <= 2199 && a >= 1 && b >= 1 && (a <= 12 || b <= 12);
  return false;
}

/** "1 250 000", "12.500.000": every group after the first has three digits (thousands). */
function isAmountLike(groups: string[], span: string): boolean {
  if (span.startsWith("+") || span.startsWith("(") || groups[0]![0] === "0") return false;
  return groups.length >= 2 && groups[0]!.length <= 3 && groups.slice(1).every((group) => group.length === 3);
}
