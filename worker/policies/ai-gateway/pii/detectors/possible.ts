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
  /**
   * PROVIDER_KEY (secret.ts): 12 characters or more of `[\w.-]` (the shortest, a JWT's
   * "eyJ..eyJ..."), one of them a capital, "_" or "-": every provider's format has one (a prefix
   * such as "sk-", "ghp_", "AKIA", "AIza", "eyJ"), and an ordinary long word has none.
   */
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

/** A character's classes, bit flags: what each detector's run may be made of. */
const DIGIT = 1;
const LETTER = 2;
/** A digit or `[a-fA-F]`: what an IPv6 address's groups are made of. */
const HEX = 4;
/** `[ \-.()/]`: what may stand between a phone number's digits. */
const PHONE_SEPARATOR = 8;
/** A space or hyphen: what may stand between a card's or an SSN's digits. */
const GROUP_SEPARATOR = 16;
/** `[\d.]`: an IPv4 address's characters. */
const IPV4 = 32;
/** `[\w.-]`: a provider key's characters. */
const KEY = 64;
/** `[A-Za-z0-9+/_-]`: a token's characters. */
const TOKEN = 128;
/** `[A-Z_-]`: what every provider key holds one of, and a lower-case word none of. */
const KEY_MARK = 256;

/**
 * ASCII → its classes; every other character has none (the text is normalised: its digits are
 * ASCII). One table read per character instead of a chain of comparisons per class.
 */
const CLASSES = (() => {
  const classes = new Uint16Array(0x80);
  const mark = (characters: string, flags: number) => {
    for (const character of characters) classes[character.charCodeAt(0)]! |= flags;
  };
  const digits = "0123456789";
  const lower = "abcdefghijklmnopqrstuvwxyz";
  const upper = lower.toUpperCase();
  mark(digits, DIGIT | HEX | IPV4 | KEY | TOKEN);
  mark(lower + upper, LETTER | KEY | TOKEN);
  mark("abcdefABCDEF", HEX);
  mark(" -.()/", PHONE_SEPARATOR);
  mark(" -", GROUP_SEPARATOR);
  mark(".", IPV4 | KEY);
  mark("_-", KEY | TOKEN);
  mark("+/", TOKEN);
  mark(upper + "_-", KEY_MARK);
  return classes;
})();

export function possibleFindings(text: string): PossibleFindings {
  let iban = false;
  let card = false;
  let ssn = false;
  let phone = false;
  let ip = false;
  let providerKey = false;
  let token = false;
  // Digits grouped by single spaces or hyphens (cards, SSNs): how many, and whether the last
  // character was such a separator.
  let groupedDigits = 0;
  let afterSeparator = false;
  // Where the run of phone characters' first digit is (-1: no digit in the run yet).
  let phoneFirstDigit = -1;
  let ipv4Run = 0;
  let hexColons = 0;
  let keyRun = 0;
  let keyMarked = false;
  let tokenRun = 0;
  // The classes of the three characters before this one (an IBAN's country letters and first digit).
  let previous = 0;
  let second = 0;
  let third = 0;
  // Locals, not the result's fields, and as few branches as the rules allow: this reads every
  // character of every new prompt, and a branch that alternates with letters and spaces costs more
  // than a conditional move.
  for (let index = 0; index < text.length; index++) {
    const code = text.charCodeAt(index);
    const classes = code < 0x80 ? CLASSES[code]! : 0;
    if (classes & DIGIT) {
      groupedDigits++;
      afterSeparator = false;
      if (groupedDigits >= SSN_DIGITS) ssn = true;
      if (groupedDigits >= CARD_DIGITS) card = true;
      if (phoneFirstDigit < 0) phoneFirstDigit = index;
      else if (index - phoneFirstDigit + 1 >= PHONE_SPAN) phone = true;
      if (previous & DIGIT && second & LETTER && third & LETTER) iban = true;
    } else {
      if (groupedDigits > 0) {
        if (classes & GROUP_SEPARATOR && !afterSeparator) afterSeparator = true;
        else {
          groupedDigits = 0;
          afterSeparator = false;
        }
      }
      phoneFirstDigit = classes & PHONE_SEPARATOR ? phoneFirstDigit : -1;
    }
    ipv4Run = classes & IPV4 ? ipv4Run + 1 : 0;
    if (ipv4Run >= IPV4_SPAN) ip = true;
    // Colons are counted across hex digits (an IPv6 address's groups); anything else ends the run.
    hexColons = code === 0x3a ? hexColons + 1 : classes & HEX ? hexColons : 0;
    if (hexColons >= IPV6_COLONS) ip = true;
    keyRun = classes & KEY ? keyRun + 1 : 0;
    keyMarked = keyRun > 0 && (keyMarked || (classes & KEY_MARK) !== 0);
    if (keyRun >= PROVIDER_KEY_SPAN && keyMarked) providerKey = true;
    tokenRun = classes & TOKEN ? tokenRun + 1 : 0;
    if (tokenRun >= TOKEN_SPAN) token = true;
    third = second;
    second = previous;
    previous = classes;
  }
  return { iban, card, ssn, phone, ip, providerKey, token };
}
