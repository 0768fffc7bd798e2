/**
 * The usage a provider reports, read from its answer:
 *
 * - an event stream as it passes to the client, never held back for it (OpenAI's final usage
 *   chunk, Anthropic's `message_start` + `message_delta`, Responses' `response.completed`);
 *   `onEnd` runs when it has all passed;
 * - a JSON answer (one document the provider sends at once) read whole first, up to
 *   MAX_READ_JSON bytes, so its usage is known before the response starts (the access log's
 *   `ai_*` fields); a larger one is passed on as it comes, the part read first included, and
 *   counts as reporting none.
 *
 * `onEnd` gets undefined when the answer reported no usage (a stream cut short, a provider that
 * sends none, a larger JSON answer): the caller then charges what it reserved. A client that goes
 * away mid-stream cancels it and `onEnd` never runs: its reservation is charged in full when it
 * falls due (durable-objects/token-budget.ts).
 */
import { concatBytes, mediaType } from "../../http/body";
import { StreamUsageMeter, usageFromResponse, type ProviderApi, type TokenUsage } from "./shapes";

/** The largest JSON answer read whole for its usage: a completion is far smaller, an Embeddings answer for many inputs may not be. */
export const MAX_READ_JSON = 1024 * 1024;

export async function meteredResponse(
  response: Response,
  api: ProviderApi,
  onEnd: (usage: TokenUsage | undefined) => void,
): Promise<Response> {
  const type = mediaType(response.headers);
  if (!response.body || (type !== "text/event-stream" && type !== "application/json")) {
    onEnd(undefined);
    return response;
  }
  if (type === "application/json") return readJson(response, response.body, api, onEnd);
  const usage = new StreamUsageMeter(api);
  const meter = new TransformStream<Uint8Array, Uint8Array>({
    transform(chunk, controller) {
      controller.enqueue(chunk);
      usage.push(chunk);
    },
    flush() {
      usage.end();
      onEnd(usage.complete ? usage.usage : undefined);
    },
  });
  return new Response(response.body.pipeThrough(meter), response);
}

async function readJson(
  response: Response,
  body: ReadableStream<Uint8Array>,
  api: ProviderApi,
  onEnd: (usage: TokenUsage | undefined) => void,
): Promise<Response> {
  const reader = body.getReader();
  const chunks: Uint8Array[] = [];
  let length = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    chunks.push(value);
    length += value.byteLength;
    if (length > MAX_READ_JSON) {
      onEnd(undefined);
      return new Response(replay(chunks, reader), response);
    }
  }
  const whole = concatBytes(chunks, length);
  let usage: TokenUsage | undefined;
  try {
    usage = usageFromResponse(api, JSON.parse(new TextDecoder().decode(whole)));
  } catch {
    usage = undefined;
  }
  onEnd(usage);
  return new Response(whole, response);
}

/** The chunks read so far, then the rest of the reader's stream. */
function replay(chunks: Uint8Array[], reader: ReadableStreamDefaultReader<Uint8Array>): ReadableStream<Uint8Array> {
  return new ReadableStream<Uint8Array>({
    start(controller) {
      for (const chunk of chunks) controller.enqueue(chunk);
    },
    async pull(controller) {
      const { done, value } = await reader.read();
      if (done) controller.close();
      else controller.enqueue(value);
    },
    cancel(reason) {
      return reader.cancel(reason);
    },
  });
}
