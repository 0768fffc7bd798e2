/**
 * The one shape of every error the gateway itself answers with: JSON
 * `{ error, message, request_id }`, a stable machine code and a sentence for people, never an
 * internal detail (no upstream address, stack or secret).
 */
import { HTTPException } from "hono/http-exception";

export interface GatewayErrorBody {
  error: string;
  message: string;
  request_id?: string;
  [extra: string]: unknown;
}

/** Builds the error response; `extra` adds fields such as `issues` or `allow`. */
export function errorResponse(
  status: number,
  code: string,
  message: string,
  options: { headers?: HeadersInit; extra?: Record<string, unknown>; requestId?: string } = {},
): Response {
  const body: GatewayErrorBody = { error: code, message, ...options.extra };
  if (options.requestId) body.request_id = options.requestId;
  const headers = new Headers(options.headers);
  headers.set("Content-Type", "application/json; charset=utf-8");
  headers.set("Cache-Control", "no-store");
  return new Response(JSON.stringify(body), { status, headers });
}

/** An `HTTPException` carrying a fully built error response, for middleware to throw. */
export function gatewayError(
  status: ConstructorParameters<typeof HTTPException>[0],
  code: string,
  message: string,
  options: { headers?: HeadersInit; extra?: Record<string, unknown> } = {},
): HTTPException {
  return new HTTPException(status, { res: errorResponse(status as number, code, message, options), message });
}

/** 405 with `Allow` (RFC 9110 §15.5.6) and the same list as `allow` in the body. */
export function methodNotAllowed(message: string, allow: readonly string[]): HTTPException {
  return gatewayError(405, "method_not_allowed", message, { headers: { Allow: allow.join(", ") }, extra: { allow } });
}

/** Whole seconds to wait, rounded up and at least 1: the unit of `Retry-After` (RFC 9110 §10.2.3). */
export const retryAfterSeconds = (ms: number): number => Math.max(1, Math.ceil(ms / 1000));

/** A refusal to come back later (429, 503): `Retry-After`, and the same wait as `retry_after` in the body. */
export function retryLater(
  status: 429 | 503,
  code: string,
  message: string,
  seconds: number,
  headers: Record<string, string> = {},
): HTTPException {
  return gatewayError(status, code, message, { headers: { "Retry-After": String(seconds), ...headers }, extra: { retry_after: seconds } });
}
