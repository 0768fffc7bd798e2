/**
 * The last word on errors: a `HttpError` becomes its answer, with the request's id in the
 * body; a secret that is not set is a clear 500 that names no value; anything else is a generic
 * 500. Every answer carries `X-Request-Id`, also when the request context itself failed (the
 * config could not be loaded) before it could set the header. Nothing internal (messages,
 * stacks, upstream addresses, secrets) reaches the client.
 */
import type { ErrorHandler } from "hono";
import { HTTPException } from "hono/http-exception";
import { SecretUnavailableError } from "./schema-kit/secrets";
import type { AppEnv } from "../env";
import { HttpError, httpError } from "./errors";

/**
 * Where a 500 is told to the operator: the structured logger (observability/logger.ts), passed in
 * by the app so that this kit module imports nothing above it.
 */
export type ReportFailure = (event: "secret_unavailable" | "internal_error", fields: Record<string, unknown>) => void;

function answer(error: Error, requestId: string | undefined, report: ReportFailure): Response {
  if (error instanceof HttpError) return error.getResponse(requestId);
  if (error instanceof HTTPException) return error.getResponse();
  if (error instanceof SecretUnavailableError) {
    // The variable's name is configuration, not a secret: operators need it to fix the gap.
    report("secret_unavailable", { request_id: requestId, variable: error.variable });
    return httpError("secret_unavailable").getResponse(requestId);
  }
  // The class name only: a message can quote a secret or an upstream address.
  report("internal_error", { request_id: requestId, name: error.name });
  return httpError("internal_error").getResponse(requestId);
}

export function errorHandler(report: ReportFailure): ErrorHandler<AppEnv> {
  return function handleError(error, c) {
    const requestId = c.get("requestId");
    const response = answer(error, requestId, report);
    if (requestId) response.headers.set("X-Request-Id", requestId);
    return response;
  };
}
