/**
 * PII in a streamed (SSE) completion, masked as it passes: every event that is not a text delta
 * goes on byte for byte as it came (shapes' SseParser in raw mode); a text delta is rewritten
 * with its text through a PiiStreamMasker, one per text being written (a choice, a content
 * block, an output part), so a finding split across deltas is masked whole.
 *
 * How much is held back: the masker keeps the last 320 characters of each text (the longest
 * e-mail address, RFC 5321 §4.5.3.1; it rescans every 64 more, so 320 to 384), extended back to
 * the start of the word they cut (a JWT or a key is held whole) up to 8192 characters
 * (pii/stream.ts). A delta whose text is all held back goes on with an empty text. What is held
 * comes out when the text ends, as one more delta (a copy of that text's last delta with the
 * rest as its text) right before the event that ends it:
 * - Chat Completions: in the delta of the chunk that carries the choice's `finish_reason`, else
 *   in one more chunk before `data: [DONE]` or the end of the stream;
 * - Anthropic: a `content_block_delta` before the block's `content_block_stop`;
 * - Responses: a `response.output_text.delta` before `response.output_text.done` (with the same
 *   `sequence_number` as the text's last delta). The events that repeat the whole text
 *   (`output_text.done`, `content_part.done`, `output_item.done`, `response.completed` and the
 *   other final events) carry it masked as a whole.
 * Chat Completions' `logprobs` repeat the text token by token: with `mask` they are sent as null.
 *
 * With `log` nothing is changed: the deltas are only scanned, to count.
 * An event larger than the parser keeps (1 MiB) cannot be read, so cannot be masked: the
 * stream fails there (fail closed) rather than pass it on unread; so does a stream that writes
 * more than MAX_OPEN_TEXTS texts at once.
 */
import { isRecord } from "../../../http/json-value";
import { PiiStreamMasker } from "../pii";
import { SseParser, type ProviderApi, type SseEvent } from "../shapes";
import { addCounts, maskedResponse, maskedText } from "./response-json";

type Json = Record<string, unknown>;

/**
 * Texts being written at once, each holding up to 8192 characters: Chat Completions' `n` is at
 * most 128, and a message has a few content blocks or parts. More fails the stream (bounded memory).
 */
export const MAX_OPEN_TEXTS = 128;

interface Channel {
  masker: PiiStreamMasker;
  /** The text's last delta event: name and payload, to copy for what is left at its end. */
  event: string;
  template: Json;
  /** Where the text goes in a copy of `template`. */
  setText: (payload: Json, text: string) => void;
}

/** Responses events that repeat whole texts, masked as a whole. */
const RESPONSES_WHOLE_TEXT = new Set([
  "response.output_text.done",
  "response.content_part.added",
  "response.content_part.done",
  "response.output_item.added",
  "response.output_item.done",
  "response.created",
  "response.in_progress",
  "response.completed",
  "response.incomplete",
  "response.failed",
]);

const frame = (event: string, payload: unknown): string =>
  `${event === "message" ? "" : `event: ${event}\n`}data: ${JSON.stringify(payload)}\n\n`;

export class SseTextMasker {
  private readonly parser = new SseParser(undefined, { raw: true });
  private readonly channels = new Map<string, Channel>();
  private readonly counts = new Map<string, number>();

  constructor(
    private readonly api: ProviderApi,
    private readonly mask: boolean,
  ) {}

  /** The text to send on for `chunk` (possibly ""). Throws when an event is too large to read. */
  push(chunk: Uint8Array | string): string {
    return this.events(this.parser.push(chunk));
  }

  /** What is left at the end of the stream, every text's held tail included. */
  end(): string {
    return this.events(this.parser.end()) + this.flushAll();
  }

  /** PII found in the stream's texts so far, by type. */
  countsByType(): Record<string, number> {
    const counts = new Map(this.counts);
    for (const channel of this.channels.values()) addCounts(counts, channel.masker.countsByType());
    return Object.fromEntries(counts);
  }

