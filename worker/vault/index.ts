/** The per-tenant credential vault (storage-schema.md, table credentials; SECURITY.md). */
export { credentialInjection, type CredentialInjectionOptions } from "./inject";
export { credentialRefSchema, providerName, PROVIDER_PATTERN, type CredentialRef } from "./schema";
export { loadKeyRing, VaultUnavailableError, ROOT_KEY_VARIABLE, PREVIOUS_ROOT_KEY_VARIABLE, type KeyRing } from "./keys";
export { CredentialUnreadableError } from "./cipher";
export { vaultUnavailable } from "./errors";
export { credentialInfo, deleteCredential, listCredentials, putCredential, secretProblem, MAX_SECRET_LENGTH, type CredentialInfo } from "./store";
export { rotateBatch, DEFAULT_ROTATION_BATCH, MAX_ROTATION_BATCH, type RotationResult } from "./rotate";
