/**
 * What every auth scheme (api-key.ts, jwt.ts, basic.ts, mtls.ts) gives the `authenticate`
 * middleware: a verdict on one request, and the challenge to send when it fails.
 */
import type { JWTPayload } from "jose";
import { SecretUnavailableError } from "../../http/schema-kit/secrets";
import type { Env, SchemeName } from "../../env";
import type { WaitUntil } from "../../http/shared-work";
import type { RateConfig } from "../../http/schema-kit/rate";
import type { RefusalReason } from "./refusal";

/** Who the request was authenticated as. */
export interface Identity {
  consumer?: string;
  tenant?: string;
  jwt?: JWTPayload;
  /** Headers to set on the upstream request (mTLS subject, JWT claims, api_key consumer and tenant). */
  headers?: [name: string, value: string][];
  /** A consumer-store key: the route ids its consumer may call (every route when unset). */
  allowedRoutes?: readonly string[];
  /** A consumer-store key: the models its consumer may ask of an AI route (every model when unset). */
  allowedModels?: ReadonlySet<string>;
  /** A consumer-store key: its consumer's own rate limit. */
  rateLimit?: RateConfig;
}

/**
 * `presented`: the client sent a credential for this scheme (a bad one), as opposed to none.
 * `reason` is for the audit log (refusal.ts); it never contains the credential.
 */
export type Verdict = { ok: true; identity: Identity } | { ok: false; reason: RefusalReason; presented: boolean };

export interface Scheme {
  readonly name: SchemeName;
  /** The realm its WWW-Authenticate challenge names (refusal.ts); mTLS has no challenge. */
  readonly realm?: string;
  /**
   * Throws SecretUnavailableError when a secret it needs is unset: fail closed with a 500.
   * `ctx` keeps work shared with other requests alive if this one is cancelled (http/shared-work.ts).
   */
  verify(request: Request, env: Env, ctx?: WaitUntil): Promise<Verdict>;
}

export const admit = (identity: Identity = {}): Verdict => ({ ok: true, identity });
export const refuse = (reason: RefusalReason, presented = true): Verdict => ({ ok: false, reason, presented });

/** Thrown inside a verification (e.g. by a key lookup) to refuse the request with this reason. */
export class AuthRejection extends Error {
  constructor(readonly reason: RefusalReason) {
    super(reason);
    this.name = "AuthRejection";
  }
}

/** A secret that is set but cannot be used (an HMAC key too short, a PEM that is no public key). */
export class UnusableSecretError extends SecretUnavailableError {
  constructor(variable: string, why: string) {
    super(variable);
    this.name = "UnusableSecretError";
    this.message = `secret ${variable} cannot be used: ${why}`;
  }
}

/** SHA-256 digest of a string's UTF-8 bytes. */
export async function sha256(text: string): Promise<ArrayBuffer> {
  return crypto.subtle.digest("SHA-256", new TextEncoder().encode(text));
}

/** Constant-time comparison of two digests of equal length. */
export function sameDigest(a: ArrayBuffer, b: ArrayBuffer): boolean {
  return crypto.subtle.timingSafeEqual(a, b);
}

/**
 * A header value for an identity passed upstream: printable ASCII as it is, anything else (and
 * `%`) percent-encoded as UTF-8, so a certificate subject or a claim can never inject a line
 * break or a byte the Headers API refuses.
 */
export function headerSafe(value: string): string {
  if (/^[\x20-\x24\x26-\x7E]*$/.test(value)) return value;
  let out = "";
  for (const byte of new TextEncoder().encode(value)) {
    out +=
      byte >= 0x20 && byte <= 0x7e && byte !== 0x25 ? String.fromCharCode(byte) : `%${byte.toString(16).toUpperCase().padStart(2, "0")}`;
  }
  return out;
}
