/**
 * Brute force on the admin API's basic credentials (`admin.auth`): as Loom's admin does, 5
 * failed logins within a minute lock logins for 15 minutes, counted per client block (IPv4
 * address, IPv6 /64) and per user name across all isolates, with the failure limits of the
 * rate-limit Durable Objects (../limits/failure-limit.ts; the gateway's `auth_failure_limit`
 * is the same implementation). A locked login is refused 429 with Retry-After before the
 * password is compared, the right password included.
 *
 * Only a wrong user name or password counts (a malformed header or an unset password guesses
 * nothing). Every user name counts, not only the configured one: were only the real name to
 * lock, the lockout would tell a guesser which name is real. Names are counted under their
 * SHA-256, so no object name carries client text.
 *
 * The ADMIN_TOKEN bearer is never locked out: 128 bits or more of entropy make guessing it
 * hopeless, and a lockout would let anyone behind the operator's address lock the operator out.
 *
 * Admin logins are rare, so unlike the gateway's limit the lock is asked of the objects when
 * this isolate knows of none, and a failure is counted before the 401 goes out: the lock holds
 * in every isolate from the fifth failure on.
 */
import { failureCounterName, isolateFailureLimiter, objectFailureIo, type FailureLimitSpec } from "../limits/failure-limit";
import { clientBlock } from "../observability/client-block";
import type { AdminContext } from "./context";
import { hex } from "../http/hex";

export const ADMIN_LOGIN_LIMIT: FailureLimitSpec = { maxFailures: 5, windowMs: 60_000, blockMs: 15 * 60_000 };

const encoder = new TextEncoder();

async function loginCounters(c: AdminContext, username: string): Promise<string[]> {
  const digest = new Uint8Array(await crypto.subtle.digest("SHA-256", encoder.encode(username)));
  const user = hex(digest.subarray(0, 16));
  return [failureCounterName("admin-ip", clientBlock(c.var.clientIp)), failureCounterName("admin-user", user)];
}

/** How long basic logins as `username` from this client stay locked, ms; 0 when they are not. */
export async function basicLoginLockedFor(c: AdminContext, username: string): Promise<number> {
  const io = objectFailureIo(c.env);
  const locks = await Promise.all((await loginCounters(c, username)).map((name) => isolateFailureLimiter.confirmedBlockFor(name, io)));
  return Math.max(...locks);
}

/** Counts a wrong user name or password, for the client and for the user name. */
export async function basicLoginFailed(c: AdminContext, username: string): Promise<void> {
  const io = objectFailureIo(c.env);
  await Promise.all((await loginCounters(c, username)).map((name) => isolateFailureLimiter.fail(name, ADMIN_LOGIN_LIMIT, io)));
}
