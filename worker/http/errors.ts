/**
 * The one shape of every error the gateway itself answers with: JSON
 * `{ error, message, request_id }`, a code from the catalogue (../http/error-catalogue.ts) and a
 * sentence for people, never an internal detail (no upstream address, stack or secret). The
 * error handler (error-handler.ts) adds the request's id to every body and as `X-Request-Id`.
 */
import { HTTPException } from "hono/http-exception";
import { ERROR_CATALOGUE, type ErrorCode, type ErrorStatus } from "../http/error-catalogue";

export interface ErrorBody {
  error: ErrorCode;
  message: string;
  request_id?: string;
  [extra: string]: unknown;
}

export interface HttpErrorOptions {
  headers?: HeadersInit;
  /** Fields added to the body, such as `issues` or `allow`. */
  extra?: Record<string, unknown>;
}

/**
 * An `HTTPException` for middleware and handlers to throw. Its response is built when the
 * error handler knows the request id; until then `headers` may still change (CORS adds its
 * own to a refusal on the way out).
 */
export class HttpError extends HTTPException {
  readonly headers: Headers;
  readonly extra: Record<string, unknown> | undefined;

  constructor(
    readonly code: ErrorCode,
    message: string = ERROR_CATALOGUE[code].message,
    options: HttpErrorOptions = {},
  ) {
    super(ERROR_CATALOGUE[code].status, { message });
    this.name = "HttpError";
    this.extra = options.extra;
    this.headers = new Headers(options.headers);
    this.headers.set("Content-Type", "application/json; charset=utf-8");
    this.headers.set("Cache-Control", "no-store");
  }

  /** The answer, with `request_id` when the request has one (always, under the error handler). */
  override getResponse(requestId?: string): Response {
    const body: ErrorBody = { error: this.code, message: this.message, ...this.extra, request_id: requestId };
    return new Response(JSON.stringify(body), { status: this.status, headers: this.headers });
  }
}

/** The error to throw for `code`: its status from the catalogue, its default message unless `message` says more. */
export function httpError(code: ErrorCode, message?: string, options?: HttpErrorOptions): HttpError {
  return new HttpError(code, message, options);
}

/** 405 with `Allow` (RFC 9110 §15.5.6) and the same list as `allow` in the body. */
export function methodNotAllowed(message: string, allow: readonly string[]): HttpError {
  return httpError("method_not_allowed", message, { headers: { Allow: allow.join(", ") }, extra: { allow } });
}

/** Whole seconds to wait, rounded up and at least 1: the unit of `Retry-After` (RFC 9110 §10.2.3). */
export const retryAfterSeconds = (ms: number): number => Math.max(1, Math.ceil(ms / 1000));

/** The codes whose status asks the client to come back later. */
type RetryCode = { [C in ErrorCode]: ErrorStatus<C> extends 429 | 503 ? C : never }[ErrorCode];

/** A refusal to come back later (429, 503): `Retry-After`, and the same wait as `retry_after` in the body. */
export function retryLater(code: RetryCode, message: string, seconds: number, headers: Record<string, string> = {}): HttpError {
  return httpError(code, message, { headers: { "Retry-After": String(seconds), ...headers }, extra: { retry_after: seconds } });
}
