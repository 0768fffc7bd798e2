/**
 * The arithmetic of a failure limit (worker/limits/failure-limit.ts): failed authentications
 * of one client block (or one admin user name) counted over a sliding window; the failure that
 * brings the count to `maxFailures` within `windowMs` blocks the key for `blockMs`.
 *
 * The window is kept as SLOTS fixed slots of windowMs / SLOTS (one second for a minute), so the
 * state is bounded whatever the flood: a failure is forgotten between windowMs - slot and
 * windowMs after it happened. A block clears the count: after the cooldown the key starts
 * again with `maxFailures`. Failures reported while the key is blocked are not counted (they
 * happened in isolates that had not yet heard of the block), so a block is never extended by
 * the traffic it refuses.
 */

export interface FailureLimitSpec {
  /** The failure that brings the count to this within the window starts a block. */
  maxFailures: number;
  windowMs: number;
  /** How long a block lasts. */
  blockMs: number;
}

export interface FailureState {
  /** Slot length the counts were kept in (the spec's window / SLOTS); another length starts afresh. */
  slotMs: number;
  /** [slot start (epoch ms), failures in it], oldest first, none older than the window. */
  slots: [start: number, failures: number][];
  /** Epoch ms; 0 when not blocked. */
  blockedUntil: number;
  /** Epoch ms from which the state means nothing (the block ended, every failure left the window): it can be deleted. */
  forgetAt: number;
}

export const SLOTS = 60;

export const emptyFailureState = (): FailureState => ({ slotMs: 0, slots: [], blockedUntil: 0, forgetAt: 0 });

/** Adds `failures` that happened at `now`; returns the new state. */
export function countFailures(state: FailureState, spec: FailureLimitSpec, failures: number, now: number): FailureState {
  if (now < state.blockedUntil) return state;
  const slotMs = Math.max(1, Math.ceil(spec.windowMs / SLOTS));
  const start = now - (now % slotMs);
  const slots = state.slotMs === slotMs ? state.slots.filter(([slot]) => slot > now - spec.windowMs) : [];
  const last = slots.at(-1);
  if (last && last[0] === start) last[1] += failures;
  else slots.push([start, failures]);
  const total = slots.reduce((sum, [, count]) => sum + count, 0);
  if (total >= spec.maxFailures) return { slotMs, slots: [], blockedUntil: now + spec.blockMs, forgetAt: now + spec.blockMs };
  return { slotMs, slots, blockedUntil: 0, forgetAt: start + spec.windowMs };
}
