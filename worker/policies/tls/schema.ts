/** The `listeners` block: which connections (TLS version, client certificates) a route serves. */
import { z } from "zod";
import { identifier } from "../../http/schema-kit/fields";

/**
 * Loom's listener protocols. At the edge Cloudflare terminates every connection (HTTP/1.1, HTTP/2,
 * HTTP/3) before the Worker runs, so a protocol only says whether the listener requires TLS:
 * `http`, `h2c` and `grpc` admit plaintext and TLS alike; `https`, `http3` (QUIC always runs TLS
 * 1.3, RFC 9001) and `grpcs` require TLS.
 */
export const LISTENER_PROTOCOLS = ["http", "https", "h2c", "http3", "grpc", "grpcs"] as const;

const tlsSchema = z.strictObject({
  cert_file: z.string().optional().describe("Ignored at the edge: Cloudflare terminates TLS with the zone's edge certificate."),
  key_file: z.string().optional().describe("Ignored at the edge: Cloudflare holds the private key."),
  min_version: z
    .enum(["1.0", "1.1", "1.2", "1.3"])
    .optional()
    .describe("Lowest TLS version accepted, enforced with request.cf.tlsVersion (426 below it)."),
  cipher_suites: z.array(z.string()).optional().describe("Ignored at the edge: set cipher suites in the zone's SSL/TLS settings."),
  client_auth: z
    .enum(["none", "request", "require"])
    .default("none")
    .describe("`require`: the client certificate must be presented, verified and not revoked (request.cf.tlsClientAuth)."),
  client_ca_file: z.string().optional().describe("Ignored at the edge: upload the CA to Cloudflare mTLS settings."),
});

export const listenerSchema = z.strictObject({
  name: identifier.describe("The listener's name, for a route's `listener: NAME`."),
  address: z.string().optional().describe("Ignored at the edge: Workers are reached on Cloudflare's anycast addresses."),
  protocol: z
    .enum(LISTENER_PROTOCOLS)
    .default("https")
    .describe(
      "`http`, `h2c`, `grpc`: plaintext and TLS admitted. `https`, `http3`, `grpcs`: TLS required (403 `tls_required`). HTTP/2 and HTTP/3 are terminated by Cloudflare's edge whatever is written here. On a route pinned to a `grpc`/`grpcs` listener, native gRPC (`application/grpc`) is answered 501 `grpc_unsupported`: a Worker's fetch cannot pass HTTP trailers, which carry gRPC's status; gRPC-Web is proxied.",
    ),
  tls: tlsSchema.optional().describe("What the listener asks of TLS connections: the version and client certificates."),
});

export type ListenerConfig = z.output<typeof listenerSchema>;
