// The anchor users compare the gateway with: a Hono worker written by hand, doing the work of
// `peer-config.yaml` with hono's own middleware, the way its documentation shows:
//   - a request id (the client's own X-Request-Id ignored, as the gateway ignores it), sent back;
//   - the method, request-target length and header size checks (405 with Allow, 414, 431);
//   - security headers (hono/secure-headers) with the values of peer-config.yaml, X-Powered-By removed;
//   - a body limit (hono/body-limit, 413);
//   - ONE route, `/api/*`, forwarded with hono/proxy's `proxy()` (hop-by-hop headers removed both
//     ways) plus X-Forwarded-For/-Proto/-Host and the request id for the origin;
//   - one JSON access-log line per request with the fields of peer-config.yaml.
// Bundled by the harness with esbuild (it imports hono); ORIGIN is a binding (http://127.0.0.1:port).
import { Hono } from "hono";
import { bodyLimit } from "hono/body-limit";
import { proxy } from "hono/proxy";
import { secureHeaders } from "hono/secure-headers";

const ALLOWED_METHODS = new Set(["GET", "POST", "PUT", "DELETE", "PATCH"]);
const ALLOW = [...ALLOWED_METHODS].join(", ");
const MAX_URI_LENGTH = 2048;
const MAX_HEADER_SIZE = 8 * 1024;

const app = new Hono();

app.use(async function accessLog(c, next) {
  const startedAt = Date.now();
  c.set("requestId", crypto.randomUUID());
  await next();
  c.res.headers.set("X-Request-Id", c.get("requestId"));
  console.log(
    JSON.stringify({
      timestamp: new Date(startedAt).toISOString(),
      request_id: c.get("requestId"),
      client_ip: c.req.header("cf-connecting-ip") ?? null,
      method: c.req.method,
      path: c.req.path,
      status: c.res.status,
      route: c.get("route") ?? null,
      upstream: c.get("route") ? "origin" : null,
      duration_ms: Date.now() - startedAt,
      user_agent: c.req.header("user-agent") ?? null,
    }),
  );
});
app.use(
  secureHeaders({
    contentSecurityPolicy: { defaultSrc: ["'self'"] },
    xFrameOptions: "DENY",
    referrerPolicy: "strict-origin-when-cross-origin",
    strictTransportSecurity: "max-age=31536000; includeSubDomains; preload",
    crossOriginOpenerPolicy: "same-origin",
    // Headers peer-config.yaml does not set: off, so both targets send the same set.
    crossOriginResourcePolicy: false,
    originAgentCluster: false,
    xDnsPrefetchControl: false,
    xDownloadOptions: false,
    xPermittedCrossDomainPolicies: false,
    xXssProtection: false,
  }),
);
app.use(async function requestChecks(c, next) {
  const url = c.req.url;
  const target = url.slice(url.indexOf("/", url.indexOf("://") + 3));
  if (target.length > MAX_URI_LENGTH) return c.json({ error: "uri_too_long" }, 414);
  let size = 0;
  for (const [name, value] of c.req.raw.headers) size += name.length + value.length + 4;
  if (size > MAX_HEADER_SIZE) return c.json({ error: "headers_too_large" }, 431);
  if (!ALLOWED_METHODS.has(c.req.method)) return c.json({ error: "method_not_allowed" }, 405, { Allow: ALLOW });
  await next();
});
app.use(bodyLimit({ maxSize: 1024 * 1024, onError: (c) => c.json({ error: "payload_too_large" }, 413) }));

app.all("/api/*", (c) => {
  c.set("route", "api");
  const url = new URL(c.req.url);
  return proxy(c.env.ORIGIN + url.pathname + url.search, {
    raw: c.req.raw,
    headers: {
      ...c.req.header(),
      host: undefined,
      "x-forwarded-for": c.req.header("cf-connecting-ip"),
      "x-forwarded-proto": url.protocol.slice(0, -1),
      "x-forwarded-host": url.host,
      "x-request-id": c.get("requestId"),
    },
    signal: AbortSignal.timeout(5000),
  });
});
app.notFound((c) => c.json({ error: "not_found" }, 404));

export default app;
