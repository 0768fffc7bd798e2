// A pass-through that does only what the benchmark config makes every gateway response do,
// written as plainly as the Workers API allows: the reference for what those required features
// cost by themselves, so the report can tell them apart from the gateway's own logic (routing,
// validation, auth, rate limit, circuit). It does, per request:
//   - a request id, sent upstream and to the client (X-Request-Id);
//   - hop-by-hop headers (RFC 9110 §7.6.1) removed both ways, client X-Forwarded-*, Forwarded,
//     X-Real-IP and Host removed, trusted X-Forwarded-For/-Proto/-Host and Via set;
//   - the upstream attempt bounded by a timeout signal;
//   - the response copied (a fetch() response's headers are immutable), Server and
//     X-Powered-By removed, the configured security headers set (HSTS when the edge says TLS);
//   - one JSON access-log line with the configured fields.
// The values are those of gateway-config.yaml.
const HOP_BY_HOP = [
  "connection",
  "keep-alive",
  "proxy-connection",
  "te",
  "transfer-encoding",
  "upgrade",
  "proxy-authenticate",
  "proxy-authorization",
  "trailer",
];
const SECURITY_HEADERS = [
  ["Content-Security-Policy", "default-src 'self'"],
  ["X-Frame-Options", "DENY"],
  ["X-Content-Type-Options", "nosniff"],
  ["Referrer-Policy", "strict-origin-when-cross-origin"],
];
const HSTS = "max-age=31536000; includeSubDomains; preload";

export default {
  async fetch(request, env) {
    const requestId = crypto.randomUUID();
    const startedAt = Date.now();
    const url = new URL(request.url);
    const clientIp = request.headers.get("cf-connecting-ip") ?? "";
    const upstream = new Request(env.ORIGIN + url.pathname + url.search, {
      method: request.method,
      headers: request.headers,
      body: request.body,
      redirect: "manual",
      signal: AbortSignal.timeout(5000),
    });
    const headers = upstream.headers;
    for (const name of HOP_BY_HOP) headers.delete(name);
    for (const name of [...headers.keys()]) if (name.startsWith("x-forwarded-")) headers.delete(name);
    for (const name of ["forwarded", "x-real-ip", "host"]) headers.delete(name);
    headers.set("x-forwarded-for", clientIp);
    headers.set("x-forwarded-proto", url.protocol.slice(0, -1));
    headers.set("x-forwarded-host", url.host);
    headers.set("x-request-id", requestId);
    const via = headers.get("via");
    headers.set("via", via ? `${via}, 1.1 loom-edge` : "1.1 loom-edge");

    const answer = await fetch(upstream);
    const response = new Response(answer.body, { status: answer.status, statusText: answer.statusText, headers: answer.headers });
    for (const name of HOP_BY_HOP) response.headers.delete(name);
    for (const name of ["server", "x-powered-by"]) response.headers.delete(name);
    for (const [name, value] of SECURITY_HEADERS) response.headers.set(name, value);
    if (url.protocol === "https:" || request.cf?.tlsVersion) response.headers.set("Strict-Transport-Security", HSTS);
    response.headers.set("X-Request-Id", requestId);
    console.log(
      JSON.stringify({
        timestamp: new Date(startedAt).toISOString(),
        request_id: requestId,
        client_ip: clientIp,
        method: request.method,
        path: url.pathname,
        status: response.status,
        route: null,
        upstream: "origin",
        duration_ms: Date.now() - startedAt,
        user_agent: request.headers.get("user-agent"),
      }),
    );
    return response;
  },
};