  private events(events: SseEvent[]): string {
    if (this.parser.droppedEvents > 0) throw new Error("an SSE event of the response is too large to check for PII");
    let out = "";
    for (const event of events) out += this.event(event);
    return out;
  }

  private event(event: SseEvent): string {
    const raw = event.raw!;
    if (event.data === "[DONE]") return this.flushAll() + raw;
    let payload: unknown;
    try {
      payload = event.data === "" ? undefined : JSON.parse(event.data);
    } catch {
      return raw;
    }
    if (!isRecord(payload)) return raw;
    const { before, rewritten } = this.rewrite(event.event, payload);
    return before + (this.mask && rewritten !== undefined ? frame(event.event, rewritten) : raw);
  }

  /** What goes before the event (held tails of texts it ends), and the event rewritten, when it carries text. */
  private rewrite(name: string, payload: Json): { before: string; rewritten?: Json } {
    switch (this.api) {
      case "openai-chat":
        return { before: "", rewritten: this.chatChunk(name, payload) };
      case "anthropic-messages":
        return this.anthropicEvent(name, payload);
      case "openai-responses":
        return this.responsesEvent(name, payload);
      case "openai-embeddings":
        return { before: "" };
    }
  }

  private chatChunk(name: string, payload: Json): Json | undefined {
    if (!Array.isArray(payload.choices)) return undefined;
    let changed = false;
    const choices = payload.choices.map((choice: unknown) => {
      if (!isRecord(choice) || !isRecord(choice.delta)) return choice;
      const key = `choice:${String(choice.index)}`;
      const content = typeof choice.delta.content === "string" ? choice.delta.content : undefined;
      const finished = choice.finish_reason !== null && choice.finish_reason !== undefined;
      if (content === undefined && !finished && (choice.logprobs === null || choice.logprobs === undefined)) return choice;
      const template = {
        ...payload,
        choices: [{ ...choice, finish_reason: null, ...(choice.logprobs === undefined ? {} : { logprobs: null }) }],
      };
      const setText = (copy: Json, text: string) => {
        const [only] = copy.choices as Json[];
        copy.choices = [{ ...only, delta: { ...(only!.delta as Json), content: text } }];
      };
      let text = content === undefined ? "" : this.channel(key, name, template, setText).masker.push(content);
      if (finished) text += this.close(key);
      changed = true;
      const delta = content === undefined && text === "" ? choice.delta : { ...choice.delta, content: text };
      return { ...choice, delta, ...(choice.logprobs === undefined ? {} : { logprobs: null }) };
    });
    return changed ? { ...payload, choices } : undefined;
  }

  private anthropicEvent(name: string, payload: Json): { before: string; rewritten?: Json } {
    const key = `block:${String(payload.index)}`;
    switch (payload.type) {
      case "content_block_start": {
        const block = payload.content_block;
        if (!isRecord(block) || block.type !== "text" || typeof block.text !== "string" || block.text === "") return { before: "" };
        const text = this.channel(key, "content_block_delta", blockDelta(payload.index), setDeltaText).masker.push(block.text);
        return { before: "", rewritten: { ...payload, content_block: { ...block, text } } };
      }
      case "content_block_delta": {
        const delta = payload.delta;
        if (!isRecord(delta) || delta.type !== "text_delta" || typeof delta.text !== "string") return { before: "" };
        const text = this.channel(key, name, payload, setDeltaText).masker.push(delta.text);
        return { before: "", rewritten: { ...payload, delta: { ...delta, text } } };
      }
      case "content_block_stop":
        return { before: this.closeAsEvent(key) };
      case "message_stop":
        return { before: this.flushAll() };
      default:
        return { before: "" };
    }
  }

