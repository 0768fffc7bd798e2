/**
 * First step of every request: a request id, the client's address, and the compiled config
 * in force (from the isolate cache; KV is read only when the cache is due).
 */
import type { MiddlewareHandler } from "hono";
import { freshCompiledConfig, getCompiledConfig } from "./config-cache";
import type { CompiledConfig } from "./compile";
import type { AppEnv, RequestVars } from "../env";
import { waitUntilOf } from "../http/shared-work";

export const requestContext: MiddlewareHandler<AppEnv> = async function requestContext(c, next) {
  const requestId = crypto.randomUUID();
  c.set("requestId", requestId);
  c.set("startedAt", Date.now());
  // Cloudflare's edge always sets CF-Connecting-IP; X-Forwarded-For is client-controlled and
  // never trusted for identity.
  c.set("clientIp", c.req.raw.headers.get("CF-Connecting-IP") ?? "");
  c.set("compiledConfig", freshCompiledConfig(c.env) ?? (await getCompiledConfig(c.env, waitUntilOf(c))));
  await next();
  c.res.headers.set("X-Request-Id", requestId);
};

/**
 * The compiled config in force for this request. `compiledConfig` is typed `unknown` in env.ts,
 * which sits below the config it holds; this module sets it (above) and reads it back here.
 * Read with `get`: Hono's `c.var` builds a new object of every variable at each access, and this
 * is read several times per request.
 */
export function compiledConfigOf(c: { get(key: "compiledConfig"): RequestVars["compiledConfig"] }): CompiledConfig {
  return c.get("compiledConfig") as CompiledConfig;
}
