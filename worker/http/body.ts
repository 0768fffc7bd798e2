/**
 * Bodies: their declared length, reading one whole under a limit, and the request body the
 * proxy forwards.
 *
 * The request body the proxy forwards. A policy that reads the body whole (request-validator)
 * keeps the bytes in `c.var.body` instead of rebuilding `c.req.raw` around them, which would
 * copy the headers and `request.cf` once more; `c.req.raw`'s own body is used up by then.
 */
import type { Context } from "hono";
import type { AppEnv } from "../env";

export function forwardedBody(c: Context<AppEnv>): BodyInit | null {
  return c.get("body") ?? c.req.raw.body;
}

/** Content-Length as a number of bytes, or undefined when absent or not a plain decimal (RFC 9110 §8.6). */
export function contentLength(headers: Headers): number | undefined {
  const value = headers.get("content-length");
  return value !== null && /^\d+$/.test(value) ? Number(value) : undefined;
}

/** Reads a body stream whole, throwing `tooLarge()` (and cancelling the stream) as soon as it passes `limit` bytes. */
export async function readAtMost(body: ReadableStream<Uint8Array>, limit: number, tooLarge: () => Error): Promise<Uint8Array> {
  const reader = body.getReader();
  const chunks: Uint8Array[] = [];
  let size = 0;
  for (let chunk = await reader.read(); !chunk.done; chunk = await reader.read()) {
    size += chunk.value.byteLength;
    if (size > limit) {
      await reader.cancel();
      throw tooLarge();
    }
    chunks.push(chunk.value);
  }
  return concatBytes(chunks, size);
}

/** The chunks as one array of `length` bytes (their total). */
export function concatBytes(chunks: readonly Uint8Array[], length: number): Uint8Array {
  const bytes = new Uint8Array(length);
  let offset = 0;
  for (const chunk of chunks) {
    bytes.set(chunk, offset);
    offset += chunk.byteLength;
  }
  return bytes;
}

/** A message's media type (RFC 9110 §8.3.1): lower case, without parameters; "" without Content-Type. */
export function mediaType(headers: Headers): string {
  return (headers.get("content-type") ?? "").split(";")[0]!.trim().toLowerCase();
}