  private responsesEvent(name: string, payload: Json): { before: string; rewritten?: Json } {
    const key = `text:${String(payload.output_index)}:${String(payload.content_index)}`;
    if (payload.type === "response.output_text.delta" && typeof payload.delta === "string") {
      const setText = (copy: Json, text: string) => (copy.delta = text);
      return { before: "", rewritten: { ...payload, delta: this.channel(key, name, payload, setText).masker.push(payload.delta) } };
    }
    if (typeof payload.type !== "string" || !RESPONSES_WHOLE_TEXT.has(payload.type)) return { before: "" };
    const final = payload.type === "response.completed" || payload.type === "response.incomplete" || payload.type === "response.failed";
    const before = payload.type === "response.output_text.done" ? this.closeAsEvent(key) : final ? this.flushAll() : "";
    return { before, rewritten: this.wholeTexts(payload) };
  }

  /** A Responses event that repeats whole texts, each masked as a whole (counted by its deltas already); undefined when none changed. */
  private wholeTexts(payload: Json): Json | undefined {
    const ignored = new Map<string, number>();
    if (typeof payload.text === "string") {
      const text = maskedText(payload.text, true).text;
      return text === payload.text ? undefined : { ...payload, text };
    }
    if (isRecord(payload.part) && typeof payload.part.text === "string") {
      const text = maskedText(payload.part.text, true).text;
      return text === payload.part.text ? undefined : { ...payload, part: { ...payload.part, text } };
    }
    if (isRecord(payload.item)) {
      const item = maskedResponse("openai-responses", { output: [payload.item] }, true, ignored) as { output: unknown[] } | undefined;
      return item && { ...payload, item: item.output[0] };
    }
    if (isRecord(payload.response)) {
      const response = maskedResponse("openai-responses", payload.response, true, ignored);
      return response === undefined ? undefined : { ...payload, response };
    }
    return undefined;
  }

  private channel(key: string, event: string, template: Json, setText: Channel["setText"]): Channel {
    let channel = this.channels.get(key);
    if (channel === undefined) {
      if (this.channels.size >= MAX_OPEN_TEXTS) throw new Error(`a response stream writes more than ${MAX_OPEN_TEXTS} texts at once`);
      channel = { masker: new PiiStreamMasker(), event, template, setText };
      this.channels.set(key, channel);
    } else {
      channel.event = event;
      channel.template = template;
    }
    return channel;
  }

  /** The held tail of one text, which then ends. */
  private close(key: string): string {
    const channel = this.channels.get(key);
    if (channel === undefined) return "";
    this.channels.delete(key);
    const rest = channel.masker.flush();
    addCounts(this.counts, channel.masker.countsByType());
    return rest;
  }

  /** The held tail of one text as one more delta event ("" when nothing is held). */
  private closeAsEvent(key: string): string {
    const channel = this.channels.get(key);
    const rest = this.close(key);
    if (channel === undefined || rest === "" || !this.mask) return "";
    const copy = { ...channel.template };
    channel.setText(copy, rest);
    return frame(channel.event, copy);
  }

  private flushAll(): string {
    let out = "";
    for (const key of [...this.channels.keys()]) out += this.closeAsEvent(key);
    return out;
  }
}

const blockDelta = (index: unknown): Json => ({ type: "content_block_delta", index, delta: { type: "text_delta", text: "" } });

const setDeltaText = (copy: Json, text: string) => {
  copy.delta = { ...(copy.delta as Json), text };
};

/** A TransformStream that masks (or, with `mask` false, only counts) PII in an SSE completion; `onEnd` gets the counts when the stream ends. */
export function maskedSseStream(
  api: ProviderApi,
  mask: boolean,
  onEnd: (counts: Record<string, number>) => void,
): TransformStream<Uint8Array, Uint8Array> {
  const masker = new SseTextMasker(api, mask);
  const encoder = new TextEncoder();
  return new TransformStream({
    transform(chunk, controller) {
      const out = masker.push(chunk);
      if (out !== "") controller.enqueue(encoder.encode(out));
    },
    flush(controller) {
      const out = masker.end();
      if (out !== "") controller.enqueue(encoder.encode(out));
      onEnd(masker.countsByType());
    },
  });
}
