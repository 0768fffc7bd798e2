/** The append-only, hash-chained audit log in D1 (storage-schema.md, table audit_log). */
export { writeAuditEvent, appendAuditEvents, AuditVersionConflictError } from "./writer";
export { verifyAuditChain, auditRowHash, GENESIS_HASH, type BrokenReason, type ChainVerification } from "./chain";
export type { AuditStore } from "./anchor";
export type { AuditEvent, AuditEventName, AuditRow } from "./types";
