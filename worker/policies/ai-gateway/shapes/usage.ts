/**
 * The token usage a provider reports, for charging the budget reserved from the estimate:
 *
 * - JSON responses: `usage.prompt_tokens` / `completion_tokens` (Chat Completions, Embeddings),
 *   `usage.input_tokens` / `output_tokens` (Responses, Anthropic);
 * - streams: Chat Completions' last chunk carrying a non-null `usage` (sent only with
 *   `stream_options.include_usage`, see `withIncludeUsage`), Responses' `response.completed` /
 *   `response.incomplete` / `response.failed` event, Anthropic's `message_start`
 *   (`message.usage.input_tokens`) then `message_delta` (`usage.output_tokens`, cumulative).
 *
 * Anthropic counts cache reads and writes apart from `input_tokens`; all three are input the
 * model read, so they are summed. A stream that ends without its usage leaves `complete` false:
 * the caller charges the reservation.
 */
import { SseParser } from "./sse";
import { isRecord, type ProviderApi } from "./shape";

export interface TokenUsage {
  inputTokens: number;
  outputTokens: number;
}

const count = (value: unknown): number | undefined =>
  typeof value === "number" && Number.isSafeInteger(value) && value >= 0 ? value : undefined;

/** The input tokens of an Anthropic `usage` object, cache reads and writes included. */
function anthropicInput(usage: Record<string, unknown>): number | undefined {
  const input = count(usage.input_tokens);
  if (input === undefined) return undefined;
  return input + (count(usage.cache_creation_input_tokens) ?? 0) + (count(usage.cache_read_input_tokens) ?? 0);
}

/** A `usage` object as `api` writes it; undefined when it is not one. */
function readUsage(api: ProviderApi, usage: unknown): TokenUsage | undefined {
  if (!isRecord(usage)) return undefined;
  const openaiNames = api === "openai-chat" || api === "openai-embeddings";
  const input = api === "anthropic-messages" ? anthropicInput(usage) : count(openaiNames ? usage.prompt_tokens : usage.input_tokens);
  const output = api === "openai-embeddings" ? 0 : count(openaiNames ? usage.completion_tokens : usage.output_tokens);
  return input === undefined || output === undefined ? undefined : { inputTokens: input, outputTokens: output };
}

/** The usage of a (non-streamed) JSON response body, parsed; undefined when it reports none. */
export function usageFromResponse(api: ProviderApi, body: unknown): TokenUsage | undefined {
  return isRecord(body) ? readUsage(api, body.usage) : undefined;
}

/** Reads a streamed response's usage as its chunks pass through (it never alters them). */
export class StreamUsageMeter {
  /** True once the provider's final usage was read. */
  complete = false;
  private readonly parser = new SseParser();
  private input: number | undefined;
  private output: number | undefined;

  constructor(private readonly api: ProviderApi) {}

  push(chunk: Uint8Array | string): void {
    for (const event of this.parser.push(chunk)) this.read(event.event, event.data);
  }

  end(): void {
    for (const event of this.parser.end()) this.read(event.event, event.data);
  }

  /** What the provider reported so far; undefined before any count. */
  get usage(): TokenUsage | undefined {
    if (this.input === undefined && this.output === undefined) return undefined;
    return { inputTokens: this.input ?? 0, outputTokens: this.output ?? 0 };
  }

  private read(event: string, data: string): void {
    if (!carriesUsageObject(data)) return;
    let payload: unknown;
    try {
      payload = JSON.parse(data);
    } catch {
      return;
    }
    if (!isRecord(payload)) return;
    if (this.api === "anthropic-messages") this.readAnthropic(payload);
    else if (this.api === "openai-chat") this.take(readUsage(this.api, payload.usage));
    else if (this.api === "openai-responses" && event !== "error" && isRecord(payload.response) && isFinal(payload.type))
      this.take(readUsage(this.api, payload.response.usage));
  }

  private readAnthropic(payload: Record<string, unknown>): void {
    if (payload.type === "message_start" && isRecord(payload.message) && isRecord(payload.message.usage)) {
      this.input = anthropicInput(payload.message.usage) ?? this.input;
      this.output = count(payload.message.usage.output_tokens) ?? this.output;
    } else if (payload.type === "message_delta" && isRecord(payload.usage)) {
      // Cumulative; recent API versions repeat the input counts here too.
      this.input = anthropicInput(payload.usage) ?? this.input;
      const output = count(payload.usage.output_tokens);
      if (output !== undefined) {
        this.output = output;
        this.complete = true;
      }
    }
  }

  private take(usage: TokenUsage | undefined): void {
    if (usage === undefined) return;
    this.input = usage.inputTokens;
    this.output = usage.outputTokens;
    this.complete = true;
  }
}

/**
 * Whether an event's JSON has a `"usage": {` member: only those are parsed. The text deltas, nearly
 * all of a stream, are not, nor Chat Completions' chunks with `"usage": null` (every chunk once
 * `include_usage` is on). A `"usage"` inside a string value is escaped (`\"usage\"`), so never matches.
 */
function carriesUsageObject(data: string): boolean {
  for (let at = data.indexOf('"usage"'); at !== -1; at = data.indexOf('"usage"', at + 1)) {
    let next = at + 7;
    while (isJsonSpace(data.charCodeAt(next))) next++;
    if (data.charCodeAt(next) !== 0x3a) continue;
    next++;
    while (isJsonSpace(data.charCodeAt(next))) next++;
    if (data.charCodeAt(next) === 0x7b) return true;
  }
  return false;
}

/** RFC 8259 §2 insignificant whitespace. */
const isJsonSpace = (code: number): boolean => code === 0x20 || code === 0x09 || code === 0x0a || code === 0x0d;

const isFinal = (type: unknown): boolean => type === "response.completed" || type === "response.incomplete" || type === "response.failed";

/**
 * An OpenAI Chat Completions stream request made to report its usage: `stream_options:
 * { include_usage: true }` added (other stream options kept) when the body streams without it.
 * `added` tells the caller the client did not ask for the usage chunk (one more chunk, with empty
 * `choices`, before `[DONE]`). Any other body is returned as is.
 */
export function withIncludeUsage(body: unknown): { body: unknown; added: boolean } {
  if (!isRecord(body) || body.stream !== true) return { body, added: false };
  const options = body.stream_options;
  if (isRecord(options) && options.include_usage === true) return { body, added: false };
  return { body: { ...body, stream_options: { ...(isRecord(options) ? options : {}), include_usage: true } }, added: true };
}
