/**
 * Audit details must never hold a secret: the row is immutable, so a secret written once
 * could never be removed. Keys named like a credential (SENSITIVE_NAME, the log redaction's
 * own definition) are dropped at any depth, and string values go through the log redaction
 * (Bearer/Basic credentials, JWTs, provider key formats, `token=…` parameters).
 */
import { redactText, SENSITIVE_NAME } from "../observability/redact";

export function scrubDetails(value: unknown): unknown {
  if (typeof value === "string") return redactText(value);
  if (Array.isArray(value)) return value.map(scrubDetails);
  if (value !== null && typeof value === "object") {
    const kept: Record<string, unknown> = {};
    for (const [key, item] of Object.entries(value)) {
      if (!SENSITIVE_NAME.test(key)) kept[key] = scrubDetails(item);
    }
    return kept;
  }
  return value;
}
