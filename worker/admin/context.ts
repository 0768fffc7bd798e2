/**
 * What every admin handler shares: the Hono env (the authenticated actor on top of the
 * request's variables), the audit identity of a change, and the endpoint description from
 * which the app's routes, the 405 answers and the OpenAPI document are all built.
 */
import type { Context, Handler } from "hono";
import type { z } from "zod";
import type { ChangeAuthor } from "../audit/change-author";
import type { Env, RequestVars } from "../env";
import type { ComponentName } from "./schemas";

export type AdminEnv = { Bindings: Env; Variables: RequestVars & { actor: string } };
export type AdminContext = Context<AdminEnv>;

export const DEFAULT_ADMIN_PREFIX = "/admin";

/** ADMIN_PREFIX without a trailing slash; the admin API is mounted there. */
export function adminPrefix(env: Env): string {
  return (env.ADMIN_PREFIX || DEFAULT_ADMIN_PREFIX).replace(/\/+$/, "");
}

export function changeAuthor(c: AdminContext): ChangeAuthor {
  return { actor: c.var.actor, ip: c.var.clientIp, userAgent: c.req.header("User-Agent") ?? "", requestId: c.var.requestId };
}

export interface EndpointResponse {
  description: string;
  /** The JSON body's schema, if the response has one. */
  schema?: ComponentName;
}

export interface AdminEndpoint {
  method: "GET" | "PUT" | "POST" | "DELETE";
  /** Hono path below the admin prefix: `/routes/:id`, `/documents/:path{.+}`. */
  path: string;
  summary: string;
  description?: string;
  /** The request body (read with the admin body limit); `optional`: the request may omit it. */
  body?: { schema: ComponentName; mediaTypes: string[]; optional?: boolean };
  /** The query parameters, as the schema the handler validates them with (documented as `in: query`). */
  query?: z.ZodObject;
  responses: Record<number, EndpointResponse>;
  handler: Handler<AdminEnv>;
}
