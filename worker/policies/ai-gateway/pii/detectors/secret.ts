/**
 * API keys, tokens and other secrets, three ways:
 * 1. Provider key formats, by their documented prefixes: OpenAI "sk-", "sk-proj-", "sk-svcacct-",
 *    Anthropic "sk-ant-", AWS access key ids ("AKIA", "ASIA"… + 16), GitHub "ghp_", "gho_",
 *    "ghu_", "ghs_", "ghr_", "github_pat_", GitLab "glpat-", Slack "xoxa-", "xoxb-", "xoxp-",
 *    "xoxr-", "xoxs-", "xapp-", Stripe "sk_live_", "rk_live_" (and their "_test_"), Google
 *    "AIza" + 35, Hugging Face "hf_", npm "npm_", SendGrid "SG.", JSON Web Tokens (RFC 7519:
 *    two base64url JSON segments, "eyJ…", and a signature), and PEM private key blocks.
 * 2. A value right after a secret's label ("password: …", "api_key=…", "Bearer …"): 6 or more
 *    characters of at least two character classes (a plain word is not a secret).
 * 3. High-entropy tokens without a label: 20+ characters of the base64/base64url alphabets with
 *    upper case, lower case and digits mixed as random strings mix them (Shannon entropy ≥ 3.5
 *    bits per character, few vowels or frequent case changes, so "getUserAccountSettings2" and
 *    other identifiers stay), and not the base64 of readable text nor a data: URI's payload. Not secrets without a label:
 *    UUIDs (RFC 9562), hex strings (digests, commit ids, "0x" addresses) and Stripe's object ids
 *    ("ch_…", "cus_…", publishable "pk_live_…"), which are public identifiers far more often than
 *    keys; with a label they are secrets.
 */
import type { Candidate } from "../types";
import type { PossibleFindings } from "./possible";

const TOKEN_EDGE_BEFORE = "(?<![\\w\\-])";
const TOKEN_EDGE_AFTER = "(?![\\w\\-])";
const PROVIDER_FORMATS = [
  "sk-ant-[\\w\\-]{20,300}",
  "sk-(?:proj-|svcacct-|admin-)?[\\w\\-]{20,300}",
  "(?:AKIA|ASIA|ABIA|ACCA|AGPA|AIDA|AIPA|ANPA|ANVA|AROA|APKA|ASCA)[A-Z0-9]{16}",
  "gh[pousr]_[A-Za-z0-9]{20,255}",
  "github_pat_\\w{22,255}",
  "glpat-[\\w\\-]{20,64}",
  "xox[abprs]-[A-Za-z0-9\\-]{10,250}",
  "xapp-\\d-[A-Za-z0-9\\-]{10,250}",
  "[rs]k_(?:live|test)_[A-Za-z0-9]{10,247}",
  "AIza[\\w\\-]{20,40}",
  "hf_[A-Za-z]{30,40}",
  "npm_[A-Za-z0-9]{36}",
  "SG\\.[\\w\\-]{22}\\.[\\w\\-]{43}",
  "eyJ[\\w\\-]{2,8192}\\.eyJ[\\w\\-]{2,8192}\\.[\\w\\-]{0,8192}",
];
const PROVIDER_KEY = new RegExp(`${TOKEN_EDGE_BEFORE}(?:${PROVIDER_FORMATS.join("|")})${TOKEN_EDGE_AFTER}`, "g");

const SECRET_LABEL =
  "(?<![A-Za-z0-9])(?:key(?=\\s{0,3}[:=])|authorization[:=]?\\s{0,3}(?:basic|bearer|token)|password|passwd|pwd|passphrase|secret|client[_ -]?secret|api[_ -]?key|apikey|x-api-key|access[_ -]?key|secret[_ -]?key|access[_ -]?token|auth[_ -]?token|refresh[_ -]?token|token|bearer|credentials?|private[_ -]?key|mot de passe|contraseña|passwort|senha|kennwort)(?![A-Za-z0-9_])";
