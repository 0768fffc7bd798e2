/**
 * Admin secrets too weak to guard the admin API: ADMIN_TOKEN and the `admin.auth` password.
 * A secret is weak when its estimate is under 128 bits or it is trivially repetitive; then
 * every attempt by that scheme is refused 503, whatever was presented, so a weak secret is
 * never compared and can never be guessed through the API.
 *
 * The estimate: L × log2(A), where
 *   A is the size of the smallest standard alphabet holding every character: decimal 10,
 *     hex 16 (0-9 and a-f, or 0-9 and A-F), base64 or base64url 64 (RFC 4648 §4, §5), printable ASCII
 *     95; any other character counts as printable ASCII (a lower bound, never an overstatement
 *     for a random printable secret);
 *   L is the length without base64 `=` padding, or the length of the shortest unit whose
 *     repetition makes the whole secret when it repeats at least twice (`Pass1Pass1Pass1` counts
 *     as `Pass1`).
 * So a random secret needs 22 base64, 32 hex or 20 printable ASCII characters.
 * Trivially repetitive, whatever the estimate: fewer than 8 distinct characters (`aaaa…b`), or
 * fewer than 8 distinct differences between neighbouring character codes (`abcdef…`, `0123…`).
 * A random secret of 128 bits or more is refused by these with a chance below 1e-12.
 */
import { httpError } from "../http/errors";
import { log } from "../observability/logger";

export const MIN_SECRET_BITS = 128;
const MIN_DISTINCT = 8;

const ALPHABETS: readonly (readonly [pattern: RegExp, size: number])[] = [
  [/^[0-9]+$/, 10],
  [/^[0-9a-f]+$/, 16],
  [/^[0-9A-F]+$/, 16],
  [/^[A-Za-z0-9+/]+$/, 64],
  [/^[A-Za-z0-9_-]+$/, 64],
];
const PRINTABLE_ASCII = 95;

/** The smallest p ≤ n/2 with s[i] = s[i + p] for every i, or n when there is none (KMP prefix function). */
function repeatingUnitLength(text: string): number {
  const border = new Array<number>(text.length).fill(0);
  for (let i = 1, k = 0; i < text.length; i++) {
    while (k > 0 && text[i] !== text[k]) k = border[k - 1]!;
    if (text[i] === text[k]) k++;
    border[i] = k;
  }
  const period = text.length - (border.at(-1) ?? 0);
  return period * 2 <= text.length ? period : text.length;
}

function distinctSteps(text: string): number {
  const steps = new Set<number>();
  for (let i = 1; i < text.length; i++) steps.add(text.charCodeAt(i) - text.charCodeAt(i - 1));
  return steps.size;
}

export type SecretWeakness = { bits: number; reason: "too_short" | "repetitive" };

/** Why `secret` is weak, or undefined when it is strong enough for the admin API. */
export function secretWeakness(secret: string): SecretWeakness | undefined {
  const unpadded = secret.replace(/={1,2}$/, "");
  const alphabet = ALPHABETS.find(([pattern]) => pattern.test(unpadded))?.[1] ?? PRINTABLE_ASCII;
  const bits = repeatingUnitLength(unpadded) * Math.log2(alphabet);
  if (bits < MIN_SECRET_BITS) return { bits, reason: "too_short" };
  return new Set(unpadded).size < MIN_DISTINCT || distinctSteps(unpadded) < MIN_DISTINCT ? { bits, reason: "repetitive" } : undefined;
}

/** The last verdict per secret name: the values change only when the operator sets a new secret. */
const verdicts = new Map<string, { value: string; weak: boolean }>();

/**
 * Throws 503 `weak_admin_secret` when the secret `variable` holds is weak. The message names the
 * variable and how to set a strong value, never the value.
 */
export function refuseWeakSecret(variable: string, value: string): void {
  let verdict = verdicts.get(variable);
  if (verdict?.value !== value) {
    const weakness = secretWeakness(value);
    verdict = { value, weak: weakness !== undefined };
    verdicts.set(variable, verdict);
    // Once per isolate and value: the operator's log says why the admin API answers 503.
    if (weakness) log.error("weak_admin_secret", { variable, reason: weakness.reason, estimated_bits: Math.floor(weakness.bits) });
  }
  if (!verdict.weak) return;
  throw httpError(
    "weak_admin_secret",
    `the secret ${variable} is too weak to guard the admin API (under ${MIN_SECRET_BITS} bits of entropy, or repetitive), so this scheme lets nobody in until it is replaced: ` +
      `openssl rand -base64 32 | npx wrangler secret put ${variable} (locally: ${variable}=<openssl rand -base64 32> in .dev.vars)`,
  );
}
