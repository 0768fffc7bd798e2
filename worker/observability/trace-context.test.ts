import { describe, expect, it } from "vitest";
import { formatTraceparent, parseTraceparent, spanContextFor, type TraceRandom } from "./trace-context";

const TRACE = "4bf92f3577b34da6a3ce929d0e0e4736";
const PARENT = "00f067aa0ba902b7";

/** Random bytes counting up from `start`, and a fixed sampling draw. */
function fixedRandom(fraction: number, start = 1): TraceRandom {
  let next = start;
  return {
    bytes: (array) => array.map(() => next++ & 0xff),
    fraction: () => fraction,
  };
}

describe("parseTraceparent (W3C Trace Context §3.2)", () => {
  it("reads the example of the specification", () => {
    expect(parseTraceparent(`00-${TRACE}-${PARENT}-01`)).toEqual({ traceId: TRACE, parentId: PARENT, sampled: true });
    expect(parseTraceparent(`00-${TRACE}-${PARENT}-00`)).toEqual({ traceId: TRACE, parentId: PARENT, sampled: false });
  });

  it("reads only the sampled bit of trace-flags", () => {
    expect(parseTraceparent(`00-${TRACE}-${PARENT}-03`)?.sampled).toBe(true);
    expect(parseTraceparent(`00-${TRACE}-${PARENT}-02`)?.sampled).toBe(false);
  });

  it("accepts a later version with more fields after a dash (§3.2.4)", () => {
    expect(parseTraceparent(`01-${TRACE}-${PARENT}-01-what-comes-next`)).toEqual({ traceId: TRACE, parentId: PARENT, sampled: true });
  });

  it.each([
    ["absent", undefined],
    ["empty", ""],
    ["upper-case hex", `00-${TRACE.toUpperCase()}-${PARENT}-01`],
    ["version ff", `ff-${TRACE}-${PARENT}-01`],
    ["version 00 with a fifth field", `00-${TRACE}-${PARENT}-01-extra`],
    ["an all-zero trace id", `00-${"0".repeat(32)}-${PARENT}-01`],
    ["an all-zero parent id", `00-${TRACE}-${"0".repeat(16)}-01`],
    ["a short trace id", `00-${TRACE.slice(1)}-${PARENT}-01`],
    ["two headers combined", `00-${TRACE}-${PARENT}-01, 00-${TRACE}-${PARENT}-01`],
    ["a missing field", `00-${TRACE}-${PARENT}`],
  ])("refuses %s", (_name, value) => {
    expect(parseTraceparent(value)).toBeUndefined();
  });
});

describe("spanContextFor", () => {
  it("continues a valid traceparent: same trace, new span, the caller's span as parent, its sampled flag", () => {
    const span = spanContextFor(`00-${TRACE}-${PARENT}-01`, 0, fixedRandom(0.99));
    expect(span).toEqual({ traceId: TRACE, spanId: "0102030405060708", parentSpanId: PARENT, sampled: true });
    // sample_rate 1 does not override a caller that did not sample.
    expect(spanContextFor(`00-${TRACE}-${PARENT}-00`, 1, fixedRandom(0)).sampled).toBe(false);
  });

  it("starts a new trace without a parent when the traceparent is invalid or absent", () => {
    for (const incoming of [null, `00-${TRACE.toUpperCase()}-${PARENT}-01`]) {
      const span = spanContextFor(incoming, 1, fixedRandom(0.5));
      expect(span.parentSpanId).toBeUndefined();
      expect(span.spanId).toBe("0102030405060708");
      expect(span.traceId).toBe("090a0b0c0d0e0f101112131415161718");
      expect(span.sampled).toBe(true);
    }
  });

  it("samples a new trace when the draw is below sample_rate", () => {
    expect(spanContextFor(null, 0.25, fixedRandom(0.24)).sampled).toBe(true);
    expect(spanContextFor(null, 0.25, fixedRandom(0.25)).sampled).toBe(false);
    expect(spanContextFor(null, 0, fixedRandom(0)).sampled).toBe(false);
    expect(spanContextFor(null, 1, fixedRandom(0.999999)).sampled).toBe(true);
  });

  it("never makes an all-zero id, which the specification forbids", () => {
    const zeros: TraceRandom = { bytes: (array) => array.fill(0), fraction: () => 0 };
    const span = spanContextFor(null, 1, zeros);
    expect(span.spanId).toBe("0000000000000001");
    expect(span.traceId).toBe(`${"0".repeat(31)}1`);
    expect(parseTraceparent(formatTraceparent(span))).toBeDefined();
  });
});

describe("formatTraceparent", () => {
  it("writes version 00 with the gateway's span as the parent and the sampled flag", () => {
    const span = spanContextFor(`00-${TRACE}-${PARENT}-01`, 1, fixedRandom(0));
    expect(formatTraceparent(span)).toBe(`00-${TRACE}-0102030405060708-01`);
    expect(formatTraceparent({ ...span, sampled: false })).toBe(`00-${TRACE}-0102030405060708-00`);
  });
});