export const LABELLED_VALUE = new RegExp(
  `${SECRET_LABEL}["']?\\s{0,3}(?:[:=]|=>|\\bis\\b|\\bwas\\b)?\\s{0,3}["']?([^\\s"'<>,;()\\[\\]{}]{6,200})`,
  "gi",
);

/**
 * What every label holds (possible.test.ts checks it against the labels' literals): a text
 * without one of these is not searched for labelled values, one cheap test instead of the
 * labels' pattern, which must try each position.
 */
export const LABEL_WORD = /key|auth|pass|pwd|secret|token|bearer|credential|contrase|senha|kennwort|mot de passe/i;
const EVERY_FORM = { providerKey: true, token: true };
const TOKEN = /(?<![\w+\/\-])[A-Za-z0-9+\/_\-]{20,}={0,2}(?![\w+\/=\-])/g;
// Stripe's object ids and publishable keys: public identifiers that look random.
const PUBLIC_ID = /^(?:ch|cus|pi|pm|py|price|prod|sub|si|in|ii|txn|evt|acct|req|seti|src|card|ba|po|re|tr|pk_live|pk_test)_[A-Za-z0-9]+$/;
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const HEX = /^[0-9a-f]+$/i;
const PEM_BEGIN = /-----BEGIN (?:[A-Z0-9]+ ){0,3}PRIVATE KEY( BLOCK)?-----/g;

/** The secrets in `text`; `possible` (possible.ts) says which patterns need not run: they cannot match. */
export function findSecrets(text: string, possible: Pick<PossibleFindings, "providerKey" | "token"> = EVERY_FORM): Candidate[] {
  const found: Candidate[] = [];
  if (possible.providerKey) {
    for (const match of text.matchAll(PROVIDER_KEY)) {
      if (/^sk-(?:[a-z]+-)+[a-z]+$/.test(match[0])) continue; // "sk-learn-style-hyphenated-words"
      found.push({ start: match.index, end: match.index + match[0].length });
    }
  }
  for (const match of LABEL_WORD.test(text) ? text.matchAll(LABELLED_VALUE) : []) {
    // A final "." ends the sentence ("The token is a1b2c3d4."), not the value.
    const value = match[1]!.replace(/\.$/, "");
    if (value.length >= 6 && characterClasses(value) >= 2 && !/^https?:/i.test(value)) {
      const start = match.index + match[0].length - match[1]!.length;
      found.push({ start, end: start + value.length });
    }
  }
  if (possible.token) {
    for (const match of text.matchAll(TOKEN)) {
      if (isRandomToken(match[0]) && !text.startsWith("base64,", match.index - 7)) {
        found.push({ start: match.index, end: match.index + match[0].length });
      }
    }
  }
  findPrivateKeyBlocks(text, found);
  return found;
}

/** "-----BEGIN … PRIVATE KEY-----" to its END line; an unterminated block to the end of the text. */
function findPrivateKeyBlocks(text: string, found: Candidate[]): void {
  if (!text.includes("PRIVATE KEY")) return;
  for (const match of text.matchAll(PEM_BEGIN)) {
    const endMarker = text.indexOf("-----END ", match.index + match[0].length);
    if (endMarker < 0) {
      found.push({ start: match.index, end: text.length });
      return;
    }
    const close = text.indexOf("-----", endMarker + 9);
    found.push({ start: match.index, end: close < 0 ? text.length : close + 5 });
    PEM_BEGIN.lastIndex = Math.max(PEM_BEGIN.lastIndex, close < 0 ? text.length : close + 5);
  }
}

function characterClasses(value: string): number {
  return Number(/[a-z]/.test(value)) + Number(/[A-Z]/.test(value)) + Number(/\d/.test(value)) + Number(/[^A-Za-z0-9]/.test(value));
}

