// The worker of `npm run bench -- --handlers`: the gateway (worker/index.ts, with its bindings
// and the config loaded through its admin API) and the hand-written Hono worker (hono-peer.js)
// in one isolate, each called N times in a loop per request to `/__cost/<gateway|hono-peer>`,
// with the runtime's `fetch` answering the origin and the JWKS from memory. What the workerd
// process spends per call is then the CPU of the worker's own code and of the runtime objects it
// makes (requests, headers, responses, streams, timers, the log line), without the HTTP
// parsing and sockets that both pay alike and that dominate, and blur, `npm run bench`.
import gateway from "../worker/index";
import peer from "./hono-peer.js";

export { CircuitBreaker, RateLimiter } from "../worker/index";

interface CostEnv {
  /** The public JWK set the JWT route's jwks_uri is answered with (JSON). */
  BENCH_JWKS: string;
}

/** The origin and the JWKS host of the configs (run.mjs replaces {{ORIGIN}} and {{JWKS}} with these). */
const ORIGIN = "http://origin.bench.test";
const JWKS_URL = "https://jwks.bench.test/.well-known/jwks.json";
const ORIGIN_BODY = JSON.stringify({ id: 42, name: "widget", price: 9.5, tags: ["a", "b"] });

let jwks = "";
const runtimeFetch = globalThis.fetch;
globalThis.fetch = async (input, init) => {
  const request = new Request(input, init);
  if (request.url.startsWith(`${ORIGIN}/`)) {
    // As origin.mjs answers (node:http adds Date, Connection and Keep-Alive).
    return new Response(ORIGIN_BODY, {
      headers: {
        "content-type": "application/json",
        "content-length": String(ORIGIN_BODY.length),
        date: new Date().toUTCString(),
        connection: "keep-alive",
        "keep-alive": "timeout=60",
      },
    });
  }
  if (request.url === JWKS_URL) return new Response(jwks, { headers: { "content-type": "application/jwk-set+json" } });
  return runtimeFetch(request);
};

const CF = { colo: "LOC", country: "XX", httpProtocol: "HTTP/1.1", tlsVersion: "TLSv1.3", tlsCipher: "AEAD-AES128-GCM-SHA256" };

export default {
  async fetch(request: Request, env: CostEnv, ctx: ExecutionContext): Promise<Response> {
    jwks = env.BENCH_JWKS;
    const url = new URL(request.url);
    const match = /^\/__cost\/(gateway|hono-peer)$/.exec(url.pathname);
    if (!match) return gateway.fetch(request as never, env as never, ctx);
    const n = Number(url.searchParams.get("n") ?? "100");
    const target = `http://gw.bench.test${url.searchParams.get("path") ?? "/"}`;
    const headers = new Headers(request.headers);
    let bytes = 0;
    for (let i = 0; i < n; i++) {
      const call = new Request(target, { headers, cf: CF } as RequestInit);
      const res = match[1] === "gateway" ? await gateway.fetch(call as never, env as never, ctx) : await peer.fetch(call, { ORIGIN }, ctx);
      if (res.status !== 200) return new Response(`${match[1]} answered ${res.status}: ${await res.text()}`, { status: 500 });
      bytes += (await res.text()).length;
    }
    return new Response(String(bytes));
  },
};
