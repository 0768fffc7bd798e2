/**
 * Audit details must never hold a secret: the row is immutable, so a secret written once
 * could never be removed. Keys named like a credential are dropped at any depth, and string
 * values go through the log redaction (Bearer/Basic credentials, JWTs, provider key formats,
 * `token=…` parameters).
 */
import { redactText } from "../observability/redact";

const CREDENTIAL_KEY = /pass(word|phrase)?|secret|token|key|authori[sz]ation|cookie|credential|signature/i;

export function scrubDetails(value: unknown): unknown {
  if (typeof value === "string") return redactText(value);
  if (Array.isArray(value)) return value.map(scrubDetails);
  if (value !== null && typeof value === "object") {
    const kept: Record<string, unknown> = {};
    for (const [key, item] of Object.entries(value)) {
      if (!CREDENTIAL_KEY.test(key)) kept[key] = scrubDetails(item);
    }
    return kept;
  }
  return value;
}
