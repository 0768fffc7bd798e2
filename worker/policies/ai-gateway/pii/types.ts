/** The kinds of personal data and secrets the detector finds; each masks as `[TYPE]`. */
export const PII_TYPES = ["EMAIL", "PHONE", "CREDIT_CARD", "US_SSN", "IBAN", "IP_ADDRESS", "SECRET"] as const;
export type PiiType = (typeof PII_TYPES)[number];

/** One finding: a type and UTF-16 offsets into the text as given, never the value itself. */
export interface PiiFinding {
  type: PiiType;
  start: number;
  end: number;
}

/** A detector's raw match, in offsets of the normalised text (normalize.ts). */
export interface Candidate {
  start: number;
  end: number;
}
