/**
 * Listener rules at the edge. Cloudflare terminates TLS before the Worker runs, so a listener's
 * `tls` block cannot shape a handshake; what the Worker can do is refuse requests whose
 * connection breaks the listener's rules, judged from what the edge reports in `request.cf`:
 *   - `tlsVersion`: "TLSv1.2", "TLSv1.3", …, and "" for a request served over plaintext;
 *   - `tlsClientAuth`: whether a client certificate was presented, verified and revoked
 *     (mTLS with API Shield or Access; placeholders with `certPresented: "0"` otherwise).
 *
 * Listener rules (Cloudflare terminates HTTP/2 and HTTP/3 itself, so a protocol only says
 * whether TLS is required):
 *   - `protocol: http`, `h2c` or `grpc` admits every request, plaintext or TLS (its `tls` block
 *     has no meaning);
 *   - `protocol: https`, `http3` (QUIC is always TLS 1.3, RFC 9001) or `grpcs` requires TLS, at least `tls.min_version` when set, and with
 *     `tls.client_auth: require` a client certificate that was presented, verified (`SUCCESS`)
 *     and not revoked. `client_auth: request` asks nothing of the Worker: whether the edge asks
 *     for a certificate is a zone setting, and an absent one is not a reason to refuse.
 * All listeners share the Worker's one entry point, so `tlsPolicy` serves a request that
 * satisfies ANY listener (no listeners: everything passes); a route pinned with `listener:`
 * must satisfy that one (`routeListener`, after route matching).
 *
 * Without `request.cf` (a request that did not come through Cloudflare's edge: a test's
 * `new Request`, a service binding) the URL scheme says whether TLS was used, and nothing says
 * its version or the client certificate, so a listener that asks for either refuses: fail closed.
 *
 * Locally, `wrangler dev` gives every request Miniflare's placeholder `cf`: `tlsVersion`
 * "TLSv1.3" and no client certificate, even for plain http://127.0.0.1. So under `wrangler dev`
 * https listeners admit local requests and `client_auth: require` refuses them.
 *
 * A route pinned to a `grpc` or `grpcs` listener answers native gRPC (`application/grpc…`) with
 * 501 `grpc_unsupported`, and `grpc-status: 12` (UNIMPLEMENTED) in the header block, which gRPC
 * clients read as a trailers-only answer: gRPC carries each call's status in HTTP trailers, and a
 * Worker's `fetch` never exposes the upstream's trailers, so proxying would turn every call's
 * status into a broken stream. gRPC-Web (`application/grpc-web…`) carries the status in the body
 * and is proxied.
 *
 * Refusals are 403. 426 Upgrade Required does not fit: RFC 9110 §15.5.22 obliges an `Upgrade`
 * header naming the protocol to switch to on the same connection, which cannot raise the TLS
 * version of a connection already negotiated, and HTTP/2 and HTTP/3 forbid `Upgrade` altogether
 * (RFC 9113 §8.2.2, RFC 9114 §4.2), while most clients reach Cloudflare over them.
 */
import type { MiddlewareHandler } from "hono";
import type { AppEnv } from "../../env";
import { passThrough } from "../../http/chain";
import { httpError } from "../../http/errors";
import { tlsConnection, type TlsConnection } from "../../http/tls-connection";
import type { ListenerConfig } from "./schema";

export interface ListenerRefusal {
  code: "tls_required" | "tls_version_too_low" | "client_certificate_required";
  message: string;
}

/**
 * How far a request got through a listener's checks, so that when every listener refuses, the
 * answer is the refusal of the one it came closest to satisfying ("only the client certificate
 * is missing" rather than "TLS required" from another listener).
 */
const PROGRESS: Record<ListenerRefusal["code"], number> = {
  tls_required: 0,
  tls_version_too_low: 1,
  client_certificate_required: 2,
};

/** Protocols that admit plaintext as well as TLS (the schema's LISTENER_PROTOCOLS, without loading it). */
const PLAINTEXT_ALLOWED: ReadonlySet<ListenerConfig["protocol"]> = new Set(["http", "h2c", "grpc"]);
const GRPC: ReadonlySet<ListenerConfig["protocol"]> = new Set(["grpc", "grpcs"]);

/** Native gRPC's media types (`application/grpc`, `application/grpc+proto`, …), not gRPC-Web's. */
const NATIVE_GRPC = /^application\/grpc(?:[+;]|$)/i;

/** Why `listener` refuses a request on `connection`, or undefined when it admits it. */
export function listenerRefusal(listener: ListenerConfig, connection: TlsConnection): ListenerRefusal | undefined {
  if (PLAINTEXT_ALLOWED.has(listener.protocol)) return undefined;
  if (!connection.tls) return { code: "tls_required", message: "this service is only available over HTTPS" };
  const minimum = listener.tls?.min_version;
  // An unknown version counts as too low: fail closed.
  if (minimum !== undefined && (connection.tlsMinor ?? -1) < Number(minimum.slice(2))) {
    return { code: "tls_version_too_low", message: `this service requires TLS ${minimum} or newer` };
  }
  if (listener.tls?.client_auth === "require" && !connection.clientCertificateValid) {
    return { code: "client_certificate_required", message: "this service requires a valid client certificate" };
  }
  return undefined;
}

/** Undefined when some listener admits the request; else the refusal it came closest to passing. */
function closestRefusal(listeners: readonly ListenerConfig[], connection: TlsConnection): ListenerRefusal | undefined {
  let closest: ListenerRefusal | undefined;
  for (const listener of listeners) {
    const refusal = listenerRefusal(listener, connection);
    if (!refusal) return undefined;
    if (!closest || PROGRESS[refusal.code] > PROGRESS[closest.code]) closest = refusal;
  }
  return closest;
}

function refuse(refusal: ListenerRefusal): never {
  throw httpError(refusal.code, refusal.message);
}

/** Global check, before routing: the request must satisfy at least one listener. */
export const tlsPolicy = (listeners: readonly ListenerConfig[]): MiddlewareHandler<AppEnv> => {
  // A listener that admits plaintext admits everything, and so does a config without listeners.
  const enforced = listeners.length > 0 && listeners.every((listener) => !PLAINTEXT_ALLOWED.has(listener.protocol));
  if (!enforced) return passThrough;
  return async function tlsPolicy(c, next) {
    const refusal = closestRefusal(listeners, tlsConnection(c.req.raw));
    if (refusal) refuse(refusal);
    await next();
  };
};

/** After routing: a route with `listener: NAME` serves only requests that satisfy that listener. */
export const routeListener = (listeners: readonly ListenerConfig[]): MiddlewareHandler<AppEnv> => {
  // The schema refuses a route naming an undefined listener: without listeners, none is pinned.
  if (listeners.length === 0) return passThrough;
  const byName = new Map(listeners.map((listener) => [listener.name, listener]));
  return async function routeListener(c, next) {
    const name = c.get("route")?.config.listener;
    if (name !== undefined) {
      const listener = byName.get(name);
      // The schema refuses a route naming an undefined listener; meeting one here is a bug.
      if (!listener) throw new Error(`route ${c.get("route")?.id} names listener ${name}, which is not configured`);
      const refusal = listenerRefusal(listener, tlsConnection(c.req.raw));
      if (refusal) refuse(refusal);
      if (GRPC.has(listener.protocol) && NATIVE_GRPC.test(c.req.header("Content-Type") ?? "")) {
        throw httpError("grpc_unsupported", undefined, {
          headers: { "grpc-status": "12", "grpc-message": "native gRPC is not supported through a Cloudflare Worker; use gRPC-Web" },
        });
      }
    }
    await next();
  };
};
