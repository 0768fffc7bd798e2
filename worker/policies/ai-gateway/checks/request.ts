/**
 * The decision on one provider request: every text slot the model reads (shapes/) goes through
 * each check that is on, each text on its own (a text is what the scorer and the detectors were
 * measured on). All checks run, so the audit facts say everything that was found; then the first
 * refusal in this order wins: prompt injection, content filter, PII `block`. Otherwise PII
 * `mask` rewrites the slots that hold findings (typed placeholders, shapes' applyReplacements:
 * every other field, key order and role unchanged), and anything else passes.
 */
import { compileContentFilter, type ContentFilter } from "../content-filter";
import { countByType, detectPii, maskText, type PiiType } from "../pii";
import { scoreInjection } from "../prompt-injection";
import { applyReplacements, type TextReplacement, type TextSlot } from "../shapes";
import { readProviderRequest, refusal } from "./body";
import type { AiCheckEvent, AiChecks, RequestDecision } from "./types";

type Counts = Map<string, number>;

const add = (counts: Counts, key: string, by = 1) => counts.set(key, (counts.get(key) ?? 0) + by);

/** Keys in a stable order, so events and error bodies do not depend on the order of the texts. */
const sortedKeys = (counts: Counts): string[] => [...counts.keys()].sort();

/** What the injection check found: texts scored at or above the threshold, by scorer rule. */
function injectionFindings(slots: readonly TextSlot[], threshold: number): Counts {
  const texts: Counts = new Map();
  for (const slot of slots) {
    const { score, signals } = scoreInjection(slot.text);
    if (score < threshold) continue;
    for (const signal of signals) add(texts, signal.rule);
  }
  return texts;
}

function contentFindings(slots: readonly TextSlot[], filter: ContentFilter): Counts {
  const matches: Counts = new Map();
  for (const slot of slots) for (const [rule, count] of filter.match(slot.text)) add(matches, rule, count);
  return matches;
}

/** PII counts by type, and (when `mask`) the masked texts of the slots that hold any. */
function piiFindings(slots: readonly TextSlot[], mask: boolean): { counts: Counts; replacements: TextReplacement[] } {
  const counts: Counts = new Map();
  const replacements: TextReplacement[] = [];
  for (const slot of slots) {
    const findings = detectPii(slot.text);
    if (findings.length === 0) continue;
    for (const [type, count] of Object.entries(countByType(findings)) as [PiiType, number][]) add(counts, type, count);
    if (mask) replacements.push({ path: slot.path, text: maskText(slot.text, findings) });
  }
  return { counts, replacements };
}

export type RequestInspector = (path: string, body: Uint8Array | string) => RequestDecision;

export function requestInspector(checks: AiChecks): RequestInspector {
  const { injection, pii } = checks;
  const contentFilter = checks.contentFilter && {
    action: checks.contentFilter.action,
    filter: compileContentFilter(checks.contentFilter),
  };
  if (!injection && !contentFilter && !pii) return () => ({ kind: "pass", events: [] });

  return function inspectRequest(path, body) {
    const read = readProviderRequest(path, body);
    if (!read.ok) return read.refusal;
    const slots = read.request.texts;
    const events: AiCheckEvent[] = [];

    const injected = injection ? injectionFindings(slots, injection.threshold) : new Map<string, number>();
    for (const rule of sortedKeys(injected))
      events.push({ rule: `prompt_injection.${rule}`, counts: { texts: injected.get(rule)! }, action: injection!.action });

    const matched = contentFilter ? contentFindings(slots, contentFilter.filter) : new Map<string, number>();
    for (const rule of sortedKeys(matched))
      events.push({ rule: `content_filter.${rule}`, counts: { matches: matched.get(rule)! }, action: contentFilter!.action });

    const found = pii ? piiFindings(slots, pii.action === "mask") : { counts: new Map<string, number>(), replacements: [] };
    const piiTypes = sortedKeys(found.counts);
    if (piiTypes.length > 0)
      events.push({
        rule: "pii",
        counts: Object.fromEntries(piiTypes.map((type) => [type, found.counts.get(type)!])),
        action: pii!.action,
      });

    if (injected.size > 0 && injection!.action === "block") return refusal("ai_prompt_injection", {}, events);
    if (matched.size > 0 && contentFilter!.action === "block") return refusal("ai_content_blocked", { rules: sortedKeys(matched) }, events);
    if (piiTypes.length > 0 && pii!.action === "block") return refusal("ai_pii_detected", { pii_types: piiTypes }, events);
    if (found.replacements.length > 0)
      return { kind: "rewrite", body: JSON.stringify(applyReplacements(read.body, found.replacements)), events };
    return { kind: "pass", events };
  };
}
