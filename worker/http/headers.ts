/**
 * Header hygiene between client and upstream, both ways.
 *
 * Hop-by-hop headers (RFC 9110 §7.6.1) describe one connection and must not be forwarded:
 * `Connection`, every header it names, and the well-known ones below. workerd drops some of
 * them on its own, but neither the headers a `Connection` header names nor those on responses.
 */

const HOP_BY_HOP = [
  "connection",
  "keep-alive",
  "proxy-connection",
  "te",
  "transfer-encoding",
  "upgrade",
  "proxy-authenticate",
  "proxy-authorization",
  "trailer",
];

/** RFC 9110 §5.6.2 token, the syntax of a header name. */
const TOKEN = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;

export function isHeaderName(name: string): boolean {
  return TOKEN.test(name);
}

/**
 * Client copies of the headers that name the client's address. Upstreams and frameworks take
 * them for the caller's address (Express `trust proxy`, Rails `remote_ip`, the `True-Client-IP`
 * of Akamai and Cloudflare), so a forged one would move an IP rule, a rate limit or a log line
 * to an address of the client's choosing. The gateway sends its own X-Forwarded-For and
 * X-Real-IP instead; `CF-Connecting-IP` on a subrequest is the platform's (SECURITY.md).
 */
const CLIENT_ADDRESS = ["forwarded", "x-real-ip", "x-client-ip", "true-client-ip", "client-ip", "cf-connecting-ip"];

/**
 * Headers that make an upstream or a cache answer for another host than the one routed without
 * being part of the route or of a cache key: web cache poisoning. (`X-Forwarded-Host` and
 * `X-Forwarded-Scheme` are covered by `x-forwarded-*`.)
 */
const HOST_OVERRIDE = ["x-original-host", "x-host"];

/**
 * Method overrides (Rails, Symfony, Laravel, ASP.NET): the upstream acts on another method than
 * the one the gateway routed and checked. Forwarded only on routes with `forward_override_headers`,
 * whose admitted methods then bound them (override-headers.ts).
 */
export const METHOD_OVERRIDE_HEADERS = ["x-http-method-override", "x-http-method", "x-method-override"] as const;

/** Headers that make IIS (URL Rewrite) and Symfony serve another path than the request's (override-headers.ts). */
export const URL_OVERRIDE_HEADERS = ["x-original-url", "x-rewrite-url"] as const;
const OVERRIDE_HEADERS = new Set<string>([...METHOD_OVERRIDE_HEADERS, ...URL_OVERRIDE_HEADERS]);

/** Headers the gateway sets on every upstream request (forUpstream). */
const GATEWAY_SET = ["x-forwarded-for", "x-forwarded-proto", "x-forwarded-host", "x-real-ip", "x-request-id", "via"];

/** Request headers never forwarded, besides `Connection` (and what it names) and every `X-Forwarded-*`. */
const UPSTREAM_REMOVED = [...HOP_BY_HOP, ...CLIENT_ADDRESS, ...HOST_OVERRIDE, "host"];

/** Headers that advertise the origin's software; the security-headers policy removes them too. */
const ORIGIN_FINGERPRINT = ["server", "x-powered-by"];

/** What the edge knows for certain about the request, for the upstream. */
export interface ForwardedFor {
  /** CF-Connecting-IP, set by Cloudflare's edge. Empty when unknown. */
  clientIp: string;
  /** Scheme of the request URL: `http` or `https`. */
  proto: string;
  /** Host (and port) the client asked for. */
  host: string;
  requestId: string;
}

/** Which client request headers the upstream never sees, decided once per config (upstreamHeaderRules). */
export interface UpstreamHeaderRules {
  /** Lower case names removed from every request. */
  removed: ReadonlySet<string>;
  /**
   * Lower case names never forwarded in another spelling (`_` for `-`): those in `removed`, the
   * headers the gateway sets, the overrides and the injected credentials.
   */
  guarded: ReadonlySet<string>;
  /** `underscores_in_headers`: forward the names with `_` that spell no guarded name. */
  underscores: boolean;
}

export interface UpstreamHeaderOptions {
  /** Headers that carry gateway credentials, and the identity headers only the gateway asserts: removed. */
  credentialHeaders?: readonly string[];
  /** Headers the gateway injects on some routes (the vault's credential): guarded. */
  injectedHeaders?: readonly string[];
  /** `middleware.request_validation.underscores_in_headers`; default false. */
  underscoresInHeaders?: boolean;
}

