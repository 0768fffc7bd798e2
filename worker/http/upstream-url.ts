/**
 * The upstream URL of a request. The scheme, host and port come only from the configured
 * endpoint; the client contributes a normalised path and the query, joined by string
 * concatenation (never `new URL(path, base)`, which lets `//evil.example/x` or an absolute URL
 * replace the authority).
 */
import { normalizePath } from "../http/normalize";

export interface UpstreamEndpoint {
  /** `scheme://host[:port]`. */
  origin: string;
  /** The endpoint's base path without a trailing slash: "" or e.g. `/v1`. */
  basePath: string;
}

/** The URL an endpoint string stands for, or undefined when it is not one. */
export function endpointUrl(value: string): URL | undefined {
  const text = /^[a-z][a-z0-9+.-]*:\/\//i.test(value) ? value : `http://${value}`;
  try {
    const url = new URL(text);
    if (url.protocol !== "http:" && url.protocol !== "https:") return undefined;
    if (!url.hostname) return undefined;
    return url;
  } catch {
    return undefined;
  }
}

/** Why an endpoint string is refused (no value quoted), or undefined for a good one. */
export function endpointProblem(value: string): string | undefined {
  const url = endpointUrl(value);
  if (!url) return "must be host:port or an http(s) URL";
  // WHATWG URLs take `$`, `{`, `!`… in a host name; no DNS name or address holds them, and one
  // would only be a `${VAR}` or `$VAR` left unexpanded.
  if (!/^([a-z0-9._-]+|\[[0-9a-f:.]+\])$/.test(url.hostname)) return "must name a host by DNS name or IP address";
  if (url.username || url.password || url.search || url.hash) return "must not carry credentials, a query or a fragment";
  return undefined;
}

/** Parses a configured endpoint (`host:port` or an http(s) URL); throws on a bad one. */
export function parseEndpoint(endpoint: string): UpstreamEndpoint {
  const url = endpointUrl(endpoint);
  if (!url || endpointProblem(endpoint) !== undefined) throw new Error(`not an upstream endpoint: ${endpoint}`);
  return { origin: url.origin, basePath: url.pathname.replace(/\/+$/, "") };
}

/**
 * `origin + basePath + forwardPath + query`. The path must already be in normal form, which
 * starts with a single `/` and holds no `\`, `?`, `#` or dot segment, so nothing after the origin
 * can be read as an authority; anything else is a bug upstream of here and throws.
 */
export function upstreamUrl(endpoint: UpstreamEndpoint, forwardPath: string, query: string): string {
  const normal = normalizePath(forwardPath);
  if (!normal.ok || normal.path !== forwardPath) throw new Error("forward path is not in normal form");
  if (query !== "" && (!query.startsWith("?") || query.includes("#"))) throw new Error("query must start with ? and hold no fragment");
  return `${endpoint.origin}${endpoint.basePath}${forwardPath}${query}`;
}

/**
 * The query without the named parameters (credentials the gateway consumed). Other parameters
 * keep their exact bytes and order; names are compared after form-decoding, so `api%5Fkey`
 * is removed like `api_key`.
 */
export function withoutQueryParams(query: string, names: ReadonlySet<string>): string {
  if (names.size === 0 || query.length <= 1) return query;
  const kept = query
    .slice(1)
    .split("&")
    .filter((pair) => {
      const rawName = pair.split("=", 1)[0]!;
      return !names.has(formDecode(rawName));
    });
  return kept.length > 0 ? `?${kept.join("&")}` : "";
}

function formDecode(text: string): string {
  const spaced = text.replaceAll("+", " ");
  try {
    return decodeURIComponent(spaced);
  } catch {
    return spaced;
  }
}
