/**
 * Where OTLP/HTTP spans go (https://opentelemetry.io/docs/specs/otlp/#otlphttp): Loom's
 * `tracing.endpoint` names an OTLP/gRPC collector (`host:4317`), but a Worker cannot speak gRPC
 * (fetch exposes no HTTP/2 trailers). The endpoint is read as the collector's base:
 *
 * - `host` or `host:port` (Loom's form) → `http://host:port/v1/traces`; OTLP/gRPC's port 4317
 *   becomes OTLP/HTTP's 4318 on the same host (a collector's default receivers), with a warning;
 *   without a port, 4318.
 * - `http(s)://host[:port][/base]` → `<base>/v1/traces` (a port of 4317 is moved to 4318 too).
 *
 * Refused: other schemes, user info (a password in the config would be stored and shown in
 * clear), query and fragment.
 */

export const OTLP_GRPC_PORT = "4317";
export const OTLP_HTTP_PORT = "4318";
const TRACES_PATH = "/v1/traces";

export type OtlpEndpoint = { ok: true; url: string; movedFromGrpcPort: boolean } | { ok: false; message: string };

export function otlpTracesUrl(endpoint: string): OtlpEndpoint {
  const hasScheme = /^[a-z][a-z0-9+.-]*:\/\//i.test(endpoint);
  let url: URL;
  try {
    url = new URL(hasScheme ? endpoint : `http://${endpoint}`);
  } catch {
    return { ok: false, message: "must be host:port or an http(s) URL" };
  }
  if (url.protocol !== "http:" && url.protocol !== "https:") return { ok: false, message: "must be host:port or an http(s) URL" };
  if (url.username || url.password) return { ok: false, message: "must not contain user info: the config would show the credential" };
  if (url.search || url.hash || endpoint.includes("?") || endpoint.includes("#")) {
    return { ok: false, message: "must not contain a query or fragment" };
  }
  if (!hasScheme && url.pathname !== "/") return { ok: false, message: "host:port takes no path; write an http(s) URL for a base path" };
  const movedFromGrpcPort = url.port === OTLP_GRPC_PORT;
  if (movedFromGrpcPort || (!hasScheme && url.port === "")) url.port = OTLP_HTTP_PORT;
  const base = url.pathname.replace(/\/+$/, "");
  url.pathname = base.endsWith(TRACES_PATH) ? base : `${base}${TRACES_PATH}`;
  return { ok: true, url: url.href, movedFromGrpcPort };
}
