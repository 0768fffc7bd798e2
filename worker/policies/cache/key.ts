/**
 * Cache keys: URLs under a path prefix of the request's own host that no route serves
 * (`/__loom-edge-cache/`), so a key is never a client's URL and only this policy reads or writes
 * the entries, and Cloudflare's zone purge API can purge them all by prefix (`<host>/__loom-edge-cache/`).
 * A key holds
 * - the route id: two routes never share an entry, whatever their paths;
 * - the scope: the consumer's tenant when the route authenticated one, so tenants never share an
 *   entry (responses to authenticated requests are stored only when the upstream made them
 *   shareable, RFC 9111 §3.5, and even then only within the tenant);
 * - the request's host (lower case): the upstream sees it as X-Forwarded-Host and may build
 *   links or redirects from it, so a route that serves several hosts keeps them apart;
 * - the path as forwarded to the upstream (the spelling the router matched: `/API/x` and `/api/x`
 *   reach the same upstream resource and share an entry) and the query as sent;
 * - for a response with `Vary`, a digest of the varied request headers' values (variantKey).
 * No other request header is part of a key, so none may change what the upstream answers without
 * `Vary`: the proxy strips the client's X-Forwarded-Host, X-Original-URL and the like before the
 * upstream sees them (http/headers.ts), which closes the classic unkeyed-header poisoning.
 * A client can make as many keys as it has query strings (cache-key flooding): each one costs it
 * a request through the rate limits, and the data centre's cache evicts what is least used.
 */

import { sha256Hex } from "../../audit/chain";

/** The Cache-Tag of every stored entry: what the zone purge API deletes them all by. */
export const CACHE_TAG = "loom-edge-cache";

/** The path prefix of every key (README "Response cache": no route should serve it). */
export const KEY_PATH = "/__loom-edge-cache/";

export interface KeyParts {
  route: string;
  /** The tenant, or `-` for requests without one. */
  scope: string;
  /** The request's `host[:port]`, lower case. */
  host: string;
  /** The forwarded path, starting with `/`. */
  path: string;
  /** The raw query with its `?`, or "". */
  query: string;
}

/** The part of a key after its kind: route, scope, path and query. */
function resource(parts: KeyParts): string {
  return `${encodeURIComponent(parts.route)}/${encodeURIComponent(parts.scope)}${parts.path}${parts.query}`;
}

/** The key every request of the resource looks up first. */
export function baseKey(parts: KeyParts): string {
  return `https://${parts.host}${KEY_PATH}any/${resource(parts)}`;
}

/** `Vary`'s field names, lower case, sorted, each once (RFC 9110 §12.5.5). */
export function varyNames(vary: string | null): string[] {
  if (!vary) return [];
  const names = new Set(
    vary
      .split(",")
      .map((name) => name.trim().toLowerCase())
      .filter(Boolean),
  );
  return [...names].sort();
}

/** A digest of the request's values of the varied headers (absent and empty differ). */
export async function varyDigest(names: readonly string[], headers: Headers): Promise<string> {
  const text = names.map((name) => `${name}\n${headers.get(name) ?? "\u0000"}\n`).join("");
  return sha256Hex(text);
}

/** The key of one variant of a resource whose response varies on request headers. */
export function variantKey(parts: KeyParts, digest: string): string {
  return `https://${parts.host}${KEY_PATH}vary/${digest}/${resource(parts)}`;
}
