/** The tests of this folder: a Hono app with the error handler and what requestContext sets, stood in for. */
import { Hono } from "hono";
import type { AppEnv } from "../env";
import { errorHandler } from "../http/error-handler";
import { log } from "./logger";

export const STARTED_AT = Date.parse("2026-05-01T10:00:00Z");

export function appWithRequestContext(): Hono<AppEnv> {
  const hono = new Hono<AppEnv>();
  hono.onError(errorHandler(log.error));
  hono.use(async function fakeRequestContext(c, next) {
    c.set("requestId", "req-1");
    c.set("clientIp", "203.0.113.7");
    c.set("startedAt", STARTED_AT);
    await next();
  });
  return hono;
}
