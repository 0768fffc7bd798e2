/**
 * The harness of the auth policy's tests (one file per scheme beside it): a tiny gateway whose
 * route id is the first path segment, then `authenticate`, then an "upstream" that echoes what it
 * would receive, with the secrets of the tests as the Worker's environment.
 */
import { createExecutionContext, waitOnExecutionContext } from "cloudflare:test";
import { Hono, type Context } from "hono";
import type * as jose from "jose";
import type { AppEnv, Env } from "../../env";
import { errorHandler } from "../../gateway/error-handler";
import type { MatchedRoute } from "../../gateway/router";
import { authenticate, identityHeaderNames, type AuthenticateOptions, type AuthFailureEvent } from ".";
import { log } from "../../observability/logger";
import { authSchema, routeAuthSchema } from "./schema";

export const SECRETS: Record<string, string> = {
  API_KEY_1: "ak_live_first_0123456789abcdef",
  API_KEY_2: "ak_live_second_0123456789abcdef",
  HS_SECRET: "hs-secret-for-tests-0123456789abcdef-0123456789abcdef-0123456789",
  SHORT_SECRET: "too-short",
  ADMIN_PASSWORD: "pässwörd:with:colons",
};

export type Auth = Parameters<typeof authSchema.parse>[0];
export type RouteAuth = Parameters<typeof routeAuthSchema.parse>[0];

/**
 * The headers the proxy sends for this request: the client's, without the identity headers only
 * the gateway asserts, then the verified ones (proxy.ts; the real pipeline is exercised in
 * test/runtime/consumers.test.ts).
 */
function upstreamView(c: Context<AppEnv>, identityNames: readonly string[]): Record<string, string> {
  const headers = new Headers(c.req.raw.headers);
  for (const name of identityNames) headers.delete(name);
  for (const [name, value] of c.var.identityHeaders ?? []) headers.set(name, value);
  return Object.fromEntries(headers);
}

/** A tiny gateway: route id = first path segment, then `authenticate`, then an echo "upstream". */
export function gateway(
  config: { auth?: Auth; routes?: Record<string, RouteAuth | undefined> },
  extra: Omit<AuthenticateOptions, "auth" | "routes" | "onFailure"> = {},
  secrets: Record<string, string> = SECRETS,
) {
  const events: AuthFailureEvent[] = [];
  const auth = config.auth === undefined ? undefined : authSchema.parse(config.auth);
  const routes = Object.entries(config.routes ?? {}).map(([id, routeAuth]) => ({
    id,
    auth: routeAuth === undefined ? undefined : routeAuthSchema.parse(routeAuth),
  }));
  const identityNames = identityHeaderNames(auth, ...routes.map((route) => route.auth));
  const app = new Hono<AppEnv>();
  app.onError(errorHandler(log.error));
  app.use(async (c, next) => {
    c.set("requestId", "test");
    c.set("clientIp", c.req.header("CF-Connecting-IP") ?? "");
    c.set("route", { id: new URL(c.req.url).pathname.split("/")[1]! } as MatchedRoute);
    await next();
  });
  app.use(
    authenticate({
      ...extra,
      auth,
      routes,
      onFailure: (event) => {
        events.push(event);
      },
    }),
  );
  app.all("*", (c) =>
    c.json({
      scheme: c.var.authScheme ?? null,
      consumer: c.var.consumer ?? null,
      tenant: c.var.tenant ?? null,
      jwt: c.var.jwt ?? null,
      consumerRateLimit: c.var.consumerRateLimit ?? null,
      headers: upstreamView(c, identityNames),
    }),
  );
  return {
    events,
    async fetch(path: string, init: RequestInit & { cf?: unknown } = {}): Promise<Response> {
      const ctx = createExecutionContext();
      // Only these secrets: the test environment's own (.dev.vars) must not mask an unset one.
      const response = await app.fetch(new Request(`https://gw.test${path}`, init as RequestInit), secrets as unknown as Env, ctx);
      await waitOnExecutionContext(ctx);
      return response;
    },
  };
}

export type Echo = {
  scheme: string | null;
  consumer: string | null;
  tenant: string | null;
  jwt: jose.JWTPayload | null;
  consumerRateLimit: Record<string, number> | null;
  headers: Record<string, string>;
};
export const echo = (response: Response) => response.json() as Promise<Echo>;

export const bearer = (token: string) => ({ headers: { Authorization: `Bearer ${token}` } });
export const basic = (user: string, password: string) => {
  const bytes = new TextEncoder().encode(`${user}:${password}`);
  return { headers: { Authorization: `Basic ${btoa(String.fromCharCode(...bytes))}` } };
};
