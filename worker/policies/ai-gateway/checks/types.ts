import type { ERROR_CATALOGUE } from "../../../http/error-catalogue";

/**
 * The checks a route's AI traffic goes through, normalised from `ai_gateway.security` (and
 * Loom's `prompt_guard`) by the caller. An absent check is off.
 */
export interface AiChecks {
  injection?: { action: "block" | "log"; threshold: number };
  contentFilter?: { action: "block" | "log"; denyList: string[]; categories: string[] };
  /** `responses`: mask (or, with `log`, count) PII in what the model writes too. */
  pii?: { action: "mask" | "block" | "log"; responses: boolean };
}

export type AiCheckAction = "block" | "log" | "mask";

/**
 * One audit fact of a decision: a rule id and counts, never a value or any text of the prompt.
 * Rule ids (from the code and the config, never from the client):
 * - `request_not_understood`: a body the checks cannot read (not JSON, duplicate keys, an
 *   unknown shape); action `block`;
 * - `pii` (prompts) and `pii.response` (what the model wrote): `counts` by PII type (`EMAIL`, ...);
 * - `prompt_injection.<scorer rule>` (e.g. `prompt_injection.override.ignore-instructions`): one
 *   per rule that fired in a text scored at or above the threshold; `counts.texts`, how many texts;
 * - `content_filter.<category>` or `content_filter.deny_list`: `counts.matches`.
 * `action` is what the check is configured to do (`log`: recorded only).
 */
export interface AiCheckEvent {
  rule: string;
  counts?: Record<string, number>;
  action: AiCheckAction;
}

/** The error codes a request check refuses with (400 each; the caller answers `httpError(code, message, { extra: details })`). */
export type AiRefusalCode =
  "invalid_json" | "duplicate_key" | "ai_request_not_understood" | "ai_pii_detected" | "ai_prompt_injection" | "ai_content_blocked";

export type RequestDecision =
  | { kind: "pass"; events: AiCheckEvent[] }
  /** The body to forward instead: PII masked in its texts, every other byte of meaning unchanged. */
  | { kind: "rewrite"; body: string; events: AiCheckEvent[] }
  | {
      kind: "refuse";
      status: (typeof ERROR_CATALOGUE)[AiRefusalCode]["status"];
      code: AiRefusalCode;
      message: string;
      /** Fields for the error body: `reason`, `pii_types` or `rules`; never a value of the request. */
      details: Record<string, unknown>;
      events: AiCheckEvent[];
    };