/** Whether a token without a label looks like a random key rather than a word, id or digest. */
function isRandomToken(raw: string): boolean {
  const token = raw.replace(/=+$/, "");
  if (token.length < 20 || UUID.test(token) || HEX.test(token.replace(/^0x|-/g, "")) || PUBLIC_ID.test(token)) return false;
  if (token.includes("/") && (token.startsWith("/") || token.includes("//") || /^[a-z0-9_\/\-]+$/.test(token))) {
    return false; // a path or URL, not base64
  }
  let lower = 0;
  let upper = 0;
  let digits = 0;
  let vowels = 0;
  let caseChanges = 0;
  let previous = "";
  for (const char of token) {
    const kind = char >= "a" && char <= "z" ? "l" : char >= "A" && char <= "Z" ? "u" : char >= "0" && char <= "9" ? "d" : "s";
    if (kind === "l") lower++;
    else if (kind === "u") upper++;
    else if (kind === "d") digits++;
    if ("aeiouAEIOU".includes(char)) vowels++;
    if (previous !== "" && kind !== previous && kind !== "s" && previous !== "s") caseChanges++;
    previous = kind;
  }
  const letters = lower + upper;
  if (digits === 0 || letters < 6) return false;
  const mixed = lower > 0 && upper > 0;
  if (!mixed && token.length < 24) return false;
  if (shannonEntropy(token) < 3.5) return false;
  const fewVowels = vowels / letters < 0.3;
  const choppy = caseChanges / token.length >= 0.3;
  if (!(fewVowels || choppy) || (!mixed && !(fewVowels && choppy)) || isMadeOfWords(token)) return false;
  return !isBase64OfText(raw);
}

/**
 * "getUserAccountSettingsById2", "MAX_RETRY_COUNT_V2": words of three letters or more on average,
 * nearly all with a vowel. A random token splits into short vowel-less pieces ("Xk", "pQ", "mN").
 * Words run from one case or digit change to the next, except upper to lower ("User").
 */
function isMadeOfWords(token: string): boolean {
  let words = 0;
  let wordsWithVowel = 0;
  let letters = 0;
  let hasVowel = false;
  let inWord = false;
  let previous = "";
  const endWord = () => {
    if (inWord) {
      words++;
      if (hasVowel) wordsWithVowel++;
    }
    inWord = false;
    hasVowel = false;
  };
  for (const char of token) {
    const kind = char >= "a" && char <= "z" ? "l" : char >= "A" && char <= "Z" ? "u" : "other";
    if (kind === "other" || (kind !== previous && !(previous === "u" && kind === "l"))) endWord();
    if (kind !== "other") {
      inWord = true;
      letters++;
      if ("aeiouyAEIOUY".includes(char)) hasVowel = true;
    }
    previous = kind;
  }
  endWord();
  return words > 0 && wordsWithVowel / words >= 0.8 && letters / words >= 3;
}

function shannonEntropy(value: string): number {
  const counts = new Map<string, number>();
  for (const char of value) counts.set(char, (counts.get(char) ?? 0) + 1);
  let entropy = 0;
  for (const count of counts.values()) {
    const p = count / value.length;
    entropy -= p * Math.log2(p);
  }
  return entropy;
}

/** Base64 (RFC 4648 §4) whose bytes are mostly printable ASCII: encoded text, not a key. */
function isBase64OfText(token: string): boolean {
  if (token.length % 4 !== 0 || !/^[A-Za-z0-9+\/]+={0,2}$/.test(token)) return false;
  let decoded: string;
  try {
    decoded = atob(token);
  } catch {
    return false;
  }
  let printable = 0;
  for (let i = 0; i < decoded.length; i++) {
    const code = decoded.charCodeAt(i);
    if ((code >= 32 && code < 127) || code === 9 || code === 10 || code === 13) printable++;
  }
  return printable / decoded.length >= 0.95;
}
