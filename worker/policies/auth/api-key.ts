/**
 * API keys: a key in the configured header (or, only when configured, a query parameter),
 * compared with the configured `${VAR}` keys through their SHA-256 digests in constant time,
 * every key compared, no early exit. A key that matches none is then looked up by its digest
 * in the consumer store, when one is plugged in (`lookupKeyHash`): the store holds only digests.
 * The consumer (and its tenant) can be passed upstream in the configured `consumer_headers`.
 */
import { resolveSecret, secretName } from "../../http/schema-kit/secrets";
import type { KeyHashLookup } from "../../consumers/stored-consumer";
import type { ApiKeyAuthConfig } from "./schema";
import { admit, headerSafe, refuse, sameDigest, sha256, type Identity, type Scheme } from "./scheme";
import { hex } from "../../http/hex";

export function apiKeyScheme(config: ApiKeyAuthConfig, lookupKeyHash?: KeyHashLookup): Scheme {
  /** Digests of the configured keys, per reference; recomputed only when the secret's value changes. */
  const digests = new Map<string, { value: string; digest: ArrayBuffer }>();

  function configuredKeys(env: Record<string, unknown>): Promise<{ name: string; digest: ArrayBuffer }[]> {
    return Promise.all(
      config.keys.map(async (ref) => {
        const value = resolveSecret(ref, env); // an unset key fails the request closed (500), never matches ""
        let entry = digests.get(ref);
        if (entry?.value !== value) {
          entry = { value, digest: await sha256(value) };
          digests.set(ref, entry);
        }
        return { name: secretName(ref), digest: entry.digest };
      }),
    );
  }

  function presentedKey(request: Request): string | null {
    const header = request.headers.get(config.header);
    if (header) return header;
    return config.query_param ? new URL(request.url).searchParams.get(config.query_param) : null;
  }

  function upstreamHeaders(consumer: string, tenant: string | undefined): Identity["headers"] {
    const { consumer: consumerHeader, tenant: tenantHeader } = config.consumer_headers;
    const headers: Identity["headers"] = [];
    if (consumerHeader) headers.push([consumerHeader, headerSafe(consumer)]);
    if (tenantHeader && tenant !== undefined) headers.push([tenantHeader, headerSafe(tenant)]);
    return headers;
  }

  return {
    name: "api_key",
    realm: config.realm,
    async verify(request, env, ctx) {
      const key = presentedKey(request);
      if (!key) return refuse("missing_credentials", false);
      const [digest, keys] = await Promise.all([sha256(key), configuredKeys(env)]);
      let consumer: string | undefined;
      for (const candidate of keys) {
        // All keys are compared, whatever the outcome, so the time taken says nothing about which.
        if (sameDigest(digest, candidate.digest)) consumer = candidate.name;
      }
      if (consumer !== undefined) return admit({ consumer, headers: upstreamHeaders(consumer, undefined) });
      const stored = lookupKeyHash ? await lookupKeyHash(hex(digest), env, ctx) : undefined;
      return stored ? admit({ ...stored, headers: upstreamHeaders(stored.consumer, stored.tenant) }) : refuse("invalid_key");
    },
  };
}
