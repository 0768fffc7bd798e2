/**
 * PII in a JSON completion (not streamed): each text the model wrote (response-texts.ts) is
 * scanned; with `mask` its findings are replaced by typed placeholders (`[EMAIL]`, ...), the rest
 * of the body unchanged (shapes' applyReplacements) but Chat Completions' `logprobs`, which
 * repeat the text token by token and are then sent as null; with `log` they are only counted. A body
 * that is not JSON, or holds no such text (an error, embeddings), is returned as it came.
 */
import { isRecord } from "../../../http/json-value";
import { countByType, detectPii, maskText, type PiiType } from "../pii";
import { applyReplacements, type ProviderApi, type TextReplacement } from "../shapes";
import { outputTexts } from "./response-texts";

export interface MaskedText {
  text: string;
  counts: Partial<Record<PiiType, number>>;
}

/** `text` with its PII masked (when `mask`), and the findings' counts by type. */
export function maskedText(text: string, mask: boolean): MaskedText {
  const findings = detectPii(text);
  if (findings.length === 0) return { text, counts: {} };
  return { text: mask ? maskText(text, findings) : text, counts: countByType(findings) };
}

export function addCounts(into: Map<string, number>, counts: Partial<Record<string, number>>): void {
  for (const [type, count] of Object.entries(counts)) into.set(type, (into.get(type) ?? 0) + (count ?? 0));
}

/** The texts of `body` (a parsed response of `api`) masked; undefined when nothing changed. */
export function maskedResponse(api: ProviderApi, body: unknown, mask: boolean, counts: Map<string, number>): unknown {
  const replacements: TextReplacement[] = [];
  for (const { path, text } of outputTexts(api, body)) {
    const masked = maskedText(text, mask);
    addCounts(counts, masked.counts);
    if (masked.text !== text) replacements.push({ path, text: masked.text });
  }
  return replacements.length === 0 ? undefined : applyReplacements(body, replacements);
}

/** A JSON response body with PII masked (or counted): the body to send, and the counts by type. */
export function maskJsonResponse(api: ProviderApi, body: string, mask: boolean): { body: string; counts: Map<string, number> } {
  const counts = new Map<string, number>();
  let parsed: unknown;
  try {
    parsed = JSON.parse(body);
  } catch {
    return { body, counts };
  }
  const masked = maskedResponse(api, parsed, mask, counts);
  if (masked === undefined) return { body, counts };
  return { body: JSON.stringify(api === "openai-chat" ? withoutLogprobs(masked) : masked), counts };
}

/** Chat Completions' `logprobs` repeat each choice's text token by token: once the text is masked, they are sent as null. */
function withoutLogprobs(body: unknown): unknown {
  if (!isRecord(body) || !Array.isArray(body.choices)) return body;
  const choices = body.choices.map((choice: unknown) =>
    isRecord(choice) && choice.logprobs !== null && choice.logprobs !== undefined ? { ...choice, logprobs: null } : choice,
  );
  return { ...body, choices };
}
