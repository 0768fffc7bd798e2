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
 *   gateway          the steps between client and upstream, in the order written once in
 *                    `pipelineSteps` (worker/pipeline/compile.ts)
 */
import { Hono, type Context, type Next } from "hono";
import { getPath } from "hono/utils/url";
import { adminPrefix } from "./admin/context";
import type { AppEnv, Env } from "./env";
import { errorHandler } from "./http/error-handler";
import { normalizePath } from "./http/normalize";
import { httpError } from "./http/errors";
import { compiledConfigOf, requestContext } from "./pipeline/request-context";
import { targetOf } from "./http/request-target";
import { log } from "./observability/logger";

/** True when `path` is the admin prefix or below it. */
function underPrefix(path: string, prefix: string): boolean {
  return path === prefix || path.startsWith(`${prefix}/`);
}

/**
 * True when a normalised path is a spelling of the admin prefix or below it as the router reads
 * paths (gateway/router.ts): letters in any case, `;` path parameters removed.
 */
function spellsAdmin(path: string, prefix: string): boolean {
  return underPrefix(path.toLowerCase().replace(/(?:;|%3b)[^/]*/g, ""), prefix.toLowerCase());
}

/**
 * Everything both apps run first: errors, the per-request context and the response-side policies.
 */
function withOuterMiddleware(app: Hono<AppEnv>): Hono<AppEnv> {
  app.onError(errorHandler(log.error));
  app.use(requestContext);
  app.use((c, next) => compiledConfigOf(c).accessLog(c, next));
  app.use((c, next) => compiledConfigOf(c).securityHeaders(c, next));
  return app;
}

/** The last handler of both apps: the gateway pipeline, which never proxies an admin path. */
function gatewayHandler(prefix: string) {
  return async function gateway(c: Context<AppEnv>, next: Next) {
    const { path } = targetOf(c);
    const normal = normalizePath(path);
    if (normal.ok) c.set("normalPath", normal.path);
    // An encoded, dotted or otherwise spelled admin prefix (`/%61dmin`, `/x/../admin`, `/ADMIN`,
    // `/admin;x`) falls through the admin mount; its normal form must still never reach an upstream. Judged on
    // the URL parser's reading of the path, unless the raw path is already in normal form,
    // which the parser leaves as it is.
    const admin = normal.ok && normal.path === path ? normal : normalizePath(new URL(c.req.url).pathname);
    if (admin.ok && spellsAdmin(admin.path, prefix)) {
      throw httpError("not_found", "no such admin resource");
    }
    return compiledConfigOf(c).pipeline(c, next);
  };
}

/**
 * Two apps per admin prefix, both ending in the gateway handler: one with the admin API mounted,
 * for paths Hono routes under the prefix, and one with only the proxy's routes, so that proxied
 * requests do not pay for matching against every admin route. The admin app is built by the
 * first admin request: its module (the admin routes, zod's schemas, the YAML parser) is imported
 * then, so an isolate that only proxies never evaluates it (README, "What a cold isolate loads").
 */
interface Apps {
  admin: Promise<Hono<AppEnv>> | undefined;
  gateway: Hono<AppEnv>;
}

async function buildAdminApp(prefix: string): Promise<Hono<AppEnv>> {
  const { createAdminApp } = await import("./admin");
  const admin = withOuterMiddleware(new Hono<AppEnv>());
  admin.route(prefix, createAdminApp());
  admin.all("*", gatewayHandler(prefix));
  return admin;
}

function buildGatewayApp(prefix: string): Hono<AppEnv> {
  const gateway = withOuterMiddleware(new Hono<AppEnv>());
  gateway.get("/.well-known/security.txt", (c, next) => compiledConfigOf(c).securityTxt(c, next));
  gateway.all("*", gatewayHandler(prefix));
  return gateway;
}

/** The apps per admin prefix; in practice one pair per isolate. */
const apps = new Map<string, Apps>();
/** The pair for the last `env` seen (an isolate's requests share one), and its prefix. */
let current: { env: Env; prefix: string; apps: Apps } | undefined;

function appFor(request: Request, env: Env): Hono<AppEnv> | Promise<Hono<AppEnv>> {
  if (current?.env !== env) {
    const prefix = adminPrefix(env);
    let pair = apps.get(prefix);
    if (!pair) {
      pair = { admin: undefined, gateway: buildGatewayApp(prefix) };
      apps.set(prefix, pair);
    }
    current = { env, prefix, apps: pair };
  }
  // Hono's own reading of the path (percent-decoded when it has escapes), as its mount matches it.
  if (!underPrefix(getPath(request), current.prefix)) return current.apps.gateway;
  const pair = current.apps;
  // A failed import is not kept: the next admin request tries again.
  pair.admin ??= buildAdminApp(current.prefix).catch((error: unknown) => {
    pair.admin = undefined;
    throw error;
  });
  return pair.admin;
}

export function createApp() {
  return {
    fetch(request: Request, env: Env, ctx: ExecutionContext): Response | Promise<Response> {
      const app = appFor(request, env);
      return app instanceof Promise ? app.then((admin) => admin.fetch(request, env, ctx)) : app.fetch(request, env, ctx);
    },
  } satisfies ExportedHandler<Env>;
}
