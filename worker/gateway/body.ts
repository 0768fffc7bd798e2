/**
 * The request body the proxy forwards. A policy that reads the body whole (request-validator)
 * keeps the bytes in `c.var.body` instead of rebuilding `c.req.raw` around them, which would
 * copy the headers and `request.cf` once more; `c.req.raw`'s own body is used up by then.
 */
import type { Context } from "hono";
import type { AppEnv } from "../env";

export function forwardedBody(c: Context<AppEnv>): BodyInit | null {
  return c.get("body") ?? c.req.raw.body;
}
