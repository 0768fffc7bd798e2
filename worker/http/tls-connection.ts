/**
 * What Cloudflare's edge says about the connection a request came on (`request.cf`): the TLS
 * version and the client certificate's verdict. Read by the listener rules (policies/tls) and
 * by HSTS, which is sent only over TLS (RFC 6797 §7.2).
 */

/** What the edge says about the connection a request came on. */
export interface TlsConnection {
  tls: boolean;
  /** Minor version of TLS 1.x (TLS 1.2 is 2); undefined when unknown or not TLS 1.x. */
  tlsMinor: number | undefined;
  /** A client certificate was presented, verified and is not revoked. */
  clientCertificateValid: boolean;
}

const TLS_VERSION = /^TLSv1(?:\.(\d))?$/;

export function tlsConnection(request: Request): TlsConnection {
  const cf = request.cf as Partial<IncomingRequestCfProperties> | undefined;
  if (!cf) {
    return { tls: request.url.startsWith("https:"), tlsMinor: undefined, clientCertificateValid: false };
  }
  const version = cf.tlsVersion ?? "";
  const match = TLS_VERSION.exec(version);
  const auth = cf.tlsClientAuth;
  return {
    tls: version !== "",
    tlsMinor: match ? Number(match[1] ?? 0) : undefined,
    clientCertificateValid: auth?.certPresented === "1" && auth.certVerified === "SUCCESS" && auth.certRevoked === "0",
  };
}
