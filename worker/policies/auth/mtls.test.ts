/**
 * The mtls scheme: the client certificate Cloudflare verified (`request.cf.tlsClientAuth`).
 */
import { afterEach, describe, expect, it, vi } from "vitest";
import { SECRETS, gateway, echo } from "./auth-harness.test-helper";

afterEach(() => {
  vi.useRealTimers();
  vi.restoreAllMocks();
});

describe("mtls", () => {
  const FINGERPRINT = "ab".repeat(32);
  const verified = {
    certPresented: "1",
    certVerified: "SUCCESS",
    certRevoked: "0",
    certSubjectDN: "CN=client-1,O=Acme",
    certSubjectDNRFC2253: "CN=client-1,O=Acme",
    certFingerprintSHA256: FINGERPRINT,
  };
  const placeholder = {
    certPresented: "0",
    certVerified: "NONE",
    certRevoked: "0",
    certSubjectDN: "",
    certSubjectDNRFC2253: "",
    certFingerprintSHA256: "",
  };
  const config = { auth: { type: "mtls" as const, subject_header: "X-Client-Subject", fingerprint_header: "X-Client-Fingerprint" } };

  it.each([
    ["no cf object", undefined, "cert_not_presented"],
    ["no tlsClientAuth", { tlsVersion: "TLSv1.3" }, "cert_not_presented"],
    ["no certificate (placeholder values)", { tlsClientAuth: placeholder }, "cert_not_presented"],
    [
      "a certificate that failed verification",
      { tlsClientAuth: { ...verified, certVerified: "FAILED:self signed certificate" } },
      "cert_not_verified",
    ],
    ["an expired certificate", { tlsClientAuth: { ...verified, certVerified: "FAILED:certificate has expired" } }, "cert_not_verified"],
    ["a revoked certificate", { tlsClientAuth: { ...verified, certRevoked: "1" } }, "cert_revoked"],
    ["a revocation status that is missing", { tlsClientAuth: { ...verified, certRevoked: undefined } }, "cert_revoked"],
  ])("refuses %s with 403", async (_name, cf, reason) => {
    const gw = gateway(config);
    const response = await gw.fetch("/r/x", { cf });
    expect(response.status).toBe(403);
    expect(response.headers.get("WWW-Authenticate")).toBeNull();
    expect(await response.json()).toMatchObject({ error: "client_certificate_required" });
    expect(gw.events).toEqual([expect.objectContaining({ scheme: "mtls", reason })]);
  });

  it("admits a verified, unrevoked certificate and passes subject and fingerprint upstream, replacing client copies", async () => {
    const gw = gateway(config);
    const response = await gw.fetch("/r/x", {
      cf: { tlsClientAuth: verified },
      headers: { "X-Client-Subject": "CN=admin", "X-Client-Fingerprint": "forged" },
    });
    expect(response.status).toBe(200);
    const body = await echo(response);
    expect(body.scheme).toBe("mtls");
    expect(body.headers["x-client-subject"]).toBe("CN=client-1,O=Acme");
    expect(body.headers["x-client-fingerprint"]).toBe(FINGERPRINT);
  });

  it("percent-encodes a subject that is not printable ASCII", async () => {
    const gw = gateway(config);
    const cf = { tlsClientAuth: { ...verified, certSubjectDNRFC2253: "CN=Zoë,O=100%" } };
    expect((await echo(await gw.fetch("/r/x", { cf }))).headers["x-client-subject"]).toBe("CN=Zo%C3%AB,O=100%25");
  });

  it("checks the fingerprint allow-list (colon-separated, any case in the config)", async () => {
    const listed = gateway({ auth: { type: "mtls", fingerprints: [FINGERPRINT.toUpperCase().match(/../g)!.join(":")] } });
    expect((await listed.fetch("/r/x", { cf: { tlsClientAuth: verified } })).status).toBe(200);
    const other = gateway({ auth: { type: "mtls", fingerprints: ["cd".repeat(32)] } });
    expect((await other.fetch("/r/x", { cf: { tlsClientAuth: verified } })).status).toBe(403);
    expect(other.events[0]!.reason).toBe("cert_not_allowed");
  });

  it("removes client copies of identity headers on every route, those without auth included", async () => {
    const gw = gateway({ routes: { m: config.auth, open: "none" } });
    const body = await echo(await gw.fetch("/open/x", { headers: { "X-Client-Subject": "CN=admin", "X-Other": "kept" } }));
    expect(body.headers["x-client-subject"]).toBeUndefined();
    expect(body.headers["x-other"]).toBe("kept");
  });

  it("answers 401 with the other schemes' challenges when mTLS is one of several", async () => {
    const gw = gateway({ routes: { r: [{ type: "mtls" }, { type: "api_key", keys: ["${API_KEY_1}"] }] } });
    expect((await gw.fetch("/r/x", { headers: { "X-API-Key": SECRETS.API_KEY_1! } })).status).toBe(200);
    expect((await gw.fetch("/r/x", { cf: { tlsClientAuth: verified } })).status).toBe(200);
    const refused = await gw.fetch("/r/x");
    expect(refused.status).toBe(401);
    expect(refused.headers.get("WWW-Authenticate")).toBe('ApiKey realm="loom-edge"');
  });
});

// ---------------------------------------------------------------- jwt
