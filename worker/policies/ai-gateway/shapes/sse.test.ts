import { describe, expect, it } from "vitest";
import { SseParser, type SseEvent } from "./sse";
import { ANTHROPIC_STREAM, OPENAI_CHAT_STREAM_WITH_USAGE } from "./streams.test-data";

const parseAll = (...chunks: (string | Uint8Array)[]): SseEvent[] => {
  const parser = new SseParser();
  return [...chunks.flatMap((chunk) => parser.push(chunk)), ...parser.end()];
};

describe("SseParser", () => {
  it("reads data and event fields; joins data lines; ignores comments, id, retry and other fields", () => {
    expect(parseAll(": keep-alive\nid: 7\nretry: 10\nevent: ping\ndata: first\ndata:second\ndata\nfoo: bar\n\ndata: next\n\n")).toEqual([
      { event: "ping", data: "first\nsecond\n" },
      { event: "message", data: "next" },
    ]);
  });

  it("ends lines at CRLF, LF or CR", () => {
    const expected = [
      { event: "a", data: "1" },
      { event: "message", data: "2" },
    ];
    expect(parseAll("event: a\r\ndata: 1\r\n\r\ndata: 2\r\n\r\n")).toEqual(expected);
    expect(parseAll("event: a\rdata: 1\r\rdata: 2\r\r")).toEqual(expected);
    expect(parseAll("event: a\ndata: 1\n\ndata: 2\n\n")).toEqual(expected);
  });

  it("does not dispatch an event without data, and resets the event type after each event", () => {
    expect(parseAll("event: lonely\n\ndata: x\n\n")).toEqual([{ event: "message", data: "x" }]);
  });

  it("finds the same events whatever the chunking, a CRLF, a multi-byte character or an event split across chunks", () => {
    for (const stream of [OPENAI_CHAT_STREAM_WITH_USAGE, ANTHROPIC_STREAM, ANTHROPIC_STREAM.replaceAll("\n", "\r\n")]) {
      const bytes = new TextEncoder().encode(stream);
      const whole = parseAll(bytes);
      expect(whole.length).toBeGreaterThan(4);
      for (let cut = 0; cut <= bytes.length; cut++) expect(parseAll(bytes.subarray(0, cut), bytes.subarray(cut))).toEqual(whole);
      expect(parseAll(...Array.from(bytes, (byte) => Uint8Array.of(byte)))).toEqual(whole);
      expect(parseAll(...Array.from(stream))).toEqual(whole);
    }
  });

  it("drops one leading BOM only", () => {
    expect(parseAll(new Uint8Array([0xef, 0xbb, 0xbf]), "data: x\n\n")).toEqual([{ event: "message", data: "x" }]);
    expect(parseAll("\ufeffdata: x\n\n\ufeffdata: y\n\n")).toEqual([{ event: "message", data: "x" }]);
  });

  it("dispatches at the end an event the stream left unterminated", () => {
    expect(parseAll("data: a\n\ndata: b")).toEqual([
      { event: "message", data: "a" },
      { event: "message", data: "b" },
    ]);
    expect(parseAll("data: c\n")).toEqual([{ event: "message", data: "c" }]);
    expect(parseAll("")).toEqual([]);
  });

  it("drops an event larger than its limit, by data or by one long line, and reads the next", () => {
    const parser = new SseParser(100);
    const events = [
      ...parser.push("data: " + "x".repeat(60) + "\ndata: " + "y".repeat(60) + "\n\n"),
      ...parser.push("data: small\n\n"),
      ...parser.push("data: "),
    ];
    for (let index = 0; index < 1000; index++) events.push(...parser.push("z".repeat(100)));
    events.push(...parser.push("\n\ndata: last\n\n"), ...parser.end());
    expect(events).toEqual([
      { event: "message", data: "small" },
      { event: "message", data: "last" },
    ]);
    expect(parser.droppedEvents).toBe(2);
  });
});

describe("SseParser in raw mode", () => {
  const STREAM = "\ufeff: keep-alive\r\nid: 7\r\nevent: a\r\ndata: 1\r\n\r\nevent: empty\n\ndata: 2\rdata: 3\r\rretry: 10\n\ndata: last";
  const rawAll = (chunks: string[]) => {
    const parser = new SseParser(1 << 20, { raw: true });
    return [...chunks.flatMap((chunk) => parser.push(chunk)), ...parser.end()];
  };

  it("returns every block with its text as received: the raw texts make up the stream (less the BOM), however it is cut", () => {
    const whole = rawAll([STREAM]);
    expect(whole.map(({ event, data }) => ({ event, data }))).toEqual([
      { event: "a", data: "1" },
      { event: "empty", data: "" },
      { event: "message", data: "2\n3" },
      { event: "message", data: "" },
      { event: "message", data: "last" },
    ]);
    expect(whole.map((event) => event.raw)).toEqual([
      ": keep-alive\r\nid: 7\r\nevent: a\r\ndata: 1\r\n\r",
      "\nevent: empty\n\n",
      "data: 2\rdata: 3\r\r",
      "retry: 10\n\n",
      "data: last",
    ]);
    for (let cut = 0; cut <= STREAM.length; cut++) {
      const events = rawAll([STREAM.slice(0, cut), STREAM.slice(cut)]);
      expect(events.map((event) => event.raw).join(""), `cut at ${cut}`).toBe(STREAM.slice(1));
      expect(
        events.map(({ event, data }) => ({ event, data })),
        `cut at ${cut}`,
      ).toEqual(whole.map(({ event, data }) => ({ event, data })));
    }
  });

  it("keeps the LF of a final CRLF as a block of its own", () => {
    expect(rawAll(["data: x\r\n\r", "\n"]).map((event) => event.raw)).toEqual(["data: x\r\n\r", "\n"]);
  });

  it("drops an event that grows too large, its raw text with it, and counts it", () => {
    const parser = new SseParser(16, { raw: true });
    const events = [...parser.push(`data: ${"x".repeat(40)}\n\ndata: ok\n\n`), ...parser.end()];
    // The line too long to keep ends the dropped event; the blank line after it is a block of its own.
    expect(events.map((event) => event.raw)).toEqual(["\n", "data: ok\n\n"]);
    expect(parser.droppedEvents).toBe(1);
  });

  it("adds nothing in the default mode", () => {
    const parser = new SseParser();
    expect([...parser.push(STREAM), ...parser.end()].every((event) => event.raw === undefined)).toBe(true);
  });
});
