/**
 * Runs the detectors over the normalised text and resolves overlaps. Precedence, first wins
 * (a finding is kept only if it overlaps none already kept):
 *   EMAIL > IBAN > CREDIT_CARD > US_SSN > IP_ADDRESS > SECRET > PHONE
 * Structure that is rarely accidental first: an "@" with a domain, then the checksum-verified
 * numbers (mod-97 before Luhn: an IBAN holds digit runs), then SSNs and IP addresses (exact
 * shapes), then secrets (whose labelled and high-entropy rules are looser), and phone numbers
 * last, as the loosest digit pattern. Within a type, the earlier start wins, then the longer span.
 */
import { findCards } from "./detectors/card";
import { findEmails } from "./detectors/email";
import { findIbans } from "./detectors/iban";
import { findIpAddresses } from "./detectors/ip";
import { findPhones } from "./detectors/phone";
import { findSecrets } from "./detectors/secret";
import { possibleFindings, type PossibleFindings } from "./detectors/possible";
import { findSsns } from "./detectors/ssn";
import { normalizeForDetection, originalSpan } from "./normalize";
import type { Candidate, PiiFinding, PiiType } from "./types";

const PRECEDENCE: readonly PiiType[] = ["EMAIL", "IBAN", "CREDIT_CARD", "US_SSN", "IP_ADDRESS", "SECRET", "PHONE"];

/**
 * Each type's detector, run only when one pass over the text (possible.ts) found what its pattern
 * cannot match without: most prompts hold no long digit group or token, and then most detectors
 * are skipped. E-mail addresses are looked for from each "@" already.
 */
const DETECTORS: Readonly<Record<PiiType, (text: string, possible: PossibleFindings) => Candidate[]>> = {
  EMAIL: findEmails,
  IBAN: (text, possible) => (possible.iban ? findIbans(text) : []),
  CREDIT_CARD: (text, possible) => (possible.card ? findCards(text) : []),
  US_SSN: (text, possible) => (possible.ssn ? findSsns(text) : []),
  IP_ADDRESS: (text, possible) => (possible.ip ? findIpAddresses(text) : []),
  SECRET: findSecrets,
  PHONE: (text, possible) => (possible.phone ? findPhones(text) : []),
};

/** Findings of the given types (all by default), sorted by start, never overlapping. */
export function detectPii(text: string, types?: readonly PiiType[]): PiiFinding[] {
  const normalized = normalizeForDetection(text);
  const possible = possibleFindings(normalized.text);
  let kept: PiiFinding[] = [];
  for (const type of PRECEDENCE) {
    if (types !== undefined && !types.includes(type)) continue;
    const candidates = DETECTORS[type](normalized.text, possible).sort((a, b) => a.start - b.start || b.end - a.end);
    kept = mergeWithoutOverlap(kept, candidates, type);
  }
  return kept.map((finding) => ({ type: finding.type, ...originalSpan(normalized, finding.start, finding.end) }));
}

/**
 * `kept` plus each candidate that overlaps nothing kept so far, sorted by start. Both lists are
 * sorted by start, so one pass over each suffices (linear, however many findings a text holds).
 */
function mergeWithoutOverlap(kept: PiiFinding[], candidates: Candidate[], type: PiiType): PiiFinding[] {
  if (candidates.length === 0) return kept;
  const added: PiiFinding[] = [];
  let next = 0;
  let lastAddedEnd = -1;
  for (const candidate of candidates) {
    while (next < kept.length && kept[next]!.end <= candidate.start) next++;
    const overlapsKept = next < kept.length && kept[next]!.start < candidate.end;
    if (overlapsKept || candidate.start < lastAddedEnd) continue;
    added.push({ type, start: candidate.start, end: candidate.end });
    lastAddedEnd = candidate.end;
  }
  const merged: PiiFinding[] = [];
  let i = 0;
  let j = 0;
  while (i < kept.length || j < added.length) {
    if (j >= added.length || (i < kept.length && kept[i]!.start < added[j]!.start)) merged.push(kept[i++]!);
    else merged.push(added[j++]!);
  }
  return merged;
}
