/**
 * # AI gateway checks: PII, prompt injection and content decisions (issue 15)
 *
 * `compileAiChecks(checks)`, once per config version (it builds the content filter's phrase
 * trie; bad configuration throws here), returns:
 *
 * - `inspectRequest(readProviderRequest(path, body), scope)`: the decision on one provider request, read
 *   once (body.ts) from its bytes and the path after the route's prefix (`/v1/chat/completions`,
 *   ...); the AI gateway's step reads it so for its own checks too:
 *   - `{ kind: "pass" }`; `{ kind: "rewrite", body }`: forward this body instead (PII masked);
 *     `{ kind: "refuse", status, code, message, details }`: answer
 *     `httpError(code, message, { extra: details })`, never forward;
 *   - and always `events`: the audit facts (types.ts: rule ids and counts, never a value).
 *   What the injection scorer and the PII detectors find in a text is remembered per caller
 *   (`scope`) for the next request that sends it again (text-memo.ts).
 *   With no check on, every request passes unread. With any check on, the body must be a
 *   provider request the shapes understand (body.ts: else 400, fail closed), and EVERY text the
 *   model reads goes through each check: system prompts, messages and their content parts, tool
 *   calls and tool results, documents, Responses `instructions` / `input` / prompt variables,
 *   Embeddings `input` (shapes/index.ts lists them). Images, audio and files pass unchecked.
 *   - injection (`block` 400 `ai_prompt_injection` | `log`): each text scored on its own by
 *     prompt-injection/; a text at or above `threshold` (in (0, 1]; the scorer's default 0.5)
 *     is an injection, reported by the scorer's rule ids;
 *   - content filter (`block` 400 `ai_content_blocked` with `rules` | `log`): content-filter/,
 *     the operator's `denyList` and built-in `categories`;
 *   - PII (`mask` | `block` 400 `ai_pii_detected` with `pii_types`, the kinds and never the
 *     values | `log`): pii/; `mask` replaces each finding in its text by `[EMAIL]`, `[PHONE]`,
 *     `[CREDIT_CARD]`, `[US_SSN]`, `[IBAN]`, `[IP_ADDRESS]` or `[SECRET]`; the body stays valid
 *     JSON with every other field, role and key order as sent.
 *   Every check runs, so the events hold all that was found; the first refusal wins in that
 *   order (request.ts).
 * - `responseMasker()`: undefined unless `pii.responses`; else `maskJson(api, body)` for a JSON
 *   completion and `maskStream(api, onEvents)`, a TransformStream for an SSE one
 *   (response-stream.ts says how much it holds back, and where the rest goes). On responses,
 *   `mask` and `block` both mask (what the model wrote cannot be refused once a stream has
 *   started, and withholding the values is what `block` is for); `log` counts only. Their audit
 *   fact is `pii.response`.
 *
 * Not looked at in responses: tool-call arguments (masking them would break the call an
 * application makes with them), refusals, reasoning summaries and Anthropic `thinking` blocks.
 * Chat Completions' `logprobs` repeat the text token by token: with `mask` they are sent as null
 * (in a stream always, in a JSON completion once one of its texts was masked).
 *
 * Cost: linear in the texts (each detector, the scorer and the filter are); a 1 MB prompt is
 * checked (request.test.ts). The caller bounds the body's size before reading it.
 */
import type { ProviderApi } from "../shapes";
import { maskJsonResponse } from "./response-json";
import { maskedSseStream } from "./response-stream";
import { requestInspector, type RequestInspector } from "./request";
import type { AiCheckEvent, AiChecks } from "./types";

export type { AiCheckAction, AiCheckEvent, AiChecks, AiRefusalCode, RequestDecision } from "./types";
export { readProviderRequest, type ReadRequest } from "./body";

export interface ResponseMasker {
  /** A JSON completion's body with PII in the model's texts masked (or, with `log`, as it came), and its audit facts. */
  maskJson(api: ProviderApi, body: string): { body: string; events: AiCheckEvent[] };
  /** An SSE completion's body through this; `onEvents` gets the audit facts once the stream has ended. */
  maskStream(api: ProviderApi, onEvents: (events: AiCheckEvent[]) => void): TransformStream<Uint8Array, Uint8Array>;
}

export interface CompiledAiChecks {
  inspectRequest: RequestInspector;
  responseMasker(): ResponseMasker | undefined;
}

export function compileAiChecks(checks: AiChecks): CompiledAiChecks {
  const inspectRequest = requestInspector(checks);
  const pii = checks.pii;
  const masker: ResponseMasker | undefined = pii?.responses
    ? {
        maskJson(api, body) {
          const masked = maskJsonResponse(api, body, pii.action !== "log");
          return { body: masked.body, events: responseEvents(Object.fromEntries(masked.counts), pii.action) };
        },
        maskStream(api, onEvents) {
          return maskedSseStream(api, pii.action !== "log", (counts) => onEvents(responseEvents(counts, pii.action)));
        },
      }
    : undefined;
  return { inspectRequest, responseMasker: () => masker };
}

function responseEvents(counts: Record<string, number>, action: AiCheckEvent["action"]): AiCheckEvent[] {
  const types = Object.keys(counts).sort();
  return types.length === 0
    ? []
    : [{ rule: "pii.response", counts: Object.fromEntries(types.map((type) => [type, counts[type]!])), action }];
}