/** The rules of a config; throws when a name is not a header name. */
export function upstreamHeaderRules(options: UpstreamHeaderOptions = {}): UpstreamHeaderRules {
  const lower = (names: readonly string[] = []) =>
    names.map((name) => {
      if (!isHeaderName(name)) throw new Error(`proxy: ${JSON.stringify(name)} is not a header name`);
      return name.toLowerCase();
    });
  const removed = new Set([...UPSTREAM_REMOVED, ...lower(options.credentialHeaders)]);
  const guarded = new Set([...removed, ...GATEWAY_SET, ...OVERRIDE_HEADERS, ...lower(options.injectedHeaders)]);
  return { removed, guarded, underscores: options.underscoresInHeaders ?? false };
}

/**
 * Whether the client's header (its lower case name) is kept from the upstream.
 *
 * CGI (RFC 3875 §4.1.18), WSGI and Rack turn a header name into a variable by upper-casing it
 * and replacing `-` with `_`, so `X_Consumer_Id` and `X-Consumer-Id` reach such an application
 * as the same `HTTP_X_CONSUMER_ID`, and which copy wins is up to the server. So a name with `_`
 * is withheld (nginx's `underscores_in_headers off`), and with `underscores` still when it spells
 * a guarded name. Case needs no rule: a `Headers` object lists every name in lower case, so
 * `X-CONSUMER-ID` is `x-consumer-id`. (Configured header names never contain `_`: fields.ts.)
 */
function withheld(name: string, rules: UpstreamHeaderRules, forwardOverrides: boolean): boolean {
  if (name.includes("_")) {
    if (!rules.underscores) return true;
    const dashed = name.replaceAll("_", "-");
    return rules.guarded.has(dashed) || dashed.startsWith("x-forwarded-");
  }
  if (OVERRIDE_HEADERS.has(name)) return !forwardOverrides;
  return rules.removed.has(name) || name.startsWith("x-forwarded-");
}

/**
 * Turns a copy of the client's headers (those of the upstream request, changed in place) into
 * the upstream's: the withheld ones removed (hop-by-hop, client forwarding and address headers,
 * host overrides, `Host` (the runtime sets it from the upstream URL), gateway credentials and
 * identity headers, their underscore spellings, and unless `forwardOverrides` the method and URL
 * overrides); trusted forwarding headers, `X-Request-Id` and `Via` (RFC 9110 §7.6.3: a gateway
 * MUST send Via inbound) set.
 *
 * `names` are the field names the headers hold (lower case, as a `Headers` object lists them):
 * only those present are removed, a runtime call each, instead of a call for every name that
 * could be there.
 */
export function forUpstream(
  headers: Headers,
  names: readonly string[],
  forwarded: ForwardedFor,
  rules: UpstreamHeaderRules,
  forwardOverrides = false,
): void {
  let via: string | null = null;
  for (const name of names) {
    if (name === "via") via = headers.get(name);
    else if (name === "connection") removeConnectionNamed(headers);
    else if (withheld(name, rules, forwardOverrides)) headers.delete(name);
  }
  if (forwarded.clientIp) {
    headers.set("x-forwarded-for", forwarded.clientIp);
    headers.set("x-real-ip", forwarded.clientIp);
  }
  headers.set("x-forwarded-proto", forwarded.proto);
  headers.set("x-forwarded-host", forwarded.host);
  headers.set("x-request-id", forwarded.requestId);
  headers.set("via", via ? `${via}, 1.1 loom-edge` : "1.1 loom-edge");
}

/** Turns a copy of the upstream's response headers (changed in place) into the client's: hop-by-hop and origin fingerprints removed. */
export function forClient(headers: Headers): void {
  removeHopByHop(headers);
  for (const name of ORIGIN_FINGERPRINT) headers.delete(name);
}

function removeHopByHop(headers: Headers): void {
  removeConnectionNamed(headers);
  for (const name of HOP_BY_HOP) headers.delete(name);
}

/** Removes `Connection` and the headers it names. */
function removeConnectionNamed(headers: Headers): void {
  const listed = headers.get("connection");
  if (listed) {
    for (const token of listed.split(",")) {
      // A token that is no header name cannot name a header; skip it rather than fail.
      const name = token.trim();
      if (TOKEN.test(name)) headers.delete(name);
    }
  }
  headers.delete("connection");
}
