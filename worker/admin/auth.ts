/**
 * Authentication of every admin path, unknown ones included (401 comes before 404, so the
 * API's shape is not probed anonymously). Accepted:
 *   Authorization: Bearer <ADMIN_TOKEN>     (RFC 6750 §2.1; ADMIN_TOKEN is a Worker secret)
 *   Authorization: Basic <user:password>    (RFC 7617; `admin.auth` of the config in force:
 *                                            the policy's one login, its password a ${VAR}
 *                                            reference to a secret, or Loom's code's `users`
 *                                            table of SHA-256 hashes, ./password-hashes.ts)
 * An unset ADMIN_TOKEN or password lets nobody in by that scheme. Secrets are compared as
 * SHA-256 digests with crypto.subtle.timingSafeEqual, so neither content nor length leaks
 * through timing. A weak ADMIN_TOKEN or password (secret-strength.ts) is never compared: every
 * well-formed attempt by its scheme answers 503 until it is replaced. A failure is 401 with a
 * challenge for both schemes (RFC 9110 §11.6.1) and an `admin_auth_failure` audit event that
 * names the scheme and reason, never the credential, and targets the endpoint's pattern, never
 * the path as sent. Basic logins lock out after repeated failures (./login-lockout.ts: 429 with
 * Retry-After, audited with reason `locked_out`); the bearer token never does.
 */
import type { MiddlewareHandler } from "hono";
import { matchedRoutes } from "hono/route";
import { recordAdminAuthFailure } from "../pipeline/audit-hooks";
import { resolveSecret, secretName, SecretUnavailableError } from "../http/schema-kit/secrets";
import { httpError, retryAfterSeconds, retryLater } from "../http/errors";
import type { AdminContext, AdminEnv } from "./context";
import { refuseWeakSecret } from "./secret-strength";
import { basicLoginFailed, basicLoginLockedFor } from "./login-lockout";
import { compiledConfigOf } from "../pipeline/request-context";
import type { AdminAuthConfig } from "../config/schema";
import { checkUserPassword } from "./password-hashes";

export const ADMIN_REALM = "loom-edge-admin";

/** RFC 9110 §11.6.1: a challenge per scheme; the realm of Loom's `users` table when it sets one. */
function challenge(auth: AdminAuthConfig | undefined): string {
  const realm = auth?.type === "users" ? auth.realm : ADMIN_REALM;
  return `Bearer realm="${ADMIN_REALM}", Basic realm="${realm}"`;
}

/** The basic logins of the config in force, if any: a policy login, or an enabled `users` table. */
function basicLogins(c: AdminContext): AdminAuthConfig | undefined {
  const auth = compiledConfigOf(c).config.admin?.auth;
  return auth?.type === "users" && !auth.enabled ? undefined : auth;
}

type Scheme = "none" | "bearer" | "basic" | "other";

type Presented =
  | { scheme: "bearer"; token: string }
  | { scheme: "basic"; username: string; password: string }
  | { scheme: Scheme; problem: PresentationProblem };

type PresentationProblem = "missing_credentials" | "unsupported_scheme" | "malformed_credentials";

/** Why an admin request was refused, as its `admin_auth_failure` audit event names it (never the client). */
type AdminRefusalReason =
  | PresentationProblem
  | "invalid_credentials"
  | "bearer_not_configured"
  | "basic_not_configured"
  | "basic_password_unset"
  | "weak_password"
  | "locked_out";

const encoder = new TextEncoder();

async function sameSecret(presented: string, expected: string): Promise<boolean> {
  const [a, b] = await Promise.all([
    crypto.subtle.digest("SHA-256", encoder.encode(presented)),
    crypto.subtle.digest("SHA-256", encoder.encode(expected)),
  ]);
  return crypto.subtle.timingSafeEqual(a, b);
}

/** RFC 7617 §2: base64 of `user-id ":" password`, UTF-8 (the user-id holds no colon). */
function decodeBasic(encoded: string): { username: string; password: string } | undefined {
  try {
    const text = new TextDecoder("utf-8", { fatal: true, ignoreBOM: false }).decode(
      Uint8Array.from(atob(encoded), (char) => char.charCodeAt(0)),
    );
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
async function authenticate(c: AdminContext, presented: Presented): Promise<{ actor: string } | { reason: AdminRefusalReason }> {
  if ("problem" in presented) return { reason: presented.problem };
  if (presented.scheme === "bearer") {
    const token = c.env.ADMIN_TOKEN;
    if (!token) return { reason: "bearer_not_configured" };
    refuseWeakSecret("ADMIN_TOKEN", token);
    return (await sameSecret(presented.token, token)) ? { actor: "token" } : { reason: "invalid_credentials" };
  }
  const basic = basicLogins(c);
  if (!basic) return { reason: "basic_not_configured" };
  if (basic.type === "users") {
    const check = await checkUserPassword(basic, presented.username, presented.password);
    if (check === "valid") return { actor: `basic:${presented.username}` };
    return { reason: check === "weak" ? "weak_password" : "invalid_credentials" };
  }
  let password: string;
  try {
    password = resolveSecret(basic.password, c.env);
  } catch (error) {
    if (error instanceof SecretUnavailableError) return { reason: "basic_password_unset" };
    throw error;
  }
  refuseWeakSecret(secretName(basic.password), password);
  // Both comparisons always run, so timing does not tell which one failed.
  const [userOk, passwordOk] = await Promise.all([
    sameSecret(presented.username, basic.username),
    sameSecret(presented.password, password),
  ]);
  return userOk && passwordOk ? { actor: `basic:${basic.username}` } : { reason: "invalid_credentials" };
}

/** The pattern of the endpoint the path matches (`/admin/routes/:id`), or `admin`: what a refusal is audited under. */
function endpointPattern(c: AdminContext): string {
  return matchedRoutes(c).find((route) => !route.path.endsWith("*"))?.path ?? "admin";
}

export const adminAuth = (): MiddlewareHandler<AdminEnv> =>
  async function adminAuth(c, next) {
    const presented = presentedCredentials(c.req.header("Authorization"));
    // Recorded after the response, through the audit queue and aggregated per isolate
    // (worker/pipeline/audit-hooks.ts): a failing audit path must not turn a 401 into something
    // else, and an attacker can neither slow the 401 down nor flood the log with rows.
    const refused = (reason: AdminRefusalReason) =>
      recordAdminAuthFailure(
        { path: endpointPattern(c), scheme: presented.scheme, reason, ip: c.var.clientIp, userAgent: c.req.header("User-Agent") ?? "" },
        c,
      );
    // Only where basic logins exist: otherwise no guess can succeed, and none costs an object call.
    if ("username" in presented && basicLogins(c)) {
      const lockedMs = await basicLoginLockedFor(c, presented.username);
      if (lockedMs > 0) {
        refused("locked_out");
        const seconds = retryAfterSeconds(lockedMs);
        throw retryLater("login_locked", `too many failed logins; retry in ${seconds} s or use the admin token`, seconds);
      }
    }
    const outcome = await authenticate(c, presented);
    if ("actor" in outcome) {
      c.set("actor", outcome.actor);
      return next();
    }
    // A weak password is a guess like any other: it counts towards the lockout.
    if ("username" in presented && (outcome.reason === "invalid_credentials" || outcome.reason === "weak_password"))
      await basicLoginFailed(c, presented.username);
    refused(outcome.reason);
    throw httpError("unauthorized", "admin credentials are missing or wrong", {
      headers: { "WWW-Authenticate": challenge(compiledConfigOf(c).config.admin?.auth) },
    });
  };
