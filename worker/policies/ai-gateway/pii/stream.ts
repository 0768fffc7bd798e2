/**
 * Masking a streamed text (a model's response, delta by delta) without buffering all of it.
 *
 * Each `push` scans what is not yet emitted and emits all but a held-back tail, masked; `flush`
 * emits the rest at the end of the stream. What is held back, and why:
 * - the last HOLD_BACK (320) code units: the longest finding of bounded length is an e-mail
 *   address (64 + 1 + 253 = 318, RFC 5321 §4.5.3.1), so a finding that a later chunk completes
 *   starts inside the held tail and is masked whole once it is complete;
 * - extended back to the start of a finding that crosses the cut, and to the start of the word
 *   (run of non-space characters) the cut falls in, so a JWT or key longer than 320 is held whole;
 * - but never more than MAX_PENDING (8192) code units: beyond it the finding crossing the cut is
 *   masked as far as it goes, and a longer token is cut (each part is then masked when it is
 *   recognisable on its own, as the lines of a PEM key block are).
 * The last CONTEXT (64) code units already emitted stay as read-only context, so labels ("SSN:",
 * "call") and boundaries before the held tail count as they would in the whole text.
 * Delay: text leaves the masker once 320 (to 384: it rescans every 64 new characters) more have
 * arrived, or when the stream ends.
 */
import { detectPii } from "./detect";
import { maskText } from "./mask";
import type { PiiFinding, PiiType } from "./types";

export const HOLD_BACK = 320;
export const MAX_PENDING = 8192;
const CONTEXT = 64;
const SCAN_STEP = 64;

export class PiiStreamMasker {
  private context = "";
  private pending = "";
  private readonly counts = new Map<PiiType, number>();

  constructor(private readonly types?: readonly PiiType[]) {}

  /** The masked text that can be emitted now (possibly ""). */
  push(chunk: string): string {
    this.pending += chunk;
    // Scanning again only once SCAN_STEP more characters have come bounds the re-scanning of the
    // held tail to a few times the text, even when a provider streams one character at a time.
    if (this.pending.length < HOLD_BACK + SCAN_STEP) return "";
    const findings = this.pendingFindings();
    return this.emit(this.cutFor(findings), findings);
  }

  /** Everything still held, masked: call once, when the stream ends. */
  flush(): string {
    const out = this.emit(this.pending.length, this.pendingFindings());
    this.context = "";
    return out;
  }

  /** Findings masked so far, by type (counts only: the masker keeps no value). */
  countsByType(): Partial<Record<PiiType, number>> {
    return Object.fromEntries(this.counts);
  }

  /** Findings in `pending`'s offsets; one that began in the context is clipped to `pending`. */
  private pendingFindings(): PiiFinding[] {
    const offset = this.context.length;
    const findings: PiiFinding[] = [];
    for (const finding of detectPii(this.context + this.pending, this.types)) {
      if (finding.end <= offset) continue;
      findings.push({ type: finding.type, start: Math.max(0, finding.start - offset), end: finding.end - offset });
    }
    return findings;
  }

  private cutFor(findings: readonly PiiFinding[]): number {
    const floor = Math.max(0, this.pending.length - MAX_PENDING);
    let cut = this.pending.length - HOLD_BACK;
    let wordStart = cut;
    while (wordStart > floor && !isSpace(this.pending.charCodeAt(wordStart - 1))) wordStart--;
    if (wordStart > floor || floor === 0) cut = wordStart;
    const crossing = findings.find((finding) => finding.start < cut && finding.end > cut);
    if (crossing === undefined) return cut;
    return crossing.start >= floor ? crossing.start : crossing.end;
  }

  private emit(cut: number, findings: readonly PiiFinding[]): string {
    const emitted = findings.filter((finding) => finding.end <= cut);
    for (const finding of emitted) this.counts.set(finding.type, (this.counts.get(finding.type) ?? 0) + 1);
    const out = maskText(this.pending.slice(0, cut), emitted);
    this.context = (this.context + this.pending.slice(0, cut)).slice(-CONTEXT);
    this.pending = this.pending.slice(cut);
    return out;
  }
}

const isSpace = (code: number) => code === 32 || code === 9 || code === 10 || code === 13;
