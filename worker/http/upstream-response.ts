/**
 * An upstream's response as the client receives it, shared by the proxy and the AI gateway:
 * headers cleaned (hop-by-hop, origin fingerprints: headers.ts), the body streamed chunk by chunk
 * as the client reads it (no read-ahead, nothing buffered), each wait for a chunk bounded by the
 * attempt's deadline (attempt-deadline.ts: a stream that keeps sending is never cut), and the
 * size capped: a declared Content-Length over `maxSize` is 502 `upstream_response_too_large`
 * before any byte is passed on; a body without a trustworthy length is counted as it streams
 * and cut off once it crosses the limit.
 */
import type { AttemptDeadline } from "./attempt-deadline";
import { contentLength } from "./body";
import { httpError } from "./errors";
import { forClient } from "./headers";

/**
 * Bodies of a declared length up to this size are passed on natively, bounded as a whole by
 * `timeout` from their headers: watching every chunk in JS costs about half a millisecond of CPU
 * per response (measured with `npm run bench`), and a body this small is no long stream.
 */
const NATIVE_BODY_MAX = 64 * 1024;
/** Statuses whose responses never carry content (RFC 9110 §15.3.5, §15.3.6, §15.4.5). */
const NULL_BODY_STATUSES = new Set([204, 205, 304]);

/**
 * The upstream's response for the client: cleaned headers, a streaming body watched by the
 * attempt's deadline (idle gaps) and capped in size.
 */
export function clientResponse(upstream: Response, method: string, maxSize: number, deadline: AttemptDeadline): Response {
  deadline.responded();
  const init = { status: upstream.status, statusText: upstream.statusText, headers: upstream.headers };
  if (method === "HEAD" || !upstream.body) {
    deadline.stop();
    return cleaned(new Response(upstream.body, init));
  }
  if (NULL_BODY_STATUSES.has(upstream.status)) {
    deadline.stop();
    void upstream.body.cancel();
    return cleaned(new Response(null, init));
  }
  const length = contentLength(upstream.headers);
  if (length !== undefined && length > maxSize) {
    deadline.stop();
    void upstream.body.cancel();
    throw httpError("upstream_response_too_large");
  }
  // With an identity body and a declared length within the limit, HTTP framing already bounds
  // the body (the runtime reads exactly Content-Length bytes), so the byte count is skipped. A
  // compressed body is counted: the runtime decompresses it, and its decoded size is what
  // could be huge.
  const encoding = upstream.headers.get("content-encoding");
  const bounded = length !== undefined && (encoding === null || encoding === "identity");
  if (bounded && length <= NATIVE_BODY_MAX) {
    deadline.boundWhole();
    return cleaned(new Response(upstream.body, init));
  }
  return cleaned(new Response(watched(upstream.body, deadline, bounded ? Infinity : maxSize), init));
}

/** The response with its own copy of the upstream's headers, cleaned for the client in place. */
function cleaned(response: Response): Response {
  forClient(response.headers);
  return response;
}

/**
 * The body, read from the upstream only as the client asks for it (no read-ahead), so the
 * deadline times the upstream's silences and never the client's slowness. It errors (is cut
 * off) when the deadline expires or as soon as more than `limit` bytes have passed: one stream
 * for both.
 */
function watched(body: ReadableStream<Uint8Array>, deadline: AttemptDeadline, limit: number): ReadableStream<Uint8Array> {
  const reader = body.getReader();
  let seen = 0;
  return new ReadableStream<Uint8Array>(
    {
      start(controller) {
        deadline.onExpire = () => controller.error(new Error("upstream response body idle for longer than timeout"));
      },
      async pull(controller) {
        deadline.wait();
        let chunk: ReadableStreamReadResult<Uint8Array>;
        try {
          chunk = await reader.read();
        } catch (error) {
          // The upstream failed mid-body, or the deadline aborted it.
          deadline.stop();
          throw error;
        }
        deadline.arrived();
        if (chunk.done) {
          deadline.stop();
          return controller.close();
        }
        seen += chunk.value.byteLength;
        if (seen <= limit) return controller.enqueue(chunk.value);
        deadline.stop();
        controller.error(new Error("upstream response exceeds max_response_size"));
        await reader.cancel();
      },
      // The client went away.
      cancel(reason) {
        deadline.stop();
        return reader.cancel(reason);
      },
    },
    { highWaterMark: 0 },
  );
}
