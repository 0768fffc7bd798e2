/** The `listeners` block: which connections (TLS version, client certificates) a route serves. */
import { z } from "zod";
import { identifier } from "../../http/schema-kit/fields";

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
  name: identifier,
  address: z.string().optional().describe("Ignored at the edge: Workers are reached on Cloudflare's anycast addresses."),
  protocol: z.enum(["http", "https"]).default("https"),
  tls: tlsSchema.optional(),
});

export type ListenerConfig = z.output<typeof listenerSchema>;
