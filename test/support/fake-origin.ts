/**
 * The origin the runtime tests' Worker reaches: Miniflare's `outboundService` hands every
 * outbound `fetch` of the Worker to this function (in Node), so the whole pipeline — admin,
 * policies, proxy — runs in workerd against an origin whose behaviour the URL chooses.
 * End-to-end tests use a real HTTP server instead (test/e2e).
 *
 *   (a thrown error reaches the Worker as Miniflare's 500, not as a refused connection: the
 *   proxy's own tests and the end-to-end tests cover refused connections)
 *   /echo…                    JSON of what arrived: method, url, headers, body
 *   /status/<code>            that status
 *   /bytes/<n>                n bytes (Content-Length set)
 *   /stream/<n>               n bytes, chunked (no Content-Length)
 *   /slow/<ms>                answers after ms
 *   /dirty                    a response with hop-by-hop and fingerprinting headers
 */
export async function fakeOrigin(request: Request): Promise<Response> {
  const url = new URL(request.url);
  const [, kind, arg = ""] = url.pathname.match(/^\/([a-z]+)\/?(.*)$/) ?? [];
  switch (kind) {
    case "status":
      return new Response(`status ${arg}`, { status: Number(arg) });
    case "bytes":
      return new Response("x".repeat(Number(arg)), { headers: { "Content-Type": "text/plain", "Content-Length": arg } });
    case "stream": {
      let left = Number(arg);
      const chunk = new TextEncoder().encode("y".repeat(64 * 1024));
      const body = new ReadableStream<Uint8Array>({
        pull(controller) {
          if (left <= 0) return controller.close();
          const piece = chunk.subarray(0, Math.min(left, chunk.length));
          left -= piece.length;
          controller.enqueue(piece);
        },
      });
      return new Response(body, { headers: { "Content-Type": "text/plain" } });
    }
    case "slow":
      await new Promise((resolve) => setTimeout(resolve, Number(arg)));
      return new Response("slow");
    case "dirty":
      return new Response("dirty", {
        headers: { Server: "nginx/1.0", "X-Powered-By": "PHP/5", Connection: "close, X-Internal", "X-Internal": "1", "Keep-Alive": "timeout=5", "X-Kept": "yes" },
      });
    default:
      return Response.json({
        method: request.method,
        url: request.url,
        headers: Object.fromEntries(request.headers),
        body: request.body ? await request.text() : null,
      });
  }
}
