/**
 * Request and failure counts over a rolling window (the circuit breaker's and each endpoint's),
 * kept in tenths of the window (Hystrix's and resilience4j's time-based sliding window): a count
 * leaves the window whole when its tenth does, so it counts for between `window` and 1.1 ×
 * `window`. A window is at most 11 small buckets whatever the traffic, and adding to the newest
 * one, the common case, allocates nothing.
 *
 * Bucket starts are times on the holder's clock; between the object and an isolate the buckets
 * travel with their ages instead (`aged`, `fromAged`), so no two clocks are ever compared.
 */

export interface Counts {
  requests: number;
  failures: number;
}

export interface Bucket extends Counts {
  /** A multiple of the bucket width, on the holder's clock. */
  start: number;
}

/** A bucket as sent between clocks: how long ago it started. */
export interface AgedCounts extends Counts {
  ageMs: number;
}

/** Buckets in time order, oldest first. */
export type RollingWindow = Bucket[];

const BUCKETS = 10;

const widthOf = (windowMs: number) => Math.max(1, Math.ceil(windowMs / BUCKETS));

/** True while a bucket starting at `start` still overlaps the window ending `now`. */
const inWindow = (start: number, width: number, windowMs: number, now: number) => start + width > now - windowMs;

/** Adds counts that happened at `at` (≤ now), first dropping the buckets that left the window. */
export function addCounts(window: RollingWindow, windowMs: number, at: number, counts: Counts, now: number): void {
  const width = widthOf(windowMs);
  const start = at - (at % width);
  let expired = 0;
  while (expired < window.length && !inWindow(window[expired]!.start, width, windowMs, now)) expired++;
  if (expired > 0) window.splice(0, expired);
  if (!inWindow(start, width, windowMs, now)) return;
  // Almost always the newest bucket: look from the end.
  let index = window.length - 1;
  while (index >= 0 && window[index]!.start > start) index--;
  const bucket = window[index];
  if (bucket?.start === start) {
    bucket.requests += counts.requests;
    bucket.failures += counts.failures;
  } else {
    window.splice(index + 1, 0, { start, requests: counts.requests, failures: counts.failures });
  }
}

/**
 * Takes `part`'s counts out of `window`, bucket by bucket (both kept on one clock with one
 * width, so their buckets line up); a count never goes below 0.
 */
export function subtractWindow(window: RollingWindow, part: RollingWindow): void {
  for (const { start, requests, failures } of part) {
    const bucket = window.find((candidate) => candidate.start === start);
    if (!bucket) continue;
    bucket.requests = Math.max(0, bucket.requests - requests);
    bucket.failures = Math.max(0, bucket.failures - failures);
  }
}

/** The counts still in the window at `now`. */
export function totals(window: RollingWindow, windowMs: number, now: number): Counts {
  const width = widthOf(windowMs);
  const sum = { requests: 0, failures: 0 };
  for (const bucket of window) {
    if (!inWindow(bucket.start, width, windowMs, now)) continue;
    sum.requests += bucket.requests;
    sum.failures += bucket.failures;
  }
  return sum;
}

/** The buckets still in the window, with ages instead of times. */
export function aged(window: RollingWindow, windowMs: number, now: number): AgedCounts[] {
  const width = widthOf(windowMs);
  return window
    .filter((bucket) => inWindow(bucket.start, width, windowMs, now))
    .map(({ start, requests, failures }) => ({ ageMs: now - start, requests, failures }));
}

/** A window on this clock from buckets sent with ages. */
export function fromAged(buckets: readonly AgedCounts[], windowMs: number, now: number): RollingWindow {
  const window: RollingWindow = [];
  for (const bucket of buckets) addCounts(window, windowMs, now - bucket.ageMs, bucket, now);
  return window;
}
