/**
 * Authentication of every admin path, unknown ones included (401 comes before 404, so the
 * API's shape is not probed anonymously). Accepted:
 *   Authorization: Bearer <ADMIN_TOKEN>     (RFC 6750 §2.1; ADMIN_TOKEN is a Worker secret)
 *   Authorization: Basic <user:password>    (RFC 7617; `admin.auth` of the config in force,
 *                                            its password a ${VAR} reference to a secret)
 * An unset ADMIN_TOKEN or password lets nobody in by that scheme. Secrets are compared as
 * SHA-256 digests with crypto.subtle.timingSafeEqual, so neither content nor length leaks
 * through timing. A weak ADMIN_TOKEN or password (secret-strength.ts) is never compared: every
 * well-formed attempt by its scheme answers 503 until it is replaced. A failure is 401 with a
 * challenge for both schemes (RFC 9110 §11.6.1) and an `admin_auth_failure` audit event that
 * names the scheme and reason, never the credential.
 */
import type { MiddlewareHandler } from "hono";
import { recordAdminAuthFailure } from "../audit/request-events";
import { resolveSecret, secretName, SecretUnavailableError } from "../config/secrets";
import { gatewayError } from "../gateway/errors";
import type { AdminContext, AdminEnv } from "./context";
import { refuseWeakSecret } from "./secret-strength";

export const ADMIN_REALM = "loom-edge-admin";
const CHALLENGE = `Bearer realm="${ADMIN_REALM}", Basic realm="${ADMIN_REALM}"`;

type Scheme = "none" | "bearer" | "basic" | "other";

type Presented =
  | { scheme: "bearer"; token: string }
  | { scheme: "basic"; username: string; password: string }
  | { scheme: Scheme; problem: "missing_credentials" | "unsupported_scheme" | "malformed_credentials" };

const encoder = new TextEncoder();

async function sameSecret(presented: string, expected: string): Promise<boolean> {
  const [a, b] = await Promise.all([crypto.subtle.digest("SHA-256", encoder.encode(presented)), crypto.subtle.digest("SHA-256", encoder.encode(expected))]);
  return crypto.subtle.timingSafeEqual(a, b);
}

/** RFC 7617 §2: base64 of `user-id ":" password`, UTF-8 (the user-id holds no colon). */
function decodeBasic(encoded: string): { username: string; password: string } | undefined {
  try {
    const text = new TextDecoder("utf-8", { fatal: true, ignoreBOM: false }).decode(Uint8Array.from(atob(encoded), (char) => char.charCodeAt(0)));
    const colon = text.indexOf(":");
    return colon < 0 ? undefined : { username: text.slice(0, colon), password: text.slice(colon + 1) };
  } catch {
    return undefined;
  }
}

function presentedCredentials(header: string | undefined): Presented {
  if (!header?.trim()) return { scheme: "none", problem: "missing_credentials" };
  // The scheme is case-insensitive (RFC 9110 §11.1).
  const [, rawScheme = "", rest = ""] = /^\s*(\S+)\s*(.*)$/.exec(header) ?? [];
  const scheme = rawScheme.toLowerCase();
  const value = rest.trim();
  if (scheme === "bearer") return value ? { scheme, token: value } : { scheme, problem: "malformed_credentials" };
  if (scheme === "basic") {
    const decoded = value ? decodeBasic(value) : undefined;
    return decoded ? { scheme, ...decoded } : { scheme, problem: "malformed_credentials" };
  }
  return { scheme: "other", problem: "unsupported_scheme" };
}

/** The actor on success, or why the credentials were refused. */
async function authenticate(c: AdminContext, presented: Presented): Promise<{ actor: string } | { reason: string }> {
  if ("problem" in presented) return { reason: presented.problem };
  if (presented.scheme === "bearer") {
    const token = c.env.ADMIN_TOKEN;
    if (!token) return { reason: "bearer_not_configured" };
    refuseWeakSecret("ADMIN_TOKEN", token);
    return (await sameSecret(presented.token, token)) ? { actor: "token" } : { reason: "invalid_credentials" };
  }
  const basic = c.var.gateway.config.admin?.auth;
  if (!basic) return { reason: "basic_not_configured" };
  let password: string;
  try {
    password = resolveSecret(basic.password, c.env);
  } catch (error) {
    if (error instanceof SecretUnavailableError) return { reason: "basic_password_unset" };
    throw error;
  }
  refuseWeakSecret(secretName(basic.password), password);
  // Both comparisons always run, so timing does not tell which one failed.
  const [userOk, passwordOk] = await Promise.all([sameSecret(presented.username, basic.username), sameSecret(presented.password, password)]);
  return userOk && passwordOk ? { actor: `basic:${basic.username}` } : { reason: "invalid_credentials" };
}

export const adminAuth = (): MiddlewareHandler<AdminEnv> =>
  async function adminAuth(c, next) {
    const presented = presentedCredentials(c.req.header("Authorization"));
    const outcome = await authenticate(c, presented);
    if ("actor" in outcome) {
      c.set("actor", outcome.actor);
      return next();
    }
    // Recorded after the response, through the audit queue and aggregated per isolate
    // (worker/audit/request-events.ts): a failing audit path must not turn a 401 into something
    // else, and an attacker can neither slow the 401 down nor flood the log with rows.
    recordAdminAuthFailure({ path: c.req.path, scheme: presented.scheme, reason: outcome.reason, ip: c.var.clientIp, userAgent: c.req.header("User-Agent") ?? "" }, c);
    throw gatewayError(401, "unauthorized", "admin credentials are missing or wrong", { headers: { "WWW-Authenticate": CHALLENGE } });
  };
