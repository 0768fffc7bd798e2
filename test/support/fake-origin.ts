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
 *   /drip/<n>/<ms>            answers at once, then sends n chunks ("drip <i>\n"), one every ms
 *   /stall/<n>/<ms>           the same, then nothing more: the body never ends
 *                             (`?declare=<bytes>` sends that Content-Length with it)
 *   /dirty                    a response with hop-by-hop and fingerprinting headers
 *   /flaky/<id>/…             counts a request for <id>, then answers with the status last set
 *                             for <id> (200 until set): an origin that fails, then recovers
 *   /flaky-status/<id>/<code> sets that status for <id> (answers 204)
 *   /hits/<id>                JSON `{status, hits, paths, authorization}`: the /flaky/<id>/… requests
 *                             received so far, in all and by path, and the Authorization header
 *                             of the latest (null: none)
 *   /held/<id>/…              waits until /release/<id>, then answers with the JSON body last
 *                             given to it (held requests are counted for /hits/<id>)
 *   /release/<id>             answers every held request for <id>, and later ones at once, with
 *                             this request's body
 *   /cacheable/<id>?h-<name>=<value>…
 *                             counts a request for <id> (/hits/<id>) and answers with the
 *                             response headers the query names (`status=<code>` for another
 *                             status, else the one /flaky-status/<id> set); 304 when If-None-Match equals `h-etag`; the body names
 *                             the hit, the X-Variant request header and any If-None-Match
 *   /zones/<zone>/purge_cache Cloudflare's zone purge API, standing in: records the request
 *                             (Authorization, body) for /zone-purges/<zone>; `success: false`
 *                             and 403 for zone `refused`
 *   /zone-purges/<zone>       JSON list of the purge requests recorded for <zone>
 *   (ids live as long as the test run: each test picks its own)
 */
interface FlakyOrigin {
  status: number;
  hits: number;
  paths: Record<string, number>;
  authorization: string | null;
}

const flaky = new Map<string, FlakyOrigin>();

function flakyOrigin(id: string): FlakyOrigin {
  let origin = flaky.get(id);
  if (!origin) flaky.set(id, (origin = { status: 200, hits: 0, paths: {}, authorization: null }));
  return origin;
}

/** Zone purge API calls per zone id. */
const zonePurges = new Map<string, { authorization: string | null; body: unknown }[]>();

/** Held requests per id, and the body that answers them once released. */
const held = new Map<string, { waiting: ((body: string) => void)[]; released?: string }>();

function heldOrigin(id: string) {
  let origin = held.get(id);
  if (!origin) held.set(id, (origin = { waiting: [] }));
  return origin;
}

export async function fakeOrigin(request: Request): Promise<Response> {
  const url = new URL(request.url);
  const [, kind, arg = ""] = url.pathname.match(/^\/([a-z-]+)\/?(.*)$/) ?? [];
  const id = arg.split("/")[0]!;
  switch (kind) {
    case "flaky": {
      const origin = flakyOrigin(id);
      origin.hits += 1;
      origin.paths[url.pathname] = (origin.paths[url.pathname] ?? 0) + 1;
      origin.authorization = request.headers.get("authorization");
      return new Response(`flaky ${id}: ${origin.status}`, { status: origin.status });
    }
    case "flaky-status":
      flakyOrigin(id).status = Number(arg.split("/")[1]);
      return new Response(null, { status: 204 });
    case "held": {
      flakyOrigin(id).hits += 1;
      const origin = heldOrigin(id);
      const body = origin.released ?? (await new Promise<string>((resolve) => origin.waiting.push(resolve)));
      return new Response(body, { headers: { "Content-Type": "application/json" } });
    }
    case "release": {
      const origin = heldOrigin(id);
      origin.released = await request.text();
      for (const answer of origin.waiting.splice(0)) answer(origin.released);
      return new Response(null, { status: 204 });
    }
    case "cacheable": {
      const origin = flakyOrigin(id);
      origin.hits += 1;
      const headers = new Headers({ "Content-Type": "text/plain" });
      for (const [name, value] of url.searchParams) if (name.startsWith("h-")) headers.append(name.slice(2), value);
      const etag = url.searchParams.get("h-etag");
      const conditional = request.headers.get("if-none-match");
      if (etag !== null && conditional === etag) return new Response(null, { status: 304, headers });
      const text = `cacheable ${id} #${origin.hits} variant=${request.headers.get("x-variant")} if-none-match=${conditional}`;
      return new Response(text, { status: Number(url.searchParams.get("status") ?? origin.status), headers });
    }
    case "zones": {
      const calls = zonePurges.get(id) ?? [];
      zonePurges.set(id, calls);
      calls.push({ authorization: request.headers.get("authorization"), body: await request.json() });
      return id === "refused" ? Response.json({ success: false }, { status: 403 }) : Response.json({ success: true, result: { id } });
    }
    case "zone-purges":
      return Response.json(zonePurges.get(id) ?? []);
    case "hits":
      return Response.json(flakyOrigin(id));
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
    case "drip":
    case "stall": {
      const count = Number(id);
      const every = Number(arg.split("/")[1]);
      const encoder = new TextEncoder();
      let sent = 0;
      const body = new ReadableStream<Uint8Array>({
        async pull(controller) {
          if (sent === count) {
            // A stalled body: the pull never settles, so no chunk and no end ever come.
            if (kind === "stall") return new Promise<void>(() => {});
            return controller.close();
          }
          await new Promise((resolve) => setTimeout(resolve, every));
          controller.enqueue(encoder.encode(`${kind} ${sent++}\n`));
        },
      });
      const declared = url.searchParams.get("declare");
      return new Response(body, {
        headers: { "Content-Type": "text/plain", ...(declared === null ? {} : { "Content-Length": declared }) },
      });
    }
    case "slow":
      await new Promise((resolve) => setTimeout(resolve, Number(arg)));
      return new Response("slow");
    case "dirty":
      return new Response("dirty", {
        headers: {
          Server: "nginx/1.0",
          "X-Powered-By": "PHP/5",
          Connection: "close, X-Internal",
          "X-Internal": "1",
          "Keep-Alive": "timeout=5",
          "X-Kept": "yes",
        },
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
