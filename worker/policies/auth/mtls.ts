/**
 * Client certificates, verified by Cloudflare's edge against the zone's mTLS CA: the Worker
 * reads the verdict from `request.cf.tlsClientAuth`. A request passes when a certificate was
 * presented, verified (`certVerified === "SUCCESS"`), is not revoked (`certRevoked === "0"`;
 * anything else, a missing field included, counts as revoked) and, when an allow-list is
 * configured, its SHA-256 fingerprint is on it. Fingerprints are public, so a Set lookup is fine.
 */
import type { MtlsAuthConfig } from "./schema";
import { admit, headerSafe, refuse, type Identity, type Scheme } from "./scheme";

export function mtlsScheme(config: MtlsAuthConfig): Scheme {
  const allowed = new Set(config.fingerprints);

  return {
    name: "mtls",
    async verify(request) {
      const client = (request.cf as IncomingRequestCfProperties | undefined)?.tlsClientAuth;
      if (!client || client.certPresented !== "1") return refuse("cert_not_presented", false);
      if (client.certVerified !== "SUCCESS") return refuse("cert_not_verified");
      if (client.certRevoked !== "0") return refuse("cert_revoked");
      const fingerprint = (client.certFingerprintSHA256 ?? "").replaceAll(":", "").toLowerCase();
      if (allowed.size > 0 && !allowed.has(fingerprint)) return refuse("cert_not_allowed");
      const headers: Identity["headers"] = [];
      if (config.subject_header)
        headers.push([config.subject_header, headerSafe(client.certSubjectDNRFC2253 || client.certSubjectDN || "")]);
      if (config.fingerprint_header) headers.push([config.fingerprint_header, fingerprint]);
      return admit({ headers });
    },
  };
}
