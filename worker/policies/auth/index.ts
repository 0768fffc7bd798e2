/**
 * Authentication, chosen per route. Runs after route matching (it reads `c.var.route`).
 *
 * Precedence, first that applies:
 *   1. the route's `auth: none`             no authentication on this route;
 *   2. the route's `auth: { type: … }`      that scheme only (`type: none` = no authentication);
 *   3. the route's `auth: [ … ]`            any one of these schemes, tried in order;
 *   4. `middleware.auth`                    for every route without an `auth` of its own;
 *   5. nothing configured                   no authentication.
 * A route's `auth` replaces `middleware.auth`; the two are never combined.
 *
 * On success: `c.var.authScheme`, and as the scheme provides them `consumer`, `tenant` (api_key:
 * the key's `${VAR}` name or the consumer store's record; basic: the user-id) and `jwt` (the
 * verified claims). Identity headers (mTLS subject/fingerprint, JWT `claim_headers`, api_key
 * `consumer_headers`) go to `c.var.identityHeaders`, which the proxy sets on the upstream
 * request; the proxy removes client-supplied copies of every identity header the config names
 * (`identityHeaderNames`) on every route, so no route can be used to smuggle one in. The
 * client's request itself is not rebuilt. A consumer-store key whose consumer lists `allowed_routes` is refused with 403
 * `route_not_allowed` on any other route (authenticated, not authorised: RFC 9110 §15.5.4);
 * its consumer's own rate limit goes to `c.var.consumerRateLimit`, its `allowed_models` to
 * `c.var.consumerModels` (the AI gateway's step checks them: policies/ai-gateway/request.ts).
 *
 * On failure: 401 with one WWW-Authenticate challenge per acceptable scheme (RFC 9110 §11.6.1),
 * or 403 when the only acceptable scheme is mTLS (no HTTP challenge exists for it). The body
 * never says which check failed; the `auth_failure` event does, without the credential, and is
 * reported after the response (`waitUntil`), as is a `route_not_allowed` refusal. An unset
 * secret is a 500, a consumer store that cannot answer a 503 (fail closed).
 *
 * Failure limit (`auth_failure_limit`, ../../limits/failure-limit.ts): a refused credential
 * of api_key, basic or jwt (one that was presented: a missing one costs no lookup and guesses
 * nothing) counts against the client's block (IPv4 address, IPv6 /64) across all isolates. A
 * client over the limit is refused 429 `too_many_auth_failures` with Retry-After on every
 * route that authenticates, before any key lookup or signature check, for `block_for`, valid
 * credentials included: telling a valid credential apart would take the very check the block
 * saves, and would tell a guesser which guess was right. The refusal is audited as an
 * `auth_failure` with reason `too_many_failures` (aggregated like the others). A JWKS that
 * cannot be downloaded is the gateway's failure, not the client's, and is not counted.
 */
import type { Context, MiddlewareHandler } from "hono";
import type { AppEnv } from "../../env";
import { passThrough } from "../../http/chain";
import { httpError, retryAfterSeconds, retryLater } from "../../http/errors";
import { waitUntilOf } from "../../http/shared-work";
import { failureCounterName, isolateFailureLimiter, objectFailureIo } from "../../limits/failure-limit";
import type { AuthFailureLimitConfig } from "../../limits/schema";
import { clientBlock } from "../../observability/client-block";
import type { KeyHashLookup } from "../../consumers/stored-consumer";
import { apiKeyScheme } from "./api-key";
import { basicScheme } from "./basic";
import { remoteKeySet, type JwksFetch, type RemoteKeySet } from "./jwks";
import { jwtScheme } from "./jwt";
import { mtlsScheme } from "./mtls";
import type { AuthConfig, JwtAuthConfig, RouteAuthConfig, SchemeConfig } from "./schema";
import { refusalError, type AuthFailureReason, type RefusalReason } from "./refusal";
import type { Scheme, Verdict } from "./scheme";
import { errorName, log } from "../../observability/logger";

export type { JwksFetch } from "./jwks";

/** What an `auth_failure` audit event records. Never the credential. */
export interface AuthFailureEvent {
  route: string;
  /** The acceptable schemes, comma-separated (`jwt`, `mtls,api_key`). */
  scheme: string;
  /** Why (refusal.ts): `missing_credentials`, `invalid_key`, `expired`, `bad_signature`, `cert_revoked`, `route_not_allowed`, … */
  reason: AuthFailureReason;
  ip: string;
  userAgent: string;
}

