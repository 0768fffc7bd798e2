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
 */

export interface SseEvent {
  /** The `event:` field, "message" when there is none. */
  event: string;
  data: string;
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

  constructor(maxEventLength = DEFAULT_MAX_EVENT_LENGTH) {
    this.maxEventLength = maxEventLength;
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
    this.dispatch(events);
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
    }
    if (start < text.length) {
      this.afterCarriageReturn = false;
      this.appendToLine(text.slice(start));
    }
    return events;
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
    if (this.tooLarge) this.droppedEvents++;
    else if (this.dataParts.length > 0) events.push({ event: this.eventType || "message", data: this.dataParts.join("\n") });
    this.eventType = "";
    this.dataParts = [];
    this.dataLength = 0;
    this.tooLarge = false;
  }
}
