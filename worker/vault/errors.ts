/**
 * The answers when the vault cannot serve. The operator learns everything from the log line
 * (the variable and what is wrong with it, or the row and why it cannot be decrypted); the
 * admin API also says it in the body; a gateway client only learns that the vault failed.
 * No answer or log line ever holds a key or a secret.
 */
import { gatewayError } from "../http/errors";
import type { CredentialUnreadableError } from "./cipher";
import type { VaultUnavailableError } from "./keys";

function logError(fields: Record<string, unknown>): void {
  console.error(JSON.stringify({ level: "error", ...fields }));
}

/** 503 `vault_unavailable`: VAULT_ROOT_KEY (or _PREVIOUS) unset or unusable. */
export function vaultUnavailable(error: VaultUnavailableError, requestId: string | undefined, audience: "admin" | "gateway") {
  logError({ request_id: requestId, error: "vault_unavailable", variable: error.variable, problem: error.problem });
  return audience === "admin"
    ? gatewayError(503, "vault_unavailable", `the credential vault is unavailable: ${error.message}`, {
        extra: { variable: error.variable },
      })
    : gatewayError(503, "vault_unavailable", "the credential vault of the gateway is not configured; the operator has been told");
}

/** 503 `credential_unavailable`: the stored credential cannot be decrypted (see the log for why). */
export function credentialUnavailable(error: CredentialUnreadableError, requestId: string | undefined, tenant: string, provider: string) {
  logError({ request_id: requestId, error: "credential_unreadable", tenant, provider, reason: error.reason, root_key_id: error.rootKeyId });
  return gatewayError(503, "credential_unavailable", "the credential this route uses cannot be read; the operator has been told");
}
