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

/** Forwarding headers a client could forge; the gateway sets its own (X-Forwarded-*). */
const CLIENT_FORWARDING = ["forwarded", "x-real-ip"];

/** Request headers never forwarded, besides `Connection` (and what it names) and every `X-Forwarded-*`. */
const UPSTREAM_REMOVED = new Set([...HOP_BY_HOP, ...CLIENT_FORWARDING, "host"]);

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

/**
 * Turns a copy of the client's headers (those of the upstream request, changed in place) into
 * the upstream's: hop-by-hop, client forwarding headers, `Host` (the runtime sets it from the
 * upstream URL) and the gateway credentials removed; trusted forwarding headers,
 * `X-Request-Id` and `Via` (RFC 9110 §7.6.3: a gateway MUST send Via inbound) set.
 *
 * `names` are the field names the headers hold (lower case, as a `Headers` object lists them):
 * only those present are removed, a runtime call each, instead of a call for every name that
 * could be there.
 */
export function forUpstream(headers: Headers, names: readonly string[], forwarded: ForwardedFor, credentialHeaders: ReadonlySet<string>): void {
  let via: string | null = null;
  for (const name of names) {
    if (name === "via") via = headers.get(name);
    else if (name === "connection") removeConnectionNamed(headers);
    else if (UPSTREAM_REMOVED.has(name) || name.startsWith("x-forwarded-") || credentialHeaders.has(name)) headers.delete(name);
  }
  if (forwarded.clientIp) headers.set("x-forwarded-for", forwarded.clientIp);
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
