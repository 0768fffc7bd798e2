/**
 * The admin API, mounted by worker/app.ts under ADMIN_PREFIX (default /admin). Every path
 * below the prefix, unknown ones included, is authenticated first; then one endpoint from the
 * table answers, a known path with another method is 405 with Allow, anything else is 404.
 * Admin paths are never proxied.
 */
import { Hono } from "hono";
import { gatewayError } from "../gateway/errors";
import { auditEndpoints } from "./audit";
import { adminAuth } from "./auth";
import { configEndpoints } from "./config-routes";
import { consumerEndpoints } from "./consumers";
import { credentialEndpoints } from "./credentials";
import type { AdminEndpoint, AdminEnv } from "./context";
import { documentEndpoints } from "./documents";
import { healthEndpoint } from "./health";
import { limitBody } from "./http";
import { apiDocsEndpoints } from "./openapi";
import { protectionEndpoints } from "./protections";
import { resourceEndpoints } from "./resource-routes";

export type { AdminEnv } from "./context";

export function createAdminApp(): Hono<AdminEnv> {
  const endpoints: AdminEndpoint[] = [
    ...configEndpoints,
    ...resourceEndpoints,
    ...documentEndpoints,
    ...consumerEndpoints,
    ...credentialEndpoints,
    ...protectionEndpoints,
    ...auditEndpoints,
    healthEndpoint,
    ...apiDocsEndpoints(() => endpoints),
  ];
  const admin = new Hono<AdminEnv>();
  admin.use(async function noStore(c, next) {
    await next();
    // Admin answers carry config and identities; no cache may keep them (RFC 9111 §5.2.2.5).
    c.header("Cache-Control", "no-store");
  });
  admin.use(adminAuth());
  for (const endpoint of endpoints) {
    if (endpoint.body) admin.on(endpoint.method, endpoint.path, limitBody, endpoint.handler);
    else admin.on(endpoint.method, endpoint.path, endpoint.handler);
  }
  const allowed = new Map<string, string[]>();
  for (const { path, method } of endpoints) allowed.set(path, [...(allowed.get(path) ?? []), ...(method === "GET" ? ["GET", "HEAD"] : [method])]);
  for (const [path, methods] of allowed) {
    admin.all(path, function methodNotAllowed() {
      throw gatewayError(405, "method_not_allowed", "this admin resource does not support the method", { headers: { Allow: methods.join(", ") } });
    });
  }
  admin.all("*", function unknownAdminPath() {
    throw gatewayError(404, "not_found", "no such admin resource");
  });
  return admin;
}
