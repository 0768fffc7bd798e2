/** The append-only, hash-chained audit log in D1 (storage-schema.md, table audit_log). */
export { writeAuditEvent, appendAuditEvents, AuditVersionConflictError } from "./writer";
export { verifyAuditChain, auditRowHash, GENESIS_HASH, type ChainVerification } from "./chain";
export type { AuditEvent, AuditEventName, AuditRow } from "./types";
