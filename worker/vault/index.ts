/**
 * The per-tenant credential vault (storage-schema.md, table credentials; SECURITY.md): the
 * request path's injection, and what the admin API (worker/admin/credentials.ts) needs.
 */
export { credentialInjection, tenantSecret } from "./inject";
export { loadKeyRing, VaultUnavailableError } from "./keys";
export { vaultUnavailable } from "./errors";
export { credentialInfo, deleteCredential, listCredentials, putCredential, secretProblem } from "./store";
export { rotateBatch } from "./rotate";
