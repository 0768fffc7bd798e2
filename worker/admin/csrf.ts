/**
 * Cross-site request forgery. A browser that holds the admin's basic credentials sends them
 * with any request a page of another site makes it send; the answers of such a request cannot
 * be read without CORS (which the admin API never grants), but its effect would happen. Two
 * guards, each enough against the usual forms:
 * - a request a browser marks as coming from another site (`Sec-Fetch-Site: cross-site`, Fetch
 *   Metadata) or from another origin (`Origin` other than the request URL's own, RFC 6454 §7;
 *   `Origin: null`, sent by sandboxed frames and some redirects, is foreign too) is refused 403
 *   before authentication;
 * - a state-changing request's body must declare a media type its endpoint documents (the
 *   endpoint table's `body.mediaTypes`), else 415. The media types a page can send cross-site
 *   without a CORS preflight (`text/plain`, `application/x-www-form-urlencoded`,
 *   `multipart/form-data`: the CORS-safelisted Content-Type values of the Fetch standard) are
 *   documented by no admin endpoint, so a form post never reaches a handler, with a body or
 *   without one.
 */
import type { MiddlewareHandler } from "hono";
import { httpError } from "../http/errors";
import type { AdminEnv } from "./context";

export const refuseCrossSite: MiddlewareHandler<AdminEnv> = async function refuseCrossSite(c, next) {
  const origin = c.req.header("Origin");
  const crossSite = c.req.header("Sec-Fetch-Site")?.trim().toLowerCase() === "cross-site";
  if (crossSite || (origin !== undefined && origin !== new URL(c.req.url).origin)) {
    throw httpError("cross_site_request");
  }
  return next();
};

/** What a form post may declare without a CORS preflight (Fetch standard, CORS-safelisted request-header). */
const FORM_MEDIA_TYPES = new Set(["text/plain", "application/x-www-form-urlencoded", "multipart/form-data"]);

/** The media type of a Content-Type value without parameters, lower case (RFC 9110 §8.3.1), or undefined. */
function mediaTypeOf(contentType: string | undefined): string | undefined {
  const type = contentType?.split(";", 1)[0]!.trim().toLowerCase();
  return type || undefined;
}

/** A body unless there is no stream or it is declared empty. */
function hasBody(request: Request): boolean {
  return request.body !== null && request.headers.get("Content-Length")?.trim() !== "0";
}

/**
 * The guard of one state-changing endpoint, built once from the media types it documents (none
 * for an endpoint without a body): a body must declare one of them, and a form media type is
 * refused even on an empty body. 415 otherwise (RFC 9110 §15.5.16), with the accepted types.
 */
export function requireDocumentedMediaType(accepted: readonly string[]): MiddlewareHandler<AdminEnv> {
  const acceptedTypes = new Set(accepted.map((type) => type.toLowerCase()));
  const message =
    accepted.length > 0
      ? `the body must be sent as ${accepted.join(", ")} (Content-Type); nothing was changed`
      : "this endpoint takes no request body; nothing was changed";
  return async function documentedMediaType(c, next) {
    const type = mediaTypeOf(c.req.header("Content-Type"));
    if (type !== undefined && acceptedTypes.has(type)) return next();
    if (hasBody(c.req.raw) || (type !== undefined && FORM_MEDIA_TYPES.has(type))) {
      throw httpError("unsupported_media_type", message, { extra: { accepted_media_types: accepted } });
    }
    return next();
  };
}
