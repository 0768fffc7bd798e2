/**
 * The answers when the vault cannot serve. The operator learns everything from the log line
 * (the variable and what is wrong with it, or the row and why it cannot be decrypted); the
 * admin API also says it in the body; a gateway client only learns that the vault failed.
 * No answer or log line ever holds a key or a secret.
 */
import { httpError } from "../http/errors";
import type { CredentialUnreadableError } from "./cipher";
import type { VaultUnavailableError } from "./keys";
import { log } from "../observability/logger";

/** 503 `vault_unavailable`: VAULT_ROOT_KEY (or _PREVIOUS) unset or unusable. */
export function vaultUnavailable(error: VaultUnavailableError, requestId: string | undefined, audience: "admin" | "gateway") {
  log.error("vault_unavailable", { request_id: requestId, variable: error.variable, problem: error.problem });
  return audience === "admin"
    ? httpError("vault_unavailable", `the credential vault is unavailable: ${error.message}`, {
        extra: { variable: error.variable },
      })
    : httpError("vault_unavailable");
}

/** 503 `credential_unavailable`: the stored credential cannot be decrypted (see the log for why). */
export function credentialUnavailable(error: CredentialUnreadableError, requestId: string | undefined, tenant: string, provider: string) {
  log.error("credential_unreadable", { request_id: requestId, tenant, provider, reason: error.reason, root_key_id: error.rootKeyId });
  return httpError("credential_unavailable");
}
