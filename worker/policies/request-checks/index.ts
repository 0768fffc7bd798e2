/**
 * Cheap checks on the request line and headers, before routing: the limits an HTTP server
 * applies while parsing (`max_uri_length` → 414, `max_header_size` → 431), then the methods the
 * gateway accepts at all (`allowed_methods` → 405 with `Allow`, RFC 9110 §15.5.6).
 */
import type { MiddlewareHandler } from "hono";
import type { AppEnv, RequestTarget } from "../../env";
import { passThrough } from "../../http/chain";
import { httpError, methodNotAllowed } from "../../http/errors";
import { headerScan } from "../../http/header-scan";
import { targetOf } from "../../http/request-target";
import { preflightMethod } from "../../http/preflight";
import type { RequestValidationOptions } from "./schema";

/** Length of the request target as sent (origin form, RFC 9112 §3.2.1: path and query). */
function targetLength({ path, query }: RequestTarget): number {
  return path.length + query.length;
}

export const requestValidation = (options: RequestValidationOptions | undefined): MiddlewareHandler<AppEnv> => {
  const maxUriLength = options?.max_uri_length;
  const maxHeaderSize = options?.max_header_size;
  const allowedMethods = options?.allowed_methods;
  const allowed = allowedMethods && { methods: new Set<string>(allowedMethods), list: allowedMethods };
  if (maxUriLength === undefined && maxHeaderSize === undefined && !allowed) return passThrough;
  return async function requestValidation(c, next) {
    const request = c.req.raw;
    if (maxUriLength !== undefined && targetLength(targetOf(c)) > maxUriLength) {
      throw httpError("uri_too_long", `the request target is longer than ${maxUriLength} characters`);
    }
    // Counted as on the HTTP/1.1 wire (header-scan.ts), including the headers the edge adds.
    if (maxHeaderSize !== undefined && headerScan(c).size > maxHeaderSize) {
      throw httpError("headers_too_large", `the request headers are larger than ${maxHeaderSize} bytes`);
    }
    // A preflight-shaped OPTIONS goes on when the method it asks about is allowed: routeMatch
    // decides whether it is a preflight, and checks it as OPTIONS when it is not.
    if (allowed && !allowed.methods.has(request.method) && !allowed.methods.has(preflightMethod(request) ?? "")) {
      throw methodNotAllowed("this method is not allowed; the Allow header lists those that are", allowed.list);
    }
    await next();
  };
};
