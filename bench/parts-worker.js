// The worker of `parts.mjs`: `GET /<part>?n=N` does one piece of per-request work N times in a
// loop, so that the CPU workerd spends on it can be read from /proc and divided by N. The values
// are those of a benchmark request (peer-config.yaml, hono-peer.js).
import { Hono } from "hono";
import { detectPii, maskText } from "../worker/policies/ai-gateway/pii";
import { scoreInjection, scoreWithEveryRule } from "../worker/policies/ai-gateway/prompt-injection";
import { recognise } from "../worker/policies/ai-gateway/shapes";
import { measureDocument } from "../worker/policies/graphql/document";
import { AI_CHAT_BODY, AI_CHAT_NEW_BODY, TURN_MARKER } from "./ai-request.mjs";
import { GRAPHQL_BODY } from "./graphql-request.mjs";

const LINE = {
  timestamp: "2026-12-07T07:00:00.123Z",
  request_id: "0b9f7c1e-1d2c-4b5a-9e8f-123456789abc",
  client_ip: "127.0.0.1",
  method: "GET",
  path: "/api/v1/items/42",
  status: 200,
  route: "api",
  upstream: "origin",
  duration_ms: 3,
  user_agent: "autocannon/9.0.0",
};
const SECURITY_HEADERS = [
  ["Content-Security-Policy", "default-src 'self'"],
  ["X-Frame-Options", "DENY"],
  ["X-Content-Type-Options", "nosniff"],
  ["Referrer-Policy", "strict-origin-when-cross-origin"],
  ["Cross-Origin-Opener-Policy", "same-origin"],
  ["Strict-Transport-Security", "max-age=31536000; includeSubDomains; preload"],
];
/** Some of what headers.ts removes from every response: hop-by-hop (RFC 9110 §7.6.1) and fingerprints. */
const REMOVED = ["connection", "keep-alive", "te", "transfer-encoding", "upgrade", "trailer", "server", "x-powered-by"];
const noop = () => {};
/** The AI-NEW scenario's chat with the next number in every message: texts no scorer has seen. */
let turn = 0;
const newChat = () => JSON.parse(AI_CHAT_NEW_BODY.replaceAll(TURN_MARKER, String(++turn)));
const GRAPHQL_BYTES = new TextEncoder().encode(JSON.parse(GRAPHQL_BODY).query);

/** Hono apps with `frames` pass-through middleware before a handler: what a middleware frame costs. */
function honoApp(frames) {
  const app = new Hono();
  for (let i = 0; i < frames; i++) app.use(async (_c, next) => next());
  app.all("*", (c) => c.text("ok"));
  return app;
}
const hono1 = honoApp(1);
const hono5 = honoApp(5);

/** Each part, given the incoming request, does its work once. */
const PARTS = {
  "console.log of one access-log line": () => console.log(JSON.stringify(LINE)),
  "iterate the request's headers": (request) => {
    let size = 0;
    for (const [name, value] of request.headers) size += name.length + value.length;
    return size;
  },
  "copy the request's headers (new Headers)": (request) => new Headers(request.headers),
  "new Request with the request's headers": (request) =>
    new Request("http://127.0.0.1:9/api/v1/items/42", { headers: request.headers, redirect: "manual" }),
  "new Response with 3 headers": () =>
    new Response("x", { headers: { "content-type": "application/json", "content-length": "1", date: "Mon, 07 Dec 2026 07:00:00 GMT" } }),
  "set 6 security headers": () => {
    const headers = new Headers();
    for (const [name, value] of SECURITY_HEADERS) headers.set(name, value);
  },
  // The GraphQL guard's own work on the GQL scenario's 1 KB request: the body parsed, the document parsed and measured.
  "GraphQL guard on a 1 KB query (JSON.parse, parse, measure)": () => {
    const { query, variables } = JSON.parse(GRAPHQL_BODY);
    return measureDocument(query, { maxTokens: 5000, maxSourceLength: 65536 }, variables);
  },
  // The AI gateway's checks on the AI scenario's 2 KB chat request: every text the model reads
  // found, its PII masked, its injection score computed.
  "AI checks on a 2 KB chat (JSON.parse, recognise, PII mask, injection score)": () => {
    const recognised = recognise("/v1/chat/completions", JSON.parse(AI_CHAT_BODY));
    let score = 0;
    for (const slot of recognised.texts) {
      maskText(slot.text, detectPii(slot.text));
      score = Math.max(score, scoreInjection(slot.text).score);
    }
    return score;
  },
  "PII detect + mask on a 2 KB chat's texts": () => {
    for (const slot of recognise("/v1/chat/completions", JSON.parse(AI_CHAT_BODY)).texts) maskText(slot.text, detectPii(slot.text));
  },
  "injection score on a 2 KB chat's texts": () => {
    for (const slot of recognise("/v1/chat/completions", JSON.parse(AI_CHAT_BODY)).texts) scoreInjection(slot.text);
  },
  "PII detect + mask on a 2 KB chat's texts, every message new": () => {
    for (const slot of recognise("/v1/chat/completions", newChat()).texts) maskText(slot.text, detectPii(slot.text));
  },
  "injection score on a 2 KB chat's texts, every message new": () => {
    for (const slot of recognise("/v1/chat/completions", newChat()).texts) scoreInjection(slot.text);
  },
  "injection score with every rule's regex (no prefilter)": () => {
    for (const slot of recognise("/v1/chat/completions", JSON.parse(AI_CHAT_BODY)).texts) scoreWithEveryRule(slot.text);
  },
  "delete 8 absent response headers": () => {
    const headers = new Headers();
    for (const name of REMOVED) headers.delete(name);
  },
  "setTimeout + clearTimeout (nodejs_compat)": () => clearTimeout(setTimeout(noop, 5000)),
  "AbortSignal.timeout + listener": () => AbortSignal.timeout(5000).addEventListener("abort", noop),
  "new AbortController": () => new AbortController(),
  "crypto.randomUUID": () => crypto.randomUUID(),
  "empty loop (baseline)": noop,
};
const ASYNC_PARTS = {
  "Hono app.fetch, 1 middleware frame": (request) => hono1.fetch(request),
  "Hono app.fetch, 5 middleware frames": (request) => hono5.fetch(request),
  "SHA-256 of a 1 KB query (crypto.subtle.digest)": () => crypto.subtle.digest("SHA-256", GRAPHQL_BYTES),
  "new POST Request with a 1 KB body": () => new Request("http://127.0.0.1:9/graphql", { method: "POST", body: GRAPHQL_BODY }),
  "new POST Request with a 1 KB body, read with arrayBuffer()": (request) =>
    new Request("http://127.0.0.1:9/graphql", { method: "POST", body: GRAPHQL_BODY }).arrayBuffer(),
  "new POST Request with a 1 KB body, read with text()": () =>
    new Request("http://127.0.0.1:9/graphql", { method: "POST", body: GRAPHQL_BODY }).text(),
};

const PART_NAMES = [...Object.keys(PARTS), ...Object.keys(ASYNC_PARTS)];

export default {
  async fetch(request) {
    const url = new URL(request.url);
    const name = decodeURIComponent(url.pathname.slice(1));
    const n = Number(url.searchParams.get("n") ?? 1000);
    if (PARTS[name]) {
      for (let i = 0; i < n; i++) PARTS[name](request);
    } else if (ASYNC_PARTS[name]) {
      for (let i = 0; i < n; i++) await ASYNC_PARTS[name](request);
    } else {
      return new Response(JSON.stringify(PART_NAMES), { headers: { "content-type": "application/json" } });
    }
    return new Response("done");
  },
};
