/**
 * The admin API, mounted by worker/app.ts under ADMIN_PREFIX (default /admin). With
 * `admin.enabled: false` every path below the prefix is 404 (./switch.ts). Every path
 * below the prefix, unknown ones included, is refused over plain http from elsewhere than this
 * machine (transport.ts) and when a browser sends it for another site (csrf.ts), then
 * authenticated; then one endpoint from the table answers, a known path with another method is
 * 405 with Allow, anything else is 404. A state-changing endpoint first checks the media type
 * of the body against the types the table documents for it (415). Admin paths are never proxied.
 */
import { Hono } from "hono";
import { httpError, methodNotAllowed } from "../http/errors";
import { aiBudgetEndpoints } from "./ai-budgets";
import { aiUsageEndpoints } from "./ai-usage";
import { auditEndpoints } from "./audit";
import { cacheEndpoints } from "./cache-purge";
import { adminAuth } from "./auth";
import { configEndpoints } from "./config-routes";
import { consumerEndpoints } from "./consumers";
import { credentialEndpoints } from "./credentials";
import { refuseCrossSite, requireDocumentedMediaType } from "./csrf";
import type { AdminEndpoint, AdminEnv } from "./context";
import { documentEndpoints } from "./documents";
import { persistedQueryEndpoints } from "./persisted-queries";
import { healthEndpoint } from "./health";
import { limitBody } from "./http";
import { apiDocsEndpoints } from "./api-docs";
import { protectionEndpoints } from "./protections";
import { resourceEndpoints } from "./resource-routes";
import { adminSwitch } from "./switch";
import { requireHttps } from "./transport";

export type { AdminEnv } from "./context";

export function createAdminApp(): Hono<AdminEnv> {
  const endpoints: AdminEndpoint[] = [
    ...configEndpoints,
    ...resourceEndpoints,
    ...documentEndpoints,
    ...persistedQueryEndpoints,
    ...consumerEndpoints,
    ...credentialEndpoints,
    ...protectionEndpoints,
    ...cacheEndpoints,
    ...auditEndpoints,
    ...aiUsageEndpoints,
    ...aiBudgetEndpoints,
    healthEndpoint,
    ...apiDocsEndpoints(() => endpoints),
  ];
  const admin = new Hono<AdminEnv>();
  admin.use(async function noStore(c, next) {
    await next();
    // Admin answers carry config and identities; no cache may keep them (RFC 9111 §5.2.2.5).
    c.header("Cache-Control", "no-store");
  });
  admin.use(adminSwitch);
  admin.use(requireHttps);
  admin.use(refuseCrossSite);
  admin.use(adminAuth());
  for (const endpoint of endpoints) {
    if (endpoint.method === "GET") admin.on(endpoint.method, endpoint.path, endpoint.handler);
    else if (endpoint.body)
      admin.on(endpoint.method, endpoint.path, requireDocumentedMediaType(endpoint.body.mediaTypes), limitBody, endpoint.handler);
    else admin.on(endpoint.method, endpoint.path, requireDocumentedMediaType([]), endpoint.handler);
  }
  const allowed = new Map<string, string[]>();
  for (const { path, method } of endpoints)
    allowed.set(path, [...(allowed.get(path) ?? []), ...(method === "GET" ? ["GET", "HEAD"] : [method])]);
  for (const [path, methods] of allowed) {
    admin.all(path, function unsupportedMethod() {
      throw methodNotAllowed("this admin resource does not support the method", methods);
    });
  }
  admin.all("*", function unknownAdminPath() {
    throw httpError("not_found", "no such admin resource");
  });
  return admin;
}
