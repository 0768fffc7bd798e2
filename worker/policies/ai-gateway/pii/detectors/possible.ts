/**
 * Which detectors a text could give a finding to, from one pass over its characters: each
 * detector's pattern needs a run of characters that most prompts do not hold (a card number 13
 * digits, a token 20 characters of its alphabet), and a detector whose run is missing is not run.
 * Each text is read once here instead of once by every detector's regex, whose code and tables
 * would have to be fetched again for every prompt.
 *
 * Soundness is what matters: every condition is one each detector's own pattern cannot match
 * without (possible.test.ts holds every detector to it on the corpora and random texts), so a
 * skipped detector would have found nothing. The text is the normalised one (normalize.ts): its
 * digits are ASCII, and `\d` and `\w` in the detectors' patterns are ASCII.
 */
export interface PossibleFindings {
  /** IBAN_LIKE (iban.ts) opens with two letters and two digits. */
  iban: boolean;
  /** CARD_LIKE (card.ts): 13 digits or more, one space or hyphen at most between two. */
  card: boolean;
  /** SSN_LIKE (ssn.ts): 9 digits, one space or hyphen at most between two. */
  ssn: boolean;
  /** PHONE_LIKE (phone.ts): a digit, 5 to 22 of `[\d \-.()/]`, a digit. */
  phone: boolean;
  /** IPV4 (ip.ts): four octets and three dots, 7 characters at least; IPV6_LIKE: two colons among hex digits. */
  ip: boolean;
  /** PROVIDER_KEY (secret.ts): 12 characters or more of `[\w.-]` (the shortest, a JWT's "eyJ..eyJ..."). */
  providerKey: boolean;
  /** TOKEN (secret.ts): 20 characters or more of `[A-Za-z0-9+/_-]`. */
  token: boolean;
}

const CARD_DIGITS = 13;
const SSN_DIGITS = 9;
const PHONE_SPAN = 7;
const IPV4_SPAN = 7;
const IPV6_COLONS = 2;
const PROVIDER_KEY_SPAN = 12;
const TOKEN_SPAN = 20;

const isDigit = (code: number) => code >= 0x30 && code <= 0x39;
const isLetter = (code: number) => (code >= 0x61 && code <= 0x7a) || (code >= 0x41 && code <= 0x5a);
const isHexLetter = (code: number) => (code >= 0x61 && code <= 0x66) || (code >= 0x41 && code <= 0x46);
/** `[ \-.()/]`: what may stand between a phone number's digits. */
const isPhoneSeparator = (code: number) =>
  code === 0x20 || code === 0x2d || code === 0x2e || code === 0x28 || code === 0x29 || code === 0x2f;

export function possibleFindings(text: string): PossibleFindings {
  const possible: PossibleFindings = { iban: false, card: false, ssn: false, phone: false, ip: false, providerKey: false, token: false };
  // Digits grouped by single spaces or hyphens (cards, SSNs): how many, and whether the last
  // character was such a separator.
  let groupedDigits = 0;
  let afterSeparator = false;
  // The run of phone characters: where its first and its last digit are (-1: none yet).
  let phoneFirstDigit = -1;
  let phoneLastDigit = -1;
  let ipv4Run = 0;
  let hexColons = 0;
  let keyRun = 0;
  let tokenRun = 0;
  for (let index = 0; index < text.length; index++) {
    const code = text.charCodeAt(index);
    const digit = isDigit(code);
    const letter = !digit && isLetter(code);

    if (digit) {
      groupedDigits++;
      afterSeparator = false;
      if (groupedDigits >= SSN_DIGITS) possible.ssn = true;
      if (groupedDigits >= CARD_DIGITS) possible.card = true;
    } else if ((code === 0x20 || code === 0x2d) && groupedDigits > 0 && !afterSeparator) {
      afterSeparator = true;
    } else {
      groupedDigits = 0;
      afterSeparator = false;
    }

    if (digit) {
      if (phoneFirstDigit < 0) phoneFirstDigit = index;
      phoneLastDigit = index;
      if (phoneLastDigit - phoneFirstDigit + 1 >= PHONE_SPAN) possible.phone = true;
    } else if (!isPhoneSeparator(code)) {
      phoneFirstDigit = phoneLastDigit = -1;
    }

    ipv4Run = digit || code === 0x2e ? ipv4Run + 1 : 0;
    if (ipv4Run >= IPV4_SPAN) possible.ip = true;
    if (code === 0x3a) {
      if (++hexColons >= IPV6_COLONS) possible.ip = true;
    } else if (!digit && !isHexLetter(code)) hexColons = 0;

    const word = digit || letter || code === 0x5f || code === 0x2d;
    keyRun = word || code === 0x2e ? keyRun + 1 : 0;
    if (keyRun >= PROVIDER_KEY_SPAN) possible.providerKey = true;
    tokenRun = word || code === 0x2b || code === 0x2f ? tokenRun + 1 : 0;
    if (tokenRun >= TOKEN_SPAN) possible.token = true;

    if (letter && index + 3 < text.length && isLetter(text.charCodeAt(index + 1))) {
      if (isDigit(text.charCodeAt(index + 2)) && isDigit(text.charCodeAt(index + 3))) possible.iban = true;
    }
  }
  return possible;
}
