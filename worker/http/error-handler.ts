/**
 * The last word on errors: an `HTTPException` carries its finished response; a secret that is
 * not set is a clear 500 that names no value; anything else is a generic 500. Nothing internal
 * (messages, stacks, upstream addresses, secrets) reaches the client.
 */
import type { ErrorHandler } from "hono";
import { HTTPException } from "hono/http-exception";
import { SecretUnavailableError } from "./schema-kit/secrets";
import type { AppEnv } from "../env";
import { errorResponse } from "./errors";

export const handleError: ErrorHandler<AppEnv> = (error, c) => {
  const requestId = c.get("requestId");
  if (error instanceof HTTPException) return error.getResponse();
  if (error instanceof SecretUnavailableError) {
    // The variable's name is configuration, not a secret: operators need it to fix the gap.
    console.error(JSON.stringify({ level: "error", request_id: requestId, error: "secret_unavailable", variable: error.variable }));
    return errorResponse(500, "secret_unavailable", "the gateway is missing a secret this request needs; the operator has been told", {
      requestId,
    });
  }
  console.error(
    JSON.stringify({
      level: "error",
      request_id: requestId,
      error: "internal_error",
      name: error instanceof Error ? error.name : typeof error,
    }),
  );
  return errorResponse(500, "internal_error", "the gateway failed to handle this request", { requestId });
};
