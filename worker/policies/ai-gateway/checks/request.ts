/**
 * The decision on one provider request: every text slot the model reads (shapes/) goes through
 * each check that is on, each text on its own (a text is what the scorer and the detectors were
 * measured on). All checks run, so the audit facts say everything that was found; then the first
 * refusal in this order wins: prompt injection, content filter, PII `block`. Otherwise PII
 * `mask` rewrites the slots that hold findings (typed placeholders, shapes' applyReplacements:
 * every other field, key order and role unchanged), and anything else passes.
 */
import { compileContentFilter } from "../content-filter";
import { countByType, detectPii, maskText, type PiiType } from "../pii";
import { scoreInjection, type InjectionScore, type TextOrigin } from "../prompt-injection";
import { applyReplacements, type TextReplacement, type TextSlot } from "../shapes";
import { refusal, type ReadRequest } from "./body";
import { TextMemo } from "./text-memo";
import type { AiCheckEvent, AiChecks, AiRefusalCode, RequestDecision } from "./types";

type Counts = Map<string, number>;

const add = (counts: Counts, key: string, by = 1) => counts.set(key, (counts.get(key) ?? 0) + by);

/** Keys in a stable order, so events and error bodies do not depend on the order of the texts. */
const sortedKeys = (counts: Counts): string[] => [...counts.keys()].sort();

/** What one check found in a request's texts. */
interface Verdict {
  events: AiCheckEvent[];
  /** Set when the check refuses the request. */
  refusal?: { code: AiRefusalCode; details: Record<string, unknown> };
  /** The masked texts, when the check masks. */
  replacements?: TextReplacement[];
}

/**
 * What the memoised checks found in one text (each undefined when its check is off): pure
 * functions of the text and its origin, remembered per caller in one memo (text-memo.ts), so a
 * text is looked up once for both.
 */
interface TextFindings {
  injection?: InjectionScore;
  pii?: PiiOf;
}

/** A check of a request's texts, given what the memoised checks found in each (`findings[i]` for `slots[i]`). */
type SlotCheck = (slots: readonly TextSlot[], findings: readonly TextFindings[]) => Verdict;

/** A system or developer prompt is the caller's own rules for the model; everything else may carry an injection. */
const originOf = (slot: TextSlot): TextOrigin => (slot.role === "system" || slot.role === "developer" ? "operator" : "user");

/** Each text scored on its own; one at or above the threshold is an injection, reported by the scorer's rules. */
function injectionCheck({ action, threshold }: NonNullable<AiChecks["injection"]>): SlotCheck {
  return (_slots, findings) => {
    const texts: Counts = new Map();
    for (const { injection } of findings) {
      if (injection === undefined || injection.score < threshold) continue;
      for (const signal of injection.signals) add(texts, signal.rule);
    }
    const events = sortedKeys(texts).map((rule) => ({ rule: `prompt_injection.${rule}`, counts: { texts: texts.get(rule)! }, action }));
    return events.length > 0 && action === "block" ? { events, refusal: { code: "ai_prompt_injection", details: {} } } : { events };
  };
}

function contentCheck(options: NonNullable<AiChecks["contentFilter"]>): SlotCheck {
  const filter = compileContentFilter(options);
  return (slots) => {
    const matches: Counts = new Map();
    for (const slot of slots) for (const [rule, count] of filter.match(slot.text)) add(matches, rule, count);
    const rules = sortedKeys(matches);
    const events = rules.map((rule) => ({
      rule: `content_filter.${rule}`,
      counts: { matches: matches.get(rule)! },
      action: options.action,
    }));
    return rules.length > 0 && options.action === "block"
      ? { events, refusal: { code: "ai_content_blocked", details: { rules } } }
      : { events };
  };
}

/** A text's PII: counts by type, and the text masked when it holds any. */
type PiiOf = { counts: [PiiType, number][]; masked: string | undefined };

function piiOf(text: string): PiiOf {
  const findings = detectPii(text);
  if (findings.length === 0) return { counts: [], masked: undefined };
  return { counts: Object.entries(countByType(findings)) as [PiiType, number][], masked: maskText(text, findings) };
}

/** PII counts by type; with `mask`, the masked texts of the slots that hold any. */
function piiCheck({ action }: NonNullable<AiChecks["pii"]>): SlotCheck {
  return (slots, findings) => {
    const counts: Counts = new Map();
    const replacements: TextReplacement[] = [];
    findings.forEach(({ pii }, index) => {
      if (pii?.masked === undefined) return;
      for (const [type, count] of pii.counts) add(counts, type, count);
      if (action === "mask") replacements.push({ path: slots[index]!.path, text: pii.masked });
    });
    const types = sortedKeys(counts);
    if (types.length === 0) return { events: [] };
    const events = [{ rule: "pii", counts: Object.fromEntries(types.map((type) => [type, counts.get(type)!])), action }];
    return action === "block" ? { events, refusal: { code: "ai_pii_detected", details: { pii_types: types } } } : { events, replacements };
  };
}

/** What the memoised checks that are on find in a text of each origin. */
function findingsOf(checks: AiChecks): Record<TextOrigin, (text: string) => TextFindings> {
  const of = (origin: TextOrigin) => (text: string) => ({
    injection: checks.injection ? scoreInjection(text, origin) : undefined,
    pii: checks.pii ? piiOf(text) : undefined,
  });
  return { user: of("user"), operator: of("operator") };
}

/**
 * The decision on a body read by `readProviderRequest` (body.ts); undefined for a request without
 * a body. `scope` names the caller (its consumer, else its address): what the checks remember of
 * one caller's texts never answers another's (text-memo.ts).
 */
export type RequestInspector = (read: ReadRequest | undefined, scope: string) => RequestDecision;

export function requestInspector(checks: AiChecks): RequestInspector {
  // In the order their refusals win.
  const slotChecks: SlotCheck[] = [];
  if (checks.injection) slotChecks.push(injectionCheck(checks.injection));
  if (checks.contentFilter) slotChecks.push(contentCheck(checks.contentFilter));
  if (checks.pii) slotChecks.push(piiCheck(checks.pii));
  if (slotChecks.length === 0) return () => ({ kind: "pass", events: [] });
  const memo = new TextMemo<TextFindings>();
  const compute = findingsOf(checks);
  const memoised = checks.injection !== undefined || checks.pii !== undefined;

  return function inspectRequest(read, scope) {
    // Without a body (GET /v1/models) the model reads nothing of the client's.
    if (read === undefined) return { kind: "pass", events: [] };
    if (!read.ok) return read.refusal;
    const slots = read.request.texts;
    const findings = memoised
      ? slots.map((slot) => {
          const origin = originOf(slot);
          return memo.get(`${origin}:${scope}`, slot.text, compute[origin]);
        })
      : [];
    const verdicts = slotChecks.map((check) => check(slots, findings));
    const events = verdicts.flatMap((verdict) => verdict.events);
    const refused = verdicts.find((verdict) => verdict.refusal !== undefined)?.refusal;
    if (refused) return refusal(refused.code, refused.details, events);
    const replacements = verdicts.flatMap((verdict) => verdict.replacements ?? []);
    if (replacements.length > 0) return { kind: "rewrite", body: JSON.stringify(applyReplacements(read.body, replacements)), events };
    return { kind: "pass", events };
  };
}
