/**
 * The parts of the request URL exactly as the client sent them. workerd keeps the request
 * target raw in `request.url` (`/a/../b`, `/a\b` and `%2e` arrive untouched), whereas
 * `new URL(url).pathname` would silently resolve dot segments, clamp `..` at the root and turn
 * `\` into `/`. Route matching needs the raw path so normalizePath can reject what is
 * ambiguous instead of guessing.
 */
import type { Context } from "hono";
import type { AppEnv, RequestTarget } from "../env";

export function requestTarget(url: string): RequestTarget {
  const schemeEnd = url.indexOf("://");
  const authorityStart = schemeEnd + 3;
  const end = firstOf(url, "#", authorityStart);
  const queryStart = firstOf(url, "?", authorityStart, end);
  const pathStart = firstOf(url, "/", authorityStart, queryStart);
  return {
    scheme: url.slice(0, schemeEnd).toLowerCase(),
    authority: url.slice(authorityStart, pathStart),
    path: url.slice(pathStart, queryStart) || "/",
    query: url.slice(queryStart, end),
  };
}

/**
 * The request's target, parsed once per request (`c.var.target`) for every step that needs it:
 * policies may replace `c.req.raw`, but never with another URL.
 */
export function targetOf(c: Context<AppEnv>): RequestTarget {
  let target = c.get("target");
  if (target === undefined) {
    target = requestTarget(c.req.url);
    c.set("target", target);
  }
  return target;
}

/** Index of `char` in `text` between `from` and `limit`, or `limit` when absent. */
function firstOf(text: string, char: string, from: number, limit = text.length): number {
  const index = text.indexOf(char, from);
  return index === -1 || index > limit ? limit : index;
}
