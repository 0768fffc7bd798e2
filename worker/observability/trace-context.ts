/**
 * W3C Trace Context (https://www.w3.org/TR/trace-context/, Level 1): reading the client's
 * `traceparent`, choosing the gateway span's ids and sampling decision, and writing the
 * `traceparent` the upstream receives.
 *
 * - A valid incoming `traceparent` is continued: same trace id, a new span id for the gateway,
 *   the incoming parent id as the span's parent, and its sampled flag respected (a parent-based
 *   sampler: a caller that sampled expects the whole trace).
 * - An absent or invalid one starts a new trace, sampled with probability `sampleRate`.
 */
import { hex } from "../http/hex";

export interface SpanContext {
  /** 32 lower-case hex digits, not all zero (§3.2.2.3). */
  readonly traceId: string;
  /** The gateway's span: 16 lower-case hex digits, not all zero (§3.2.2.4). */
  readonly spanId: string;
  /** The caller's span, when a valid `traceparent` arrived. */
  readonly parentSpanId?: string;
  readonly sampled: boolean;
}

export interface TraceRandom {
  /** Fills the array with random bytes (`crypto.getRandomValues`). */
  bytes(array: Uint8Array): Uint8Array;
  /** A number in [0, 1) for the sampling decision (`Math.random`). */
  fraction(): number;
}

export const CRYPTO_RANDOM: TraceRandom = {
  bytes: (array) => crypto.getRandomValues(array),
  fraction: () => Math.random(),
};

/**
 * version "-" trace-id "-" parent-id "-" trace-flags (§3.2.2), lower-case hex only (§3.2.2.1:
 * upper case is invalid). A version above 00 may append fields after a "-" (§3.2.4); version
 * ff is invalid (§3.2.2.2).
 */
const TRACEPARENT = /^([0-9a-f]{2})-([0-9a-f]{32})-([0-9a-f]{16})-([0-9a-f]{2})(-.*)?$/;
const ALL_ZERO = /^0+$/;
const SAMPLED = 0x01;

export interface Traceparent {
  readonly traceId: string;
  readonly parentId: string;
  readonly sampled: boolean;
}

/** The parts of a `traceparent` header value, or undefined when it is invalid (§3.2). */
export function parseTraceparent(value: string | null | undefined): Traceparent | undefined {
  if (!value) return undefined;
  const match = TRACEPARENT.exec(value.trim());
  if (!match) return undefined;
  const [, version, traceId, parentId, flags, rest] = match as unknown as [string, string, string, string, string, string?];
  if (version === "ff") return undefined;
  // Version 00 has exactly four fields (§3.2.2.2); later versions only add fields after them.
  if (version === "00" && rest !== undefined) return undefined;
  if (ALL_ZERO.test(traceId) || ALL_ZERO.test(parentId)) return undefined;
  return { traceId, parentId, sampled: (Number.parseInt(flags, 16) & SAMPLED) !== 0 };
}

function randomHex(random: TraceRandom, bytes: number): string {
  const array = random.bytes(new Uint8Array(bytes));
  // An all-zero id is invalid (§3.2.2.3, §3.2.2.4); 2^-64 at worst, but then the last bit is set.
  if (array.every((byte) => byte === 0)) array[bytes - 1] = 1;
  return hex(array);
}

/** The gateway span's context for a request that carried `incoming` (the `traceparent` header, or null). */
export function spanContextFor(incoming: string | null | undefined, sampleRate: number, random: TraceRandom): SpanContext {
  const parent = parseTraceparent(incoming);
  const spanId = randomHex(random, 8);
  if (parent) return { traceId: parent.traceId, spanId, parentSpanId: parent.parentId, sampled: parent.sampled };
  // sampleRate 1 samples every trace and 0 none: fraction() is in [0, 1).
  return { traceId: randomHex(random, 16), spanId, sampled: random.fraction() < sampleRate };
}

/** The `traceparent` for the upstream: the gateway's span as the parent (version 00, §3.2). */
export function formatTraceparent(span: SpanContext): string {
  return `00-${span.traceId}-${span.spanId}-${span.sampled ? "01" : "00"}`;
}
