/**
 * Composes the Worker: the per-request context and the response-side policies wrap everything;
 * inside them, the admin API (under ADMIN_PREFIX) or the gateway pipeline of the config in force.
 *
 * Order of one request (request-side before `await next()`, response-side after it):
 *   requestContext   request id, client IP, compiled config (isolate cache)
 *   accessLog        after: one JSON line per request, secrets redacted
 *   securityHeaders  after: configured headers on every response, Server/X-Powered-By removed
 *   admin API        ADMIN_PREFIX/*: authenticated, never proxied
 *   security.txt     GET /.well-known/security.txt (RFC 9116)
 *   gateway          tls → request validation → route match → listener pin → body limit
 *                    → route plugins (request-validator) → proxy
 */
import { Hono } from "hono";
import { createAdminApp } from "./admin";
import { adminPrefix } from "./admin/context";
import type { AppEnv, Env } from "./env";
import { handleError } from "./gateway/error-handler";
import { normalizePath } from "./gateway/normalize";
import { gatewayError } from "./gateway/errors";
import { requestContext } from "./gateway/request-context";
import { targetOf } from "./gateway/request-target";

/** True when `path` is the admin prefix or below it. */
function underPrefix(path: string, prefix: string): boolean {
  return path === prefix || path.startsWith(`${prefix}/`);
}

function buildApp(prefix: string): Hono<AppEnv> {
  const app = new Hono<AppEnv>();
  app.onError(handleError);
  app.use(requestContext);
  app.use((c, next) => c.get("gateway").accessLog(c, next));
  app.use((c, next) => c.get("gateway").securityHeaders(c, next));
  app.route(prefix, createAdminApp());
  app.get("/.well-known/security.txt", (c, next) => c.get("gateway").securityTxt(c, next));
  app.all("*", async function gateway(c, next) {
    const { path } = targetOf(c);
    const normal = normalizePath(path);
    if (normal.ok) c.set("normalPath", normal.path);
    // An encoded or dotted spelling of the admin prefix (`/%61dmin`, `/x/../admin`) falls
    // through the admin mount; its normal form must still never reach an upstream. Judged on
    // the URL parser's reading of the path, unless the raw path is already in normal form,
    // which the parser leaves as it is.
    const admin = normal.ok && normal.path === path ? normal : normalizePath(new URL(c.req.url).pathname);
    if (admin.ok && underPrefix(admin.path, prefix)) {
      throw gatewayError(404, "not_found", "no such admin resource");
    }
    return c.get("gateway").gateway(c, next);
  });
  return app;
}

/** One Hono app per admin prefix; in practice one per isolate. */
const apps = new Map<string, Hono<AppEnv>>();

function appFor(env: Env): Hono<AppEnv> {
  const prefix = adminPrefix(env);
  let app = apps.get(prefix);
  if (!app) {
    app = buildApp(prefix);
    apps.set(prefix, app);
  }
  return app;
}

export function createApp() {
  return {
    fetch(request: Request, env: Env, ctx: ExecutionContext): Response | Promise<Response> {
      return appFor(env).fetch(request, env, ctx);
    },
  } satisfies ExportedHandler<Env>;
}
