/** Who asks for an admin change, as its audit row records it, and the refusal when that row cannot be written. */
import { gatewayError } from "../http/errors";

/** Who asks for a change; recorded in its audit row. */
export interface ChangeAuthor {
  /** `token` or `basic:<username>`. */
  actor: string;
  ip: string;
  userAgent: string;
  requestId: string;
}

/** The answer to a change whose audit row cannot be written: refused, nothing changed. */
export function auditUnavailable(error: unknown) {
  console.error(JSON.stringify({ level: "error", error: "audit_unavailable", name: error instanceof Error ? error.name : typeof error }));
  return gatewayError(503, "audit_unavailable", "the audit log cannot be written, so the change was refused; nothing changed");
}
