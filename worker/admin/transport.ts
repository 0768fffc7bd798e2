/**
 * The admin API only over https, except for local development on a loopback address: admin
 * credentials and configs must not cross a network in clear (RFC 9110 §4.2.2 and §17.2 on the
 * confidentiality http lacks).
 *
 * Which facts are trusted, and why either one may admit plain http:
 * - On Cloudflare the request URL is what the client used at the edge: its scheme says whether
 *   that leg was TLS, and its host is a hostname Cloudflare routed to this Worker, a public name,
 *   never `localhost` or a loopback address. CF-Connecting-IP is set by the edge, which overwrites
 *   any client copy, so it is the real client address, never loopback for a request from the
 *   Internet. Neither can be forged to loopback there, so a plain-http request is refused.
 * - Under `wrangler dev` (workerd on the developer's machine) there is no TLS: the URL is
 *   `http://127.0.0.1:8787/…` or `http://localhost:…`, and workerd sets CF-Connecting-IP to
 *   127.0.0.1 (but passes a client's copy through unchanged). A
 *   loopback host or a loopback client address means this machine; that is allowed.
 */
import type { MiddlewareHandler } from "hono";
import { httpError } from "../http/errors";
import { contains, parseCidr, parseIp, type Cidr } from "../http/schema-kit/cidr";
import { isLoopbackHost } from "../http/schema-kit/fields";
import type { AdminEnv } from "./context";

const cidr = (text: string): Cidr => {
  const parsed = parseCidr(text);
  if (!parsed.ok) throw new TypeError(`${text}: ${parsed.message}`);
  return parsed.cidr;
};

/** 127.0.0.0/8 (RFC 1122 §3.2.1.3; also as ::ffff:127.x, RFC 4291 §2.5.5.2) and ::1 (RFC 4291 §2.5.3). */
const LOOPBACK = [cidr("127.0.0.0/8"), cidr("::1/128")];

/** True for a loopback IPv4 or IPv6 address, with or without the brackets of a URL host. */
export function isLoopbackAddress(text: string): boolean {
  const address = parseIp(text.startsWith("[") && text.endsWith("]") ? text.slice(1, -1) : text);
  return address !== undefined && LOOPBACK.some((block) => contains(block, address));
}

export const requireHttps: MiddlewareHandler<AdminEnv> = async function requireHttps(c, next) {
  // `Request.url` is serialised by the URL parser: the scheme is lower case.
  if (c.req.url.startsWith("http:") && !isLoopbackHost(new URL(c.req.url).hostname) && !isLoopbackAddress(c.var.clientIp)) {
    throw httpError("https_required");
  }
  return next();
};
