/**
 * The request path of the vault: on a route with `credential`, the calling consumer's tenant's
 * secret for the provider is decrypted and handed to the proxy as a header for the upstream
 * only (`c.var.upstreamHeaders`). Runs just before the proxy, after authentication.
 *
 * - The tenant is the one authentication set (`c.var.tenant`). Without one the request is
 *   refused (403): a route never falls back to a shared or another tenant's credential.
 * - The proxy sets the header after cleaning the client's headers, so it replaces the client's
 *   own copy and survives the removal of gateway credentials (a route authenticated with a
 *   JWT in `Authorization` can still send the provider key in `Authorization`).
 * - The plaintext lives for this request only: read and decrypted per request, never cached,
 *   dropped from the context once the upstream has answered, never logged.
 */
import type { Context, MiddlewareHandler } from "hono";
import type { AppEnv } from "../env";
import { httpError } from "../http/errors";
import { CredentialUnreadableError } from "./cipher";
import { credentialUnavailable, vaultUnavailable } from "./errors";
import { VaultUnavailableError } from "./keys";
import type { CredentialRef } from "./schema";
import { SECRET_PLACEHOLDER } from "./secret-placeholder";
import { readCredentialSecret } from "./store";

export interface CredentialInjectionOptions {
  /** The routes of the config; only `id` and `credential` are read. */
  routes: readonly { id: string; credential?: CredentialRef }[];
}

interface Injection {
  provider: string;
  header: string;
  /** The parts of `format` before and after `{secret}`. */
  before: string;
  after: string;
}

/**
 * The calling consumer's tenant's secret for `provider`, decrypted for this request only (the
 * caller must not keep it beyond the upstream call, nor log it). Refuses with 403
 * `tenant_required` without a tenant (never a shared or another tenant's secret), 403
 * `credential_missing` when the tenant stored none, 503 when the vault cannot be read.
 */
export async function tenantSecret(c: Context<AppEnv>, provider: string): Promise<string> {
  const tenant = c.get("tenant");
  if (!tenant) throw httpError("tenant_required");
  let secret: string | undefined;
  try {
    secret = await readCredentialSecret(c.env, tenant, provider);
  } catch (error) {
    if (error instanceof VaultUnavailableError) throw vaultUnavailable(error, c.get("requestId"), "gateway");
    if (error instanceof CredentialUnreadableError) throw credentialUnavailable(error, c.get("requestId"), tenant, provider);
    throw error;
  }
  if (secret === undefined) {
    throw httpError("credential_missing", `your tenant has no credential for provider "${provider}", which this route needs`, {
      extra: { provider },
    });
  }
  return secret;
}

export const credentialInjection = (options: CredentialInjectionOptions): MiddlewareHandler<AppEnv> => {
  const byRoute = new Map<string, Injection>();
  for (const route of options.routes) {
    if (!route.credential) continue;
    const { provider, header, format } = route.credential;
    const parts = format.split(SECRET_PLACEHOLDER);
    if (parts.length !== 2)
      throw new Error(`credentialInjection: route ${route.id}: format must contain ${SECRET_PLACEHOLDER} exactly once`);
    byRoute.set(route.id, { provider, header, before: parts[0]!, after: parts[1]! });
  }

  return async function credentialInjection(c, next) {
    const injection = byRoute.get(c.get("route")?.id ?? "");
    if (!injection) return next();
    const secret = await tenantSecret(c, injection.provider);
    // Concatenation, not String#replace: a `$&` or `$'` in a secret must stay literal.
    const value = injection.before + secret + injection.after;
    const others = c.get("upstreamHeaders");
    c.set("upstreamHeaders", [...(others ?? []), [injection.header, value]]);
    try {
      await next();
    } finally {
      c.set("upstreamHeaders", others);
    }
  };
};
