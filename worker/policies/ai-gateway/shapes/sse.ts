/**
 * A Server-Sent Events parser for reading provider streams as they pass through (WHATWG HTML
 * §9.2.6, "Parsing an event stream"): chunked input in any split (a multi-byte character, a line,
 * a CRLF or an event across chunks), lines ended by CRLF, LF or CR, `data:` lines joined with
 * `\n`, `event:` kept, comments and `id:` / `retry:` ignored, one leading BOM dropped.
 *
 * Linear in the input: each chunk is scanned once, and an unfinished line is kept as pieces
 * joined once it ends. An event whose data grows past `maxEventLength` characters is dropped
 * (counted in `droppedEvents`), so a stream cannot make the edge buffer without bound; the
 * bytes themselves still pass through to the client untouched.
 *
 * Unlike a browser, `end()` dispatches an event the stream left unterminated: usage in a last
 * event without its blank line is still usage the provider reported.
 *
 * With `{ raw: true }` (for a caller that rewrites some events and passes the rest on as they
 * came), every block a blank line ends is returned, with data or without (then `data` is ""),
 * each with `raw`: its text as received, line ends, comments and `id:` fields included, so the
 * concatenated `raw`s are the stream itself (less a leading BOM). The LF of a CRLF that ends a
 * block comes at the start of the next block's `raw`. An event too large is dropped, its raw
 * text with it: such a caller must treat `droppedEvents > 0` as a failed stream.
 */

export interface SseEvent {
  /** The `event:` field, "message" when there is none. */
  event: string;
  data: string;
  /** The block's text as received; only with `{ raw: true }`. */
  raw?: string;
}

/** 1 MiB: a provider's final usage event is a few hundred bytes; a text delta a few kilobytes. */
const DEFAULT_MAX_EVENT_LENGTH = 1 << 20;

export class SseParser {
  droppedEvents = 0;
  private readonly decoder = new TextDecoder("utf-8");
  private readonly maxEventLength: number;
  private lineParts: string[] = [];
  private lineLength = 0;
  private afterCarriageReturn = false;
  private atStart = true;
  private eventType = "";
  private dataParts: string[] = [];
  private dataLength = 0;
  private tooLarge = false;
  /** With `raw`: the current block's text before the chunk being scanned, else undefined. */
  private rawParts: string[] | undefined;
  private rawLength = 0;
  private dispatched = false;

  constructor(maxEventLength = DEFAULT_MAX_EVENT_LENGTH, options: { raw?: boolean } = {}) {
    this.maxEventLength = maxEventLength;
    if (options.raw) this.rawParts = [];
  }

  /** The events the chunk completes. */
  push(chunk: Uint8Array | string): SseEvent[] {
    const text = typeof chunk === "string" ? chunk : this.decoder.decode(chunk, { stream: true });
    return this.scan(text);
  }

  /** The events left when the stream ends. */
  end(): SseEvent[] {
    const events = this.scan(this.decoder.decode());
    if (this.lineLength > 0 || this.lineParts.length > 0) this.line(events);
    if (this.rawParts === undefined || this.rawLength > 0) this.dispatch(events);
    this.takeRaw(events, "");
    return events;
  }

  private scan(input: string): SseEvent[] {
    const events: SseEvent[] = [];
    let text = input;
    if (this.atStart && text.length > 0) {
      this.atStart = false;
      if (text.charCodeAt(0) === 0xfeff) text = text.slice(1);
    }
    let start = 0;
    let rawStart = 0;
    for (let index = 0; index < text.length; index++) {
      const code = text.charCodeAt(index);
      if (code !== 0x0a && code !== 0x0d) continue;
      // The LF of a CRLF whose CR ended the previous line (possibly in the previous chunk).
      if (code === 0x0a && this.afterCarriageReturn && index === start) {
        this.afterCarriageReturn = false;
        start = index + 1;
        continue;
      }
      this.appendToLine(text.slice(start, index));
      this.line(events);
      this.afterCarriageReturn = code === 0x0d;
      start = index + 1;
      if (this.dispatched) {
        this.takeRaw(events, text.slice(rawStart, start));
        rawStart = start;
      }
    }
    if (start < text.length) {
      this.afterCarriageReturn = false;
      this.appendToLine(text.slice(start));
    }
    if (this.rawParts !== undefined) this.keepRaw(text.slice(rawStart));
    return events;
  }

  /** Raw mode: the text of the block not dispatched yet, bounded like an event's data. */
  private keepRaw(piece: string): void {
    if (this.rawParts === undefined || piece.length === 0) return;
    this.rawLength += piece.length;
    if (this.rawLength <= 2 * this.maxEventLength) this.rawParts.push(piece);
    else {
      this.rawParts = [];
      this.tooLarge = true;
    }
  }

  /** Raw mode: the block just dispatched gets its text (the pieces kept, then `tail`). */
  private takeRaw(events: SseEvent[], tail: string): void {
    if (!this.dispatched || this.rawParts === undefined) return;
    this.dispatched = false;
    const event = events[events.length - 1];
    if (event !== undefined && event.raw === undefined) event.raw = this.rawParts.join("") + tail;
    this.rawParts = [];
    this.rawLength = 0;
  }

  private appendToLine(piece: string): void {
    if (piece.length === 0) return;
    this.lineLength += piece.length;
    if (this.lineLength <= this.maxEventLength) this.lineParts.push(piece);
    else this.tooLarge = true;
  }

  private line(events: SseEvent[]): void {
    const line = this.lineParts.join("");
    this.lineParts = [];
    this.lineLength = 0;
    if (line.length === 0) return this.dispatch(events);
    if (line.charCodeAt(0) === 0x3a) return; // a comment
    const colon = line.indexOf(":");
    const field = colon === -1 ? line : line.slice(0, colon);
    let value = colon === -1 ? "" : line.slice(colon + 1);
    if (value.charCodeAt(0) === 0x20) value = value.slice(1);
    if (field === "event") this.eventType = value;
    else if (field === "data") {
      this.dataLength += value.length + 1;
      if (this.dataLength <= this.maxEventLength) this.dataParts.push(value);
      else this.tooLarge = true;
    }
  }

  private dispatch(events: SseEvent[]): void {
    if (this.rawParts !== undefined) this.dispatched = true;
    if (this.tooLarge) this.droppedEvents++;
    else if (this.dataParts.length > 0 || this.rawParts !== undefined)
      events.push({ event: this.eventType || "message", data: this.dataParts.join("\n") });
    this.eventType = "";
    this.dataParts = [];
    this.dataLength = 0;
    this.tooLarge = false;
  }
}
