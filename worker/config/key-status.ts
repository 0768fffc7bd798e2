/**
 * What the edge does with each key of the config language, in both of Loom's dialects and the
 * edge's own additions: "enforced" or "warned" (accepted, and saving says what the edge does
 * instead). Every key is one or the other: none is accepted and left for a coming release.
 *
 * One table for three readers: the admin OpenAPI marks every config property with it
 * (`x-loom-edge`), README's "Loom config reference" is generated from that OpenAPI document
 * (`npm run docs:config`, checked by a test), and the keys marked `ignored` are warned about
 * whenever a saved document sets them (warnings.ts).
 *
 * Paths: `a.b` for an object's key, `a[]` for an array's items, `a.*` for a map's values. A key
 * without an entry of its own has its closest ancestor's: a block marked "warned" is so
 * throughout. A test checks that every key the schema has resolves here, and that every entry
 * names a key the schema has.
 */

export type KeyStatus =
  | { status: "enforced" }
  /** `ignored`: the edge has no use for the value at all; saving warns wherever it is set. */
  | { status: "warned"; edge: string; ignored?: true };

const enforced: KeyStatus = { status: "enforced" };
const ignored = (edge: string): KeyStatus => ({ status: "warned", edge, ignored: true });
const warned = (edge: string): KeyStatus => ({ status: "warned", edge });

const WASM_ONLY =
  "accepted; a built-in entry (jwt-auth, rate-limit, request-logger, request-validator) does not use it, and a WASM entry cannot run at the edge: every route naming one answers 503 plugin_unavailable";

export const KEY_STATUS: Readonly<Record<string, KeyStatus>> = {
  listeners: enforced,
  "listeners[].address": ignored(
    "the Worker is reached on Cloudflare's anycast addresses and your routes/custom domains; listeners differ only by protocol and TLS",
  ),
  "listeners[].protocol": enforced,
  "listeners[].tls.cert_file": ignored("Cloudflare terminates TLS with the zone's edge certificate"),
  "listeners[].tls.key_file": ignored("Cloudflare holds the certificate's private key"),
  "listeners[].tls.cipher_suites": ignored("choose cipher suites in the zone's SSL/TLS edge certificate settings"),
  "listeners[].tls.client_ca_file": ignored("upload the CA in Cloudflare's mTLS settings; the gateway checks request.cf.tlsClientAuth"),

  middleware: enforced,
  routes: enforced,
  upstreams: enforced,
  "upstreams[].service_discovery": warned(
    "requests go to `endpoints` as written: `dns` is what the edge does anyway (host names resolve per request); Consul and Kubernetes are unreachable from Cloudflare's network",
  ),

  rate_limit: enforced,
  "rate_limit.cleanup_interval": ignored("each counter is a Durable Object that stops keeping state by itself once idle"),
  auth_failure_limit: enforced,
  cors: enforced,
  admin: enforced,
  "admin.address": ignored("the admin API is served under ADMIN_PREFIX (default /admin) and always requires credentials"),
  logging: enforced,
  audit: enforced,
  "audit.output": ignored("audit rows are written to the D1 database bound as DB (GET /admin/audit)"),
  security_txt: enforced,
  cache: enforced,
  "cache.max_size": ignored("responses are kept in the Workers Cache API of each data centre, whose size and eviction Cloudflare manages"),
  "cache.cleanup_interval": ignored("Cloudflare evicts expired cache entries itself; the gateway never sweeps"),
  tracing: enforced,
  "tracing.batch_timeout": ignored(
    "nothing outlives a request in a Worker, so each sampled request's span is exported on its own, right after the response",
  ),

  plugins: enforced,
  "plugins[].path": ignored("there is no file system; WASM plugins are not loaded"),
  "plugins[].phase": warned(WASM_ONLY),
  "plugins[].priority": warned(WASM_ONLY),
  "plugins[].memory_limit": warned(WASM_ONLY),
  "plugins[].timeout": warned(WASM_ONLY),
  "plugins[].capabilities": warned(WASM_ONLY),

  metrics: warned(
    "accepted and stored, not exported: metrics come in a later release (a Worker has no scrape port, and a metrics path on the gateway's own host would be public)",
  ),
  ai_gateway: enforced,
  "ai_gateway.providers[].model": warned("documentation only: each request names its model in its body, forwarded as sent"),
  "ai_gateway.cache.max_size": ignored("entries live in the Cache API of each data centre, whose size and eviction Cloudflare manages"),
  graphql: enforced,
};

/** `listeners[].tls.cert_file` → `listeners[].tls`; `a[]` → `a`; `a.*` → `a`; a top-level key → undefined. */
function parentPath(path: string): string | undefined {
  if (path.endsWith("[]")) return path.slice(0, -2);
  const dot = path.lastIndexOf(".");
  return dot === -1 ? undefined : path.slice(0, dot);
}

/** The status of a key: its own entry, or its closest ancestor's. */
export function keyStatus(path: string): KeyStatus | undefined {
  for (let at: string | undefined = path; at !== undefined; at = parentPath(at)) {
    const entry = KEY_STATUS[at];
    if (entry) return entry;
  }
  return undefined;
}

/** A document path as the table spells it: `listeners[0].tls` → `listeners[].tls`. */
export function tablePath(path: readonly (string | number)[]): string {
  let out = "";
  for (const part of path) out += typeof part === "number" ? "[]" : `${out ? "." : ""}${part}`;
  return out;
}
