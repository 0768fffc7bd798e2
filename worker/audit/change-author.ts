/** Who asks for an admin change, as its audit row records it, and the refusal when that row cannot be written. */
import { httpError } from "../http/errors";
import { errorName, log } from "../observability/logger";

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
  log.error("audit_unavailable", { name: errorName(error) });
  return httpError("audit_unavailable");
}
