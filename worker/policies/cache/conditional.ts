/**
 * Conditional GET/HEAD answered from the cache (RFC 9110 §13): a client that already holds the
 * representation gets 304 Not Modified without a body.
 */

/** The validators answered here; the upstream never sees them on a lookup (it must answer in full to be stored). */
export const CONDITIONAL_HEADERS = ["if-none-match", "if-modified-since"] as const;

/** Preconditions only the upstream can evaluate (a failed one is 412, RFC 9110 §13.1.1, §13.1.4): such requests bypass the cache. */
export const UPSTREAM_PRECONDITIONS = ["if-match", "if-unmodified-since"] as const;

/** Weak comparison (RFC 9110 §8.8.3.2): the opaque tags, without `W/`. */
function opaqueTag(tag: string): string {
  const trimmed = tag.trim();
  return trimmed.startsWith("W/") ? trimmed.slice(2) : trimmed;
}

/**
 * Whether `response` (a 2xx: conditions apply only to those, RFC 9110 §13.2.1) answers the
 * request's validators with 304. RFC 9110 §13.2.2 for GET/HEAD: `If-None-Match` (weak comparison, `*` matches any) decides when
 * present, and `If-Modified-Since` is then ignored (§13.1.3); otherwise `If-Modified-Since` is
 * met when the stored `Last-Modified` is no later than it.
 */
export function notModified(request: Headers, response: Response): boolean {
  if (response.status < 200 || response.status > 299) return false;
  const stored = response.headers;
  const ifNoneMatch = request.get("if-none-match");
  if (ifNoneMatch !== null) {
    const etag = stored.get("etag");
    if (etag === null) return false;
    if (ifNoneMatch.trim() === "*") return true;
    const mine = opaqueTag(etag);
    return ifNoneMatch.split(",").some((tag) => opaqueTag(tag) === mine);
  }
  const since = Date.parse(request.get("if-modified-since") ?? "");
  const lastModified = Date.parse(stored.get("last-modified") ?? "");
  return !Number.isNaN(since) && !Number.isNaN(lastModified) && lastModified <= since;
}

/** Headers a 304 carries from the 200 it stands for (RFC 9110 §15.4.5). */
const NOT_MODIFIED_HEADERS = ["cache-control", "content-location", "date", "etag", "expires", "vary", "last-modified", "age", "x-cache"];

export function notModifiedResponse(full: Response): Response {
  void full.body?.cancel();
  const headers = new Headers();
  for (const name of NOT_MODIFIED_HEADERS) {
    const value = full.headers.get(name);
    if (value !== null) headers.set(name, value);
  }
  return new Response(null, { status: 304, headers });
}
