/**
 * Response headers that harden every answer (upstream responses, gateway errors, admin API):
 * set after `await next()`, so they also land on error responses, which Hono has turned into
 * `c.res` by then. Configured values replace whatever the upstream sent: the gateway's policy
 * is the one in force.
 *
 * `Server` and `X-Powered-By` are always removed, even with `enabled: false`: they advertise
 * the origin's software and version to whoever probes for known vulnerabilities.
 */
import type { Context, MiddlewareHandler } from "hono";
import type { AppEnv } from "../../env";
import { targetOf } from "../../http/request-target";
import { tlsConnection } from "../../http/tls-connection";
import type { SecurityHeadersOptions } from "./schema";

type HstsOptions = NonNullable<SecurityHeadersOptions["hsts"]>;

const FINGERPRINT_HEADERS = ["Server", "X-Powered-By"];

/** RFC 6797 §6.1: `max-age` (seconds), `includeSubDomains`; `preload` is hstspreload.org's token. */
function hstsValue(hsts: HstsOptions): string {
  let value = `max-age=${hsts.max_age}`;
  if (hsts.include_subdomains) value += "; includeSubDomains";
  if (hsts.preload) value += "; preload";
  return value;
}

function policyHeaders(options: SecurityHeadersOptions): [string, string][] {
  const headers: [string, string | undefined][] = [
    ["Content-Security-Policy", options.content_security_policy],
    ["X-Frame-Options", options.x_frame_options],
    ["X-Content-Type-Options", options.x_content_type_options],
    ["Referrer-Policy", options.referrer_policy],
    ["Permissions-Policy", options.permissions_policy],
    ["Cross-Origin-Opener-Policy", options.cross_origin_opener_policy],
  ];
  const set = headers.filter((header): header is [string, string] => header[1] !== undefined);
  // A value that is not a valid header value (a line break in a CSP string) would make every
  // response fail; refuse it now, when the config is compiled.
  new Headers(set);
  return set;
}

/**
 * Removes the fingerprint headers and returns headers that can be changed. A response from
 * `fetch()` has immutable headers (a TypeError on any change); it is copied, body stream and
 * status included, only then. Hono's `c.res` setter merges the previous response's headers
 * into the new one, so `c.res` is cleared first or the removed headers would come back.
 */
function writableHeaders(c: Context<AppEnv>): Headers {
  try {
    for (const name of FINGERPRINT_HEADERS) c.res.headers.delete(name);
    return c.res.headers;
  } catch (error) {
    if (!(error instanceof TypeError)) throw error;
    const copy = new Response(c.res.body, c.res);
    for (const name of FINGERPRINT_HEADERS) copy.headers.delete(name);
    c.res = undefined;
    c.res = copy;
    return copy.headers;
  }
}

export const securityHeaders = (options: SecurityHeadersOptions | undefined): MiddlewareHandler<AppEnv> => {
  const enabled = options?.enabled === true;
  const headers = enabled ? policyHeaders(options) : [];
  const hsts = enabled && options.hsts?.enabled ? hstsValue(options.hsts) : undefined;
  return async function securityHeaders(c, next) {
    await next();
    const target = writableHeaders(c);
    for (const [name, value] of headers) target.set(name, value);
    // RFC 6797 §7.2: an HSTS host MUST NOT send the header over non-secure transport. An https
    // URL settles it without `request.cf`, which the runtime parses from JSON on first access.
    if (hsts !== undefined && (targetOf(c).scheme === "https" || tlsConnection(c.req.raw).tls))
      target.set("Strict-Transport-Security", hsts);
  };
};
