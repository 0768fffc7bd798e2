/**
 * The providers of `ai_gateway.providers[]` as the forwarding reads them, built once per config
 * version: the parsed endpoint, the attempt timeout, where the key comes from, and the headers
 * every request to the provider carries.
 *
 * The key travels in the header each provider's API documents: OpenAI and compatible servers
 * `Authorization: Bearer <key>` (RFC 6750 §2.1) with `OpenAI-Organization` for `org_id`; Azure
 * OpenAI `api-key`; Anthropic `x-api-key`. It is read per request (a `${VAR}` secret from the
 * Worker's environment, or the calling tenant's vault credential) and never cached.
 */
import type { Context } from "hono";
import type { AppEnv } from "../../env";
import { httpError } from "../../http/errors";
import { resolveSecret, SECRET_REF_PATTERN, SecretUnavailableError, VAULT_REF_PATTERN } from "../../http/schema-kit/secrets";
import { parseEndpoint, type UpstreamEndpoint } from "../../http/upstream-url";
import { tenantSecret } from "../../vault";
import type { AiProvider, ProviderKind } from "./schema";

/** Where a provider's key comes from. */
export type KeySource = { from: "none" } | { from: "variable"; ref: string } | { from: "vault"; provider: string };

export interface ProviderTarget {
  /** Its position in `ai_gateway.providers`: the tie-breaker of every strategy. */
  index: number;
  name: string;
  kind: ProviderKind;
  endpoint: UpstreamEndpoint;
  /** Milliseconds: the wait for the response headers, then for each body chunk. */
  timeout: number;
  key: KeySource;
  /** `headers` and `OpenAI-Organization`, set on every request to it. */
  headers: readonly (readonly [string, string])[];
  weight: number;
  priority: number;
  costPer1k?: number;
  /** `rate_limit`: requests per minute, on a budget of its own (budgets/). */
  requestsPerMinute?: number;
}

/** Anthropic's API refuses a request without a version; the one its documentation pins. */
export const ANTHROPIC_VERSION = "2023-06-01";

/** The client's headers that carry credentials of some provider: the gateway's own, never forwarded. */
export const PROVIDER_KEY_HEADERS = ["authorization", "x-api-key", "api-key"] as const;

function keySource(apiKey: string | undefined): KeySource {
  if (apiKey === undefined) return { from: "none" };
  if (SECRET_REF_PATTERN.test(apiKey)) return { from: "variable", ref: apiKey };
  const vault = VAULT_REF_PATTERN.exec(apiKey);
  if (vault) return { from: "vault", provider: vault[1]! };
  // The schema admits nothing else: a bug, never a key taken literally.
  throw new Error("ai_gateway: api_key is neither ${VAR} nor vault:<provider>");
}

const speaksOpenAi = (kind: ProviderKind) => kind === "openai" || kind === "openai_compatible" || kind === "local";

/** `OpenAI-Organization` for `org_id`, on APIs that speak OpenAI's. */
export function organizationHeader(provider: Pick<AiProvider, "provider" | "org_id">): [string, string][] {
  return provider.org_id !== undefined && speaksOpenAi(provider.provider) ? [["OpenAI-Organization", provider.org_id]] : [];
}

export function providerTargets(providers: readonly AiProvider[], requestTimeout: number): ProviderTarget[] {
  return providers.map((provider, index) => ({
    index,
    name: provider.name,
    kind: provider.provider,
    endpoint: parseEndpoint(provider.endpoint),
    timeout: provider.timeout ?? requestTimeout,
    key: keySource(provider.api_key),
    headers: [...Object.entries(provider.headers), ...organizationHeader(provider)],
    weight: provider.weight,
    priority: provider.priority,
    costPer1k: provider.cost_per_1k,
    requestsPerMinute: provider.rate_limit,
  }));
}

/** The header that carries `key` to a provider of `kind`. */
export function keyHeader(kind: ProviderKind, key: string): readonly [string, string] {
  if (kind === "azure") return ["api-key", key];
  if (kind === "anthropic") return ["x-api-key", key];
  return ["Authorization", `Bearer ${key}`];
}

/**
 * The provider's key for this request, or undefined for a provider without one. An unset
 * `${VAR}` is 503 `variable_unavailable` (the operator must set it); a vault key needs the
 * caller's tenant (tenantSecret: 403 without one, never a fallback).
 */
export async function providerKey(c: Context<AppEnv>, target: ProviderTarget): Promise<string | undefined> {
  if (target.key.from === "none") return undefined;
  if (target.key.from === "vault") return tenantSecret(c, target.key.provider);
  try {
    return resolveSecret(target.key.ref, c.env as unknown as Record<string, unknown>);
  } catch (error) {
    if (error instanceof SecretUnavailableError) throw httpError("variable_unavailable");
    throw error;
  }
}
