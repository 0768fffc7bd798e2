/**
 * Why authentication refused a request, as one typed union, and the one place that turns a
 * refusal into its answer (status, code, message, WWW-Authenticate). The schemes (api-key.ts,
 * basic.ts, jwt.ts, mtls.ts) only name a reason; `authenticate` (index.ts) only decides which
 * refusal applies. A reason goes to the `auth_failure` audit event, never to the client: the
 * body never says which check failed.
 */
import { httpError, retryAfterSeconds, retryLater, type HttpError } from "../../http/errors";
import type { SchemeName } from "../../env";

/** What a scheme found wrong with the request's credential (or that it sent none). */
export type RefusalReason =
  // every scheme: nothing was presented
  | "missing_credentials"
  // api_key
  | "invalid_key"
  // basic
  | "malformed_credentials"
  | "invalid_credentials"
  // jwt
  | "token_too_large"
  | "malformed_token"
  | "encrypted_token"
  | "expired"
  | "not_yet_valid"
  | "issued_in_future"
  | "missing_claim"
  | `claim_mismatch:${string}`
  | "algorithm_not_allowed"
  | "unknown_key"
  | "key_type_mismatch"
  | "bad_signature"
  | "unsupported_header"
  | "jwks_invalid"
  | "jwks_unavailable"
  // mtls
  | "cert_not_presented"
  | "cert_not_verified"
  | "cert_revoked"
  | "cert_not_allowed";

/** The reasons `authenticate` itself refuses for, after or before asking the schemes. */
export type AuthFailureReason = RefusalReason | "route_not_allowed" | "too_many_failures";

/** One scheme's refusal: `presented` when the client sent a credential for it (a bad one). */
export interface SchemeRefusal {
  scheme: { name: SchemeName; realm?: string };
  presented: boolean;
}

/** How `authenticate` refuses a request. */
export type AuthRefusal =
  /** Every acceptable scheme refused: 401 with their challenges, 403 when only mTLS was acceptable. */
  | { kind: "credentials"; refusals: readonly SchemeRefusal[] }
  /** Authenticated, but the consumer may not call this route (RFC 9110 §15.5.4: 403). */
  | { kind: "route_not_allowed" }
  /** The client's address is blocked after too many failures: 429 with Retry-After. */
  | { kind: "too_many_failures"; blockedMs: number };

/** `realm="…"`; schema.ts restricts realms to characters that need no escaping. */
const realmParam = (realm = ""): string => `realm="${realm}"`;

/** The WWW-Authenticate challenge of a refused scheme (RFC 9110 §11.6.1), or none. */
function challenge({ scheme, presented }: SchemeRefusal): string | undefined {
  switch (scheme.name) {
    case "api_key":
      return `ApiKey ${realmParam(scheme.realm)}`;
    case "basic":
      // RFC 7617 §2.1: the charset the user-id and password are decoded in.
      return `Basic ${realmParam(scheme.realm)}, charset="UTF-8"`;
    case "jwt":
      // RFC 6750 §3.1: no error code when the request carried no token; invalid_token, nothing more, for a bad one.
      return presented ? `Bearer ${realmParam(scheme.realm)}, error="invalid_token"` : `Bearer ${realmParam(scheme.realm)}`;
    case "mtls":
      // There is no HTTP authentication scheme for TLS client certificates (RFC 8705 §2 uses the TLS layer).
      return undefined;
  }
}

/** The answer to a refusal. */
export function refusalError(refusal: AuthRefusal): HttpError {
  switch (refusal.kind) {
    case "route_not_allowed":
      return httpError("route_not_allowed");
    case "too_many_failures": {
      const seconds = retryAfterSeconds(refusal.blockedMs);
      return retryLater("too_many_auth_failures", `too many failed authentications from this address; retry in ${seconds} s`, seconds);
    }
    case "credentials": {
      const challenges = refusal.refusals.flatMap((one) => challenge(one) ?? []);
      // RFC 9110 §15.5.2: a 401 must carry a challenge; without one (mTLS only), 403.
      if (challenges.length === 0) return httpError("client_certificate_required");
      return httpError("unauthorized", undefined, {
        headers: challenges.map((value): [string, string] => ["WWW-Authenticate", value]),
      });
    }
  }
}
