/**
 * `ai_gateway.providers[].health_path`: a provider's active health checks, run as an upstream's
 * are (durable-objects/health-check.ts) by a CircuitBreaker object of its own, named
 * `ai-provider:<name>` (a name no upstream can have: `:` is not allowed in one). The pipeline
 * gives these specs to the circuit breakers, whose isolate copies carry the verdicts: routing
 * reads them without a call to the object (a stale copy is refreshed in the background).
 *
 * Loom's config names only the path, so the rest is fixed (README, "AI gateway"):
 * - every PROVIDER_HEALTH.intervalMs (15 s): one check per provider per interval for the whole
 *   deployment (one object, not one per isolate), 4 a minute, nothing against a provider's
 *   rate limits;
 * - PROVIDER_HEALTH.timeoutMs (5 s): a provider is a remote API, often hundreds of ms away; a
 *   slow answer is not yet a dead one;
 * - down after 3 failed checks in a row, back after 2 passed ones (the upstreams' defaults,
 *   Envoy's rule): one lost check moves no traffic, a dead provider is skipped within about 45 s
 *   and a recovered one back within about 30 s.
 * Only a 2xx passes (a redirect is not followed). The check carries the provider's key only when
 * `api_key` is a `${VAR}` (the object reads the variable itself); a vault-keyed provider's key
 * belongs to one tenant and never goes into a shared check, so it is checked without one: give
 * it a path that needs no key (a `/health`), or a 401 marks it down. It carries what the API
 * needs on every request and holds no secret (`anthropic-version` for Anthropic,
 * `OpenAI-Organization` for `org_id`), not the provider's `headers`: their values may come from
 * Worker secrets (`${VAR}`), and the spec is kept in the object's storage.
 */
import type { HealthCheckSpec } from "../../../durable-objects/health-check";
import { SECRET_REF_PATTERN, secretName } from "../../http/schema-kit/secrets";
import { parseEndpoint, upstreamUrl } from "../../http/upstream-url";
import { ANTHROPIC_VERSION, keyHeader, organizationHeader, type ProviderTarget } from "./providers";
import type { AiProvider } from "./schema";

export const PROVIDER_HEALTH = { intervalMs: 15_000, timeoutMs: 5_000, healthyThreshold: 2, unhealthyThreshold: 3 } as const;

/** The CircuitBreaker object of a provider's health checks. */
export const providerHealthObject = (provider: string) => `ai-provider:${provider}`;

/** The checks of a provider with `health_path`; its one endpoint is known by the provider's name. */
export function providerHealthSpec(provider: AiProvider): HealthCheckSpec | undefined {
  if (provider.health_path === undefined) return undefined;
  const { api_key: apiKey } = provider;
  // keyHeader with an empty key: the header's name and what precedes the key in its value.
  const [header, prefix] = keyHeader(provider.provider, "");
  const headers: [string, string][] = [
    ...(provider.provider === "anthropic" ? [["anthropic-version", ANTHROPIC_VERSION] as [string, string]] : []),
    ...organizationHeader(provider),
  ];
  return {
    ...PROVIDER_HEALTH,
    targets: [
      {
        endpoint: provider.name,
        url: upstreamUrl(parseEndpoint(provider.endpoint), provider.health_path, ""),
        ...(apiKey !== undefined && SECRET_REF_PATTERN.test(apiKey) && { credential: { header, prefix, variable: secretName(apiKey) } }),
        ...(headers.length > 0 && { headers }),
      },
    ],
  };
}

/**
 * `order` with the providers whose checks say they are down moved last, keeping the strategy's
 * order among each: they are skipped while another is up, and still the last fallbacks. When
 * every one is down they are all tried in the strategy's order: the checks are a forecast and
 * the request's own attempt the proof, so failing open keeps a broken health endpoint from
 * becoming an outage.
 */
export function upFirst(order: readonly ProviderTarget[], isDown: (provider: string) => boolean): readonly ProviderTarget[] {
  const down = order.filter((target) => isDown(target.name));
  return down.length === 0 ? order : [...order.filter((target) => !down.includes(target)), ...down];
}
