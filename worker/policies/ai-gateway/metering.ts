/**
 * The usage a provider reports, read from its answer as the answer passes to the client, never
 * held back for it: an event stream through the stream meter (OpenAI's final usage chunk,
 * Anthropic's `message_start` + `message_delta`, Responses' `response.completed`), a JSON answer
 * copied aside (up to MAX_METERED_JSON bytes) and read once it has all passed. `onEnd` gets the
 * usage, or undefined when the answer reported none (a stream cut short, a provider that sends
 * none, a larger JSON answer): the caller then charges what it reserved.
 *
 * A client that goes away mid-answer cancels the stream and `onEnd` never runs: its reservation is
 * charged in full when it falls due (durable-objects/token-budget.ts).
 */
import { StreamUsageMeter, usageFromResponse, type ProviderApi, type TokenUsage } from "./shapes";

/** The largest JSON answer whose usage is read (an Embeddings answer for 2048 inputs is tens of MB). */
export const MAX_METERED_JSON = 32 * 1024 * 1024;

const mediaType = (response: Response) => (response.headers.get("content-type") ?? "").split(";")[0]!.trim().toLowerCase();

export function meteredResponse(response: Response, api: ProviderApi, onEnd: (usage: TokenUsage | undefined) => void): Response {
  if (!response.body) {
    onEnd(undefined);
    return response;
  }
  const type = mediaType(response);
  let meter: Transformer<Uint8Array, Uint8Array>;
  if (type === "text/event-stream") {
    const usage = new StreamUsageMeter(api);
    meter = {
      transform(chunk, controller) {
        controller.enqueue(chunk);
        usage.push(chunk);
      },
      flush() {
        usage.end();
        onEnd(usage.complete ? usage.usage : undefined);
      },
    };
  } else {
    const chunks: Uint8Array[] = [];
    let bytes = 0;
    meter = {
      transform(chunk, controller) {
        controller.enqueue(chunk);
        bytes += chunk.byteLength;
        if (bytes <= MAX_METERED_JSON) chunks.push(chunk);
      },
      flush() {
        onEnd(type === "application/json" && bytes <= MAX_METERED_JSON ? usageOfJson(api, chunks, bytes) : undefined);
      },
    };
  }
  return new Response(response.body.pipeThrough(new TransformStream(meter)), response);
}

function usageOfJson(api: ProviderApi, chunks: readonly Uint8Array[], length: number): TokenUsage | undefined {
  const whole = new Uint8Array(length);
  let at = 0;
  for (const chunk of chunks) {
    whole.set(chunk, at);
    at += chunk.byteLength;
  }
  try {
    return usageFromResponse(api, JSON.parse(new TextDecoder().decode(whole)));
  } catch {
    return undefined;
  }
}
