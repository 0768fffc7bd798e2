/**
 * The IETF RateLimit header fields (draft-ietf-httpapi-ratelimit-headers-11, May 2026): both
 * are Structured Field Lists (RFC 9651) of String items with parameters.
 *
 *   RateLimit-Policy: "burst";q=200;w=2, "minute";q=6000;w=60     (§3: quota q per window w s)
 *   RateLimit: "burst";r=57;t=1                                  (§4: r left, t seconds)
 *
 * Each token bucket is one policy: q is the bucket size and w the seconds it takes to refill
 * (so q/w is the sustained rate). r is what is left now; t is when the bucket is full again,
 * or, on a 429, the Retry-After value, since §6 says Retry-After should not point before the
 * end of the effective window. Loom's own X-RateLimit-Limit / X-RateLimit-Remaining go beside them
 * (loomLimitHeaders), for clients written against Loom. No `pk`: the partition key would reveal the client's address
 * or identity (§6.1 asks servers to avoid sensitive partition keys).
 */
import type { Bucket, LimitStatus } from "../../../durable-objects/token-bucket";

export function policyHeader(buckets: readonly Bucket[]): string {
  return buckets
    .map((bucket) => `"${bucket.name}";q=${Math.floor(bucket.capacity)};w=${Math.max(1, Math.ceil(bucket.capacity / bucket.perMs / 1000))}`)
    .join(", ");
}

export function rateLimitHeader(limits: readonly LimitStatus[]): string {
  return limits.map((limit) => `"${limit.name}";r=${limit.remaining};t=${Math.ceil(limit.resetMs / 1000)}`).join(", ");
}

/** On a refusal: nothing is left under any policy until Retry-After. */
export function exhaustedHeader(buckets: readonly Bucket[], retryAfterSeconds: number): string {
  return buckets.map((bucket) => `"${bucket.name}";r=0;t=${retryAfterSeconds}`).join(", ");
}

/**
 * Loom's X-RateLimit-Limit: one number for a limit of several buckets, so the first bucket's size
 * (the burst of a per-second rate, else the per-minute or per-hour quota), fixed per scope.
 */
export function loomLimitHeader(buckets: readonly Bucket[]): string {
  return String(Math.floor(buckets[0]!.capacity));
}

/** Loom's X-RateLimit-Remaining: what can be sent now, i.e. the fewest tokens left in any bucket. */
export function loomRemainingHeader(limits: readonly LimitStatus[]): string {
  return String(Math.max(0, Math.min(...limits.map((limit) => limit.remaining))));
}
