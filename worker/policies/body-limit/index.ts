/**
 * Request body size cap (413 Payload Too Large), in two ways depending on what the client said:
 *
 * - A `Content-Length` over the limit is refused before a byte is read. One within the limit
 *   needs nothing more: the body streams to the upstream untouched. HTTP framing holds the body
 *   to its declared length: over HTTP/1.1 the server reads exactly Content-Length bytes as the
 *   body (RFC 9112 §6.3), and over HTTP/2 and HTTP/3 a body that differs from it is a malformed
 *   request the edge refuses (RFC 9113 §8.1.1, RFC 9114 §4.1.2), so the Worker never sees more.
 * - Without a usable `Content-Length` (chunked, RFC 9112 §7.1; or `Transfer-Encoding` and
 *   `Content-Length` together, where §6.3 says the length is ignored) the body is read into
 *   memory before anything goes upstream, and refused as soon as it passes `maxSize`. Streaming
 *   it instead would discover the excess only after the upstream had received part of the body,
 *   when the answer can no longer be a clean 413. Memory stays bounded: at most `maxSize` plus
 *   one chunk is ever held, and `maxSize` is the operator's own cap on bodies.
 */
import type { MiddlewareHandler } from "hono";
import type { AppEnv } from "../../env";
import { contentLength, readAtMost } from "../../http/body";
import { httpError } from "../../http/errors";
import type { BodyLimitConfig } from "./schema";

export interface BodyLimitOptions {
  /** Largest body accepted, in bytes (`middleware.body_limit.max_size`, parsed). */
  maxSize: BodyLimitConfig["max_size"];
}

const BODYLESS_METHODS = new Set(["GET", "HEAD"]);

/** The declared body length, or undefined when there is none to trust (RFC 9112 §6.3). */
function declaredLength(headers: Headers): number | undefined {
  return headers.has("transfer-encoding") ? undefined : contentLength(headers);
}

export const bodyLimit = (options: BodyLimitOptions): MiddlewareHandler<AppEnv> => {
  const { maxSize } = options;
  if (!Number.isSafeInteger(maxSize) || maxSize < 0) {
    throw new RangeError(`bodyLimit: maxSize must be a whole number of bytes, not ${maxSize}`);
  }
  // A fresh exception each time: its response body can be sent only once.
  const tooLarge = () => httpError("payload_too_large", `the request body is larger than ${maxSize} bytes`);
  return async function bodyLimit(c, next) {
    const request = c.req.raw;
    if (request.body !== null) {
      const declared = declaredLength(request.headers);
      if (declared !== undefined && declared > maxSize) throw tooLarge();
      // A GET or HEAD request can arrive with a body, but no Request can be built with one
      // (so fetch cannot forward it), and RFC 9110 §9.3.1 gives it no meaning: left as it is.
      if (declared === undefined && !BODYLESS_METHODS.has(request.method)) {
        c.req.raw = new Request(request, { body: await readAtMost(request.body, maxSize, tooLarge) });
      }
    }
    await next();
  };
};
