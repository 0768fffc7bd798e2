/**
 * The AI cache's keys. Two digests of one request:
 *
 * - the exact key: tenant, provider, API path, model, the `vary_by_headers` values and the whole
 *   body in canonical JSON (members sorted, so `{"a":1,"b":2}` and `{"b":2,"a":1}` are one
 *   request; arrays keep their order, since the order of messages is the conversation);
 * - the semantic scope (computed only on an exact miss with semantic matching on, the one place
 *   it is used): the same with every text the model reads blanked. Two requests in one
 *   scope differ only in their texts (same tenant, provider, model, sampling options, tools,
 *   roles and turn structure), which is the only case a similar prompt may be answered from
 *   another's entry.
 *
 * Both are SHA-256 hex (64 characters): never a prompt in a URL, a log or a vector id.
 */
import { canonicalJson } from "../../../audit/canonical";
import { applyReplacements, type RecognisedRequest } from "../shapes";

export interface AiCacheRequest {
  /** The consumer's tenant; undefined for a request without one (its own scope, never a tenant's). */
  tenant: string | undefined;
  /** The provider's name in the config. */
  provider: string;
  /** The path as forwarded to the provider (the API it names). */
  path: string;
  /** The parsed JSON body, as it will be sent. */
  body: unknown;
  recognised: RecognisedRequest;
  /** The request's headers, for `vary_by_headers`. */
  headers: Headers;
}

export interface AiCacheKeys {
  exact: string;
}

/** How a key is digested: SHA-256 hex (AiCache's `digest` option). */
export type Digest = (text: string) => Promise<string>;

/** `vary_by_headers`' names, lower case, sorted, each once; an absent header and an empty one differ. */
function variedValues(names: readonly string[], headers: Headers): [string, string | null][] {
  return [...new Set(names.map((name) => name.toLowerCase()))].sort().map((name) => [name, headers.get(name)]);
}

/** The canonical JSON both digests hash: the request's identity with `body` as given. */
function keyed(request: AiCacheRequest, varyByHeaders: readonly string[], body: unknown): string {
  const { tenant, provider, path, recognised, headers } = request;
  return canonicalJson({
    v: 1,
    tenant: tenant ?? null,
    provider,
    path,
    model: recognised.model ?? null,
    vary: variedValues(varyByHeaders, headers),
    body,
  });
}

/** The exact key. */
export async function aiCacheKeys(request: AiCacheRequest, varyByHeaders: readonly string[], digest: Digest): Promise<AiCacheKeys> {
  return { exact: await digest(keyed(request, varyByHeaders, request.body)) };
}

/** The prompt's texts, one line per slot (`role: text`), which semantic matching embeds: built only where it does. */
export function semanticPrompt(request: AiCacheRequest): string {
  return request.recognised.texts.map((slot) => `${slot.role ?? slot.kind}: ${slot.text}`).join("\n");
}

/**
 * The semantic scope: a second canonicalisation and digest of the whole body, so it is computed
 * only where semantic matching will use it (an exact miss of a prompt short enough to embed).
 */
export function aiCacheScope(request: AiCacheRequest, varyByHeaders: readonly string[], digest: Digest): Promise<string> {
  const blanked = applyReplacements(
    request.body,
    request.recognised.texts.map((slot) => ({ path: slot.path, text: "" })),
  );
  return digest(keyed(request, varyByHeaders, blanked));
}