export interface AuthenticateOptions {
  /** `middleware.auth`: for every route without an `auth` of its own. */
  auth?: AuthConfig;
  /** The routes of the config; only `id` and `auth` are read. */
  routes?: readonly { id: string; auth?: RouteAuthConfig }[];
  /** Receives every failure, after the response (`waitUntil`); e.g. the audit writer. */
  onFailure?: (event: AuthFailureEvent, c: Context<AppEnv>) => unknown;
  /** Consumer keys by SHA-256 digest, tried after the configured `keys` of an api_key scheme. */
  lookupKeyHash?: KeyHashLookup;
  /** Downloads JWKS documents; the runtime's fetch by default. */
  fetchJwks?: JwksFetch;
  /** `auth_failure_limit`; no limit when unset or not enabled. */
  failureLimit?: AuthFailureLimitConfig;
}

/** Refusals that count against the failure limit: a credential guessed wrong, not the gateway's own failure. */
const NOT_THE_CLIENTS_FAULT = new Set<RefusalReason>(["jwks_unavailable"]);

const MAX_USER_AGENT = 256;

/** The scheme blocks a route setting stands for (none for `none`). */
function schemeBlocks(setting: RouteAuthConfig | undefined): SchemeConfig[] {
  if (setting === undefined || setting === "none") return [];
  return (Array.isArray(setting) ? setting : [setting]).filter((block): block is SchemeConfig => block.type !== "none");
}

/**
 * The request headers and query parameters that carry gateway credentials, for the proxy to
 * remove (`proxy(upstreams, { ...gatewayCredentials(config.middleware.auth, ...config.routes.map((r) => r.auth)) })`).
 */
export function gatewayCredentials(...settings: (RouteAuthConfig | undefined)[]): {
  credentialHeaders: string[];
  credentialQueryParams: string[];
} {
  const headers = new Set<string>();
  const params = new Set<string>();
  for (const block of settings.flatMap(schemeBlocks)) {
    if (block.type === "basic") headers.add("authorization");
    if (block.type === "api_key" || block.type === "jwt") {
      headers.add(block.header.toLowerCase());
      if (block.query_param) params.add(block.query_param);
    }
  }
  return { credentialHeaders: [...headers], credentialQueryParams: [...params] };
}

/**
 * The header names that carry verified identities upstream (claim, consumer and certificate
 * headers), lower case: only the gateway may send them, so the proxy removes the client's copies
 * on every route and sets the verified values (`c.var.identityHeaders`).
 */
export function identityHeaderNames(...settings: (RouteAuthConfig | undefined)[]): string[] {
  return identityHeaders(settings.flatMap(schemeBlocks));
}

function identityHeaders(blocks: SchemeConfig[]): string[] {
  const names = new Set<string>();
  for (const block of blocks) {
    if (block.type === "mtls") for (const name of [block.subject_header, block.fingerprint_header]) if (name) names.add(name.toLowerCase());
    if (block.type === "jwt") for (const name of Object.values(block.claim_headers)) names.add(name.toLowerCase());
    if (block.type === "api_key") for (const name of Object.values(block.consumer_headers)) if (name) names.add(name.toLowerCase());
  }
  return [...names];
}

