/**
 * `admin.enabled: false` (Loom's code dialect): every admin path answers 404, before transport,
 * CSRF and credential checks, so the API cannot even be probed. A config cannot switch itself back
 * on through an API that is off, so the Worker variable ADMIN_API_OVERRIDE=on serves the API
 * again (credentials required as ever) until a config with `enabled: true` is saved: setting a
 * Worker variable needs the Cloudflare account, which is the operator's and no attacker's.
 */
import type { MiddlewareHandler } from "hono";
import { httpError } from "../http/errors";
import { compiledConfigOf } from "../pipeline/request-context";
import type { AdminEnv } from "./context";

export const adminSwitch: MiddlewareHandler<AdminEnv> = async function adminSwitch(c, next) {
  const enabled = compiledConfigOf(c).config.admin?.enabled ?? true;
  if (!enabled && c.env.ADMIN_API_OVERRIDE !== "on") throw httpError("not_found", "no such admin resource");
  await next();
};
