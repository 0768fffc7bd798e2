/**
 * A small origin server for `npm run dev` and the end-to-end tests: it echoes what the gateway
 * sent it, and a few paths misbehave on purpose so every upstream failure can be seen.
 *
 * Behaviour is chosen by the END of the path, so it works behind any route prefix
 * (`/demo/status/418` and `/status/418` are the same):
 *   .../status/:code        answer with that status
 *   .../slow?ms=N           wait N ms (default 3000) before answering
 *   .../bytes?n=N           N bytes with a Content-Length
 *   .../stream?n=N          N bytes chunked, no Content-Length
 *   .../drip?n=N&ms=M       headers at once, then N lines ("drip <i>"), one every M ms, then the end
 *   .../stall?n=N&ms=M      the same, but after the N lines nothing more: the body never ends
 *   .../reset               drop the connection without an answer
 *   .../hop                 echo, plus hop-by-hop response headers (RFC 9110 §7.6.1)
 *   anything else           echo: { method, url, path, query, headers, body, bodyBytes }
 * Every answer carries `Server` and `X-Powered-By`, which the gateway must remove.
 *
 * Run alone: `node scripts/demo-origin.mjs [port]` (default 8788, 127.0.0.1 only).
 */
import { createServer } from "node:http";

export const DEMO_ORIGIN_PORT = 8788;

/** Bodies larger than this are counted, not echoed. */
const ECHO_BODY_LIMIT = 64 * 1024;
const CHUNK = 64 * 1024;

const IDENTITY_HEADERS = { Server: "loom-demo-origin/1.0 (internal-build-42)", "X-Powered-By": "Express" };

function sendJson(res, status, value, headers = {}) {
  const body = JSON.stringify(value, null, 2);
  res.writeHead(status, { ...IDENTITY_HEADERS, "Content-Type": "application/json", "Content-Length": Buffer.byteLength(body), ...headers });
  res.end(body);
}

function count(url, fallback) {
  const value = Number(url.searchParams.get("n") ?? url.searchParams.get("ms") ?? fallback);
  return Number.isSafeInteger(value) && value >= 0 ? value : fallback;
}

/** Writes `total` bytes of "x" in chunks, respecting back-pressure; stops if the client left. */
function writeBytes(res, total) {
  let left = total;
  const chunk = Buffer.alloc(CHUNK, "x");
  const pump = () => {
    while (left > 0 && !res.destroyed) {
      const size = Math.min(left, CHUNK);
      left -= size;
      if (!res.write(size === CHUNK ? chunk : chunk.subarray(0, size))) return void res.once("drain", pump);
    }
    res.end();
  };
  pump();
}

/** Writes `lines` lines named `kind`, one every `everyMs`; ends the body unless it stalls. */
function drip(res, kind, lines, everyMs) {
  res.writeHead(200, { ...IDENTITY_HEADERS, "Content-Type": "text/plain" });
  let sent = 0;
  const timer = setInterval(() => {
    if (sent === lines) {
      clearInterval(timer);
      // A stalled body stays open until the client leaves.
      if (kind === "drip") res.end();
      return;
    }
    res.write(`${kind} ${sent++}\n`);
  }, everyMs);
  res.on("close", () => clearInterval(timer));
}

/**
 * Creates the origin (not yet listening). `onRequest` receives a record of every request once
 * its body has been read (or the client gave up), for tests that assert what reached the origin.
 */
export function createOrigin({ onRequest } = {}) {
  return createServer((req, res) => {
    // Concatenated, not resolved: a target such as `//a//b` must stay a path, not become a host.
    const url = new URL(`http://origin.invalid${req.url?.startsWith("/") ? req.url : "/"}`);
    const chunks = [];
    let bodyBytes = 0;
    req.on("data", (chunk) => {
      bodyBytes += chunk.length;
      if (bodyBytes <= ECHO_BODY_LIMIT) chunks.push(chunk);
    });
    const echo = () => ({
      method: req.method,
      url: req.url,
      path: url.pathname,
      query: Object.fromEntries(url.searchParams),
      headers: req.headers,
      body: bodyBytes <= ECHO_BODY_LIMIT ? Buffer.concat(chunks).toString("utf8") : undefined,
      bodyBytes,
    });
    let reported = false;
    const report = (complete) => {
      if (reported) return;
      reported = true;
      onRequest?.({ ...echo(), complete });
    };
    // Answer only once the request body has been read, so the echo includes it.
    req.on("end", () => {
      report(true);
      respond(req, res, url, echo);
    });
    // A client (the gateway) that gave up mid-body is reported too, as incomplete.
    req.on("close", () => report(false));
  });
}

function respond(req, res, url, echo) {
  const path = url.pathname;
  const status = /(?:^|\/)status\/(\d{3})$/.exec(path);
  if (status) {
    const code = Number(status[1]);
    if (code < 200 || code > 599) return sendJson(res, 400, { error: "status must be 200-599" });
    if (code === 204 || code === 304) {
      res.writeHead(code, IDENTITY_HEADERS);
      return res.end();
    }
    return sendJson(res, code, { status: code });
  }
  if (/(?:^|\/)slow$/.test(path)) {
    const timer = setTimeout(() => sendJson(res, 200, echo()), count(url, 3000));
    res.on("close", () => clearTimeout(timer));
    return;
  }
  if (/(?:^|\/)bytes$/.test(path)) {
    const total = count(url, 1024);
    res.writeHead(200, { ...IDENTITY_HEADERS, "Content-Type": "application/octet-stream", "Content-Length": total });
    return writeBytes(res, total);
  }
  if (/(?:^|\/)stream$/.test(path)) {
    res.writeHead(200, { ...IDENTITY_HEADERS, "Content-Type": "application/octet-stream" });
    return writeBytes(res, count(url, 1024));
  }
  const dripping = /(?:^|\/)(drip|stall)$/.exec(path);
  if (dripping) {
    return drip(res, dripping[1], Number(url.searchParams.get("n") ?? 10), Number(url.searchParams.get("ms") ?? 300));
  }
  if (/(?:^|\/)reset$/.test(path)) {
    return req.socket.resetAndDestroy();
  }
  if (/(?:^|\/)hop$/.test(path)) {
    // Headers a proxy must not pass on: Keep-Alive always, and any header the Connection
    // header names (RFC 9110 §7.6.1).
    return sendJson(res, 200, echo(), { Connection: "keep-alive, X-Origin-Hop", "X-Origin-Hop": "1", "Keep-Alive": "timeout=5" });
  }
  return sendJson(res, 200, echo());
}

/** Starts the origin on 127.0.0.1:`port` (0 = any free port); resolves to the server. */
export function startOrigin(port = DEMO_ORIGIN_PORT, options = {}) {
  const server = createOrigin(options);
  return new Promise((resolve, reject) => {
    server.once("error", reject);
    server.listen(port, "127.0.0.1", () => {
      server.off("error", reject);
      resolve(server);
    });
  });
}

if (import.meta.main) {
  const port = Number(process.argv[2] ?? DEMO_ORIGIN_PORT);
  const server = await startOrigin(port, {
    onRequest: (record) => console.log(`${record.method} ${record.url} (${record.bodyBytes} body bytes)`),
  });
  console.log(`demo origin on http://127.0.0.1:${server.address().port}`);
}