export const authenticate = (options: AuthenticateOptions): MiddlewareHandler<AppEnv> => {
  const { onFailure, lookupKeyHash } = options;
  const routes = options.routes ?? [];
  const keySets = new Map<string, RemoteKeySet>();

  /** One cache per JWKS (and download settings) for all the routes that use it. */
  function jwksFor(config: JwtAuthConfig): RemoteKeySet | undefined {
    if (!config.jwks_uri) return undefined;
    const id = [config.jwks_uri, config.jwks_timeout, config.jwks_cooldown, config.jwks_cache_max_age, config.jwks_stale_if_error].join(
      " ",
    );
    let keySet = keySets.get(id);
    if (!keySet) {
      keySet = remoteKeySet(config.jwks_uri, {
        timeoutMs: config.jwks_timeout,
        cooldownMs: config.jwks_cooldown,
        maxAgeMs: config.jwks_cache_max_age,
        staleIfErrorMs: config.jwks_stale_if_error,
        fetch: options.fetchJwks,
      });
      keySets.set(id, keySet);
    }
    return keySet;
  }

  function build(block: SchemeConfig): Scheme {
    switch (block.type) {
      case "api_key":
        return apiKeyScheme(block, lookupKeyHash);
      case "jwt":
        return jwtScheme(block, { jwks: jwksFor(block) });
      case "basic":
        return basicScheme(block);
      case "mtls":
        return mtlsScheme(block);
    }
  }

  const fallback = schemeBlocks(options.auth).map(build);
  const byRoute = new Map(routes.map((route) => [route.id, route.auth === undefined ? fallback : schemeBlocks(route.auth).map(build)]));
  // No route authenticates: nothing to do on any request. (The proxy removes client copies of
  // identity headers itself: identityHeaderNames.)
  if (fallback.length === 0 && [...byRoute.values()].every((schemes) => schemes.length === 0)) return passThrough;

  /** Hands a refusal to `onFailure` after the response; a failing report is logged, never answered. */
  function report(c: Context<AppEnv>, schemes: readonly Scheme[], reason: AuthFailureReason): void {
    if (!onFailure) return;
    const event: AuthFailureEvent = {
      route: c.get("route")?.id ?? "",
      scheme: schemes.map((scheme) => scheme.name).join(","),
      reason,
      ip: c.get("clientIp") ?? "",
      userAgent: (c.req.header("User-Agent") ?? "").slice(0, MAX_USER_AGENT),
    };
    c.executionCtx.waitUntil(
      (async () => onFailure(event, c))().catch((error: unknown) => {
        log.error("auth_failure_report_failed", { name: errorName(error) });
      }),
    );
  }

  const failureLimit = options.failureLimit?.enabled ? options.failureLimit : undefined;
  const failureSpec = failureLimit && {
    maxFailures: failureLimit.max_failures,
    windowMs: failureLimit.window,
    blockMs: failureLimit.block_for,
  };
  const failureCounter = (c: Context<AppEnv>) => failureCounterName("auth", clientBlock(c.get("clientIp") ?? ""));

  return async function authenticate(c, next) {
    const routeId = c.get("route")?.id;
    const schemes = (routeId !== undefined ? byRoute.get(routeId) : undefined) ?? fallback;
    if (schemes.length === 0) return next();
    // Before any lookup or signature check; free while this isolate knows of no blocked client.
    if (failureSpec && isolateFailureLimiter.blocking) {
      const blockedMs = isolateFailureLimiter.blockedFor(failureCounter(c));
      if (blockedMs > 0) {
        report(c, schemes, "too_many_failures");
        throw refusalError({ kind: "too_many_failures", blockedMs });
      }
    }
    const ctx = waitUntilOf(c);
    const refusals: Extract<Verdict, { ok: false }>[] = [];
    for (const scheme of schemes) {
      const verdict = await scheme.verify(c.req.raw, c.env, ctx);
      if (verdict.ok) {
        const { identity } = verdict;
        if (identity.allowedRoutes && !(routeId !== undefined && identity.allowedRoutes.includes(routeId))) {
          report(c, [scheme], "route_not_allowed");
          throw refusalError({ kind: "route_not_allowed" });
        }
        c.set("authScheme", scheme.name);
        if (identity.consumer !== undefined) c.set("consumer", identity.consumer);
        if (identity.tenant !== undefined) c.set("tenant", identity.tenant);
        if (identity.jwt !== undefined) c.set("jwt", identity.jwt);
        if (identity.rateLimit !== undefined) c.set("consumerRateLimit", identity.rateLimit);
        if (identity.allowedModels !== undefined) c.set("consumerModels", identity.allowedModels);
        // For the proxy to set on the upstream request; the client's request is left as it is.
        if (identity.headers?.length) c.set("identityHeaders", identity.headers);
        return next();
      }
      refusals.push(verdict);
    }

    // The most telling reason: a credential that was sent and refused, before a missing one.
    report(c, schemes, (refusals.find((refusal) => refusal.presented) ?? refusals[0]!).reason);
    const guessed = refusals.some(
      (refusal, index) => refusal.presented && schemes[index]!.name !== "mtls" && !NOT_THE_CLIENTS_FAULT.has(refusal.reason),
    );
    if (failureSpec && guessed)
      c.executionCtx.waitUntil(isolateFailureLimiter.fail(failureCounter(c), failureSpec, objectFailureIo(c.env)));
    throw refusalError({ kind: "credentials", refusals: refusals.map(({ presented }, index) => ({ scheme: schemes[index]!, presented })) });
  };
};
