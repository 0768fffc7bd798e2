/**
 * For policy tests: a Hono app with the gateway's error handler, the middleware under test and
 * a fake terminal handler standing in for the proxy.
 */
import { Hono, type Handler, type MiddlewareHandler } from "hono";
import type { AppEnv } from "../env";
import { errorHandler } from "../http/error-handler";
import { log } from "../observability/logger";

export function testApp(middleware: MiddlewareHandler<AppEnv>[], terminal: Handler<AppEnv> = (c) => c.text("upstream")): Hono<AppEnv> {
  const app = new Hono<AppEnv>();
  app.onError(errorHandler(log.error));
  for (const handler of middleware) app.use(handler);
  app.all("*", terminal);
  return app;
}
