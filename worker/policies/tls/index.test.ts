import { describe, expect, it } from "vitest";
import { configSchema, routeSchema, type ConfigInput } from "../../config/schema";
import type { MatchedRoute } from "../../env";
import { testApp } from "../test-app.test-helper";
import { tlsConnection } from "../../http/tls-connection";
import { routeListener, tlsPolicy } from "./index";

type Cf = { tlsVersion?: string; tlsClientAuth?: { certPresented: string; certVerified: string; certRevoked: string } };

const noCert = { certPresented: "0", certVerified: "NONE", certRevoked: "0" };
const goodCert = { certPresented: "1", certVerified: "SUCCESS", certRevoked: "0" };

function listeners(input: ConfigInput["listeners"]) {
  return configSchema.parse({ listeners: input }).listeners;
}

/** A request as Cloudflare's edge hands it over; `cf: undefined` for one that did not come through it. */
function request(url: string, cf: Cf | undefined): Request {
  return new Request(url, cf ? { cf: cf as RequestInitCfProperties } : {});
}

async function expectRefused(response: Response, code: string) {
  expect(response.status).toBe(403);
  expect(await response.json()).toMatchObject({ error: code });
}

const https12 = { name: "https", protocol: "https", tls: { min_version: "1.2" } } as const;
const mtls = { name: "mtls", protocol: "https", tls: { client_auth: "require" } } as const;

describe("tlsConnection", () => {
  it("reads the version and the client certificate from request.cf", () => {
    expect(tlsConnection(request("https://gw.test/", { tlsVersion: "TLSv1.3", tlsClientAuth: goodCert }))).toEqual({
      tls: true,
      tlsMinor: 3,
      clientCertificateValid: true,
    });
    expect(tlsConnection(request("https://gw.test/", { tlsVersion: "TLSv1", tlsClientAuth: noCert }))).toEqual({
      tls: true,
      tlsMinor: 0,
      clientCertificateValid: false,
    });
  });

  it("takes an empty tlsVersion as plaintext, whatever the URL says", () => {
    expect(tlsConnection(request("https://gw.test/", { tlsVersion: "" })).tls).toBe(false);
  });

  it("knows no version for an unrecognised tlsVersion", () => {
    expect(tlsConnection(request("https://gw.test/", { tlsVersion: "SSLv3" }))).toMatchObject({ tls: true, tlsMinor: undefined });
  });

  it("without cf, trusts the URL scheme for TLS and knows nothing else", () => {
    expect(tlsConnection(request("https://gw.test/", undefined))).toEqual({
      tls: true,
      tlsMinor: undefined,
      clientCertificateValid: false,
    });
    expect(tlsConnection(request("http://gw.test/", undefined)).tls).toBe(false);
  });

  it("requires a presented, verified and unrevoked certificate", () => {
    const valid = (auth: Cf["tlsClientAuth"]) =>
      tlsConnection(request("https://gw.test/", { tlsVersion: "TLSv1.3", tlsClientAuth: auth })).clientCertificateValid;
    expect(valid(goodCert)).toBe(true);
    expect(valid({ ...goodCert, certVerified: "FAILED:self signed certificate" })).toBe(false);
    expect(valid({ ...goodCert, certRevoked: "1" })).toBe(false);
    expect(valid({ ...goodCert, certPresented: "0" })).toBe(false);
    expect(valid(undefined)).toBe(false);
  });

  it.each([
    ["missing", (({ certRevoked: _, ...rest }) => rest)(goodCert)],
    ["empty", { ...goodCert, certRevoked: "" }],
    ["unknown", { ...goodCert, certRevoked: "2" }],
    ["null", { ...goodCert, certRevoked: null }],
  ])("takes a %s certRevoked as revoked (fail closed, as the mtls scheme does)", async (_name, auth) => {
    const cf = { tlsVersion: "TLSv1.3", tlsClientAuth: auth } as unknown as Cf;
    expect(tlsConnection(request("https://gw.test/", cf)).clientCertificateValid).toBe(false);
    await expectRefused(
      await testApp([tlsPolicy(listeners([mtls]))]).fetch(request("https://gw.test/", cf)),
      "client_certificate_required",
    );
    expect(
      (await testApp([tlsPolicy(listeners([mtls]))]).fetch(request("https://gw.test/", { tlsVersion: "TLSv1.3", tlsClientAuth: goodCert })))
        .status,
    ).toBe(200);
  });
});

describe("tlsPolicy", () => {
  it("lets everything through when no listener is configured", async () => {
    const app = testApp([tlsPolicy([])]);
    expect((await app.fetch(request("http://gw.test/", { tlsVersion: "" }))).status).toBe(200);
  });

  it("lets plaintext through when one listener is plain http", async () => {
    const app = testApp([tlsPolicy(listeners([https12, { name: "plain", protocol: "http" }]))]);
    expect((await app.fetch(request("http://gw.test/", { tlsVersion: "" }))).status).toBe(200);
  });

  it("refuses plaintext on an https listener with 403 tls_required", async () => {
    const app = testApp([tlsPolicy(listeners([https12]))]);
    await expectRefused(await app.fetch(request("http://gw.test/", { tlsVersion: "" })), "tls_required");
    await expectRefused(await app.fetch(request("http://gw.test/", undefined)), "tls_required");
  });

  it.each(["TLSv1.2", "TLSv1.3"])("admits %s with min_version 1.2", async (tlsVersion) => {
    const app = testApp([tlsPolicy(listeners([https12]))]);
    expect((await app.fetch(request("https://gw.test/", { tlsVersion }))).status).toBe(200);
  });

  it.each(["TLSv1", "TLSv1.1", "SSLv3"])("refuses %s with min_version 1.2 (403 tls_version_too_low)", async (tlsVersion) => {
    const app = testApp([tlsPolicy(listeners([https12]))]);
    await expectRefused(await app.fetch(request("https://gw.test/", { tlsVersion })), "tls_version_too_low");
  });

  it("fails closed on a minimum version when the version is unknown (no cf)", async () => {
    const app = testApp([tlsPolicy(listeners([https12]))]);
    await expectRefused(await app.fetch(request("https://gw.test/", undefined)), "tls_version_too_low");
    const noMinimum = testApp([tlsPolicy(listeners([{ name: "https", protocol: "https" }]))]);
    expect((await noMinimum.fetch(request("https://gw.test/", undefined))).status).toBe(200);
  });

  it("enforces client_auth: require and ignores client_auth: request", async () => {
    const required = testApp([tlsPolicy(listeners([mtls]))]);
    await expectRefused(
      await required.fetch(request("https://gw.test/", { tlsVersion: "TLSv1.3", tlsClientAuth: noCert })),
      "client_certificate_required",
    );
    await expectRefused(
      await required.fetch(request("https://gw.test/", { tlsVersion: "TLSv1.3", tlsClientAuth: { ...goodCert, certRevoked: "1" } })),
      "client_certificate_required",
    );
    expect((await required.fetch(request("https://gw.test/", { tlsVersion: "TLSv1.3", tlsClientAuth: goodCert }))).status).toBe(200);
    const requested = testApp([tlsPolicy(listeners([{ name: "opt", protocol: "https", tls: { client_auth: "request" } }]))]);
    expect((await requested.fetch(request("https://gw.test/", { tlsVersion: "TLSv1.3", tlsClientAuth: noCert }))).status).toBe(200);
  });

  it("admits a request that satisfies any one listener", async () => {
    const app = testApp([tlsPolicy(listeners([https12, mtls]))]);
    // No certificate, but TLS 1.3 satisfies the https listener.
    expect((await app.fetch(request("https://gw.test/", { tlsVersion: "TLSv1.3", tlsClientAuth: noCert }))).status).toBe(200);
    // TLS 1.1 fails the https listener, but a valid certificate satisfies mtls (no minimum).
    expect((await app.fetch(request("https://gw.test/", { tlsVersion: "TLSv1.1", tlsClientAuth: goodCert }))).status).toBe(200);
  });

  it.each(["h2c", "grpc"] as const)("lets plaintext through a %s listener, as through http", async (protocol) => {
    const app = testApp([tlsPolicy(listeners([https12, { name: "loom", protocol }]))]);
    expect((await app.fetch(request("http://gw.test/", { tlsVersion: "" }))).status).toBe(200);
  });

  it.each(["http3", "grpcs"] as const)("requires TLS on a %s listener, as on https", async (protocol) => {
    const app = testApp([tlsPolicy(listeners([{ name: "loom", protocol }]))]);
    await expectRefused(await app.fetch(request("http://gw.test/", { tlsVersion: "" })), "tls_required");
    expect((await app.fetch(request("https://gw.test/", { tlsVersion: "TLSv1.3" }))).status).toBe(200);
  });

  it("when all refuse, answers with the listener the request came closest to", async () => {
    const strict = { name: "modern", protocol: "https", tls: { min_version: "1.3" } } as const;
    const both = testApp([tlsPolicy(listeners([strict, mtls]))]);
    // Fails `modern` on the version but `mtls` only on the certificate: the certificate is what is missing.
    await expectRefused(
      await both.fetch(request("https://gw.test/", { tlsVersion: "TLSv1.2", tlsClientAuth: noCert })),
      "client_certificate_required",
    );
    const versionOnly = testApp([tlsPolicy(listeners([strict]))]);
    await expectRefused(
      await versionOnly.fetch(request("https://gw.test/", { tlsVersion: "TLSv1.2", tlsClientAuth: noCert })),
      "tls_version_too_low",
    );
    await expectRefused(await both.fetch(request("http://gw.test/", { tlsVersion: "", tlsClientAuth: noCert })), "tls_required");
  });
});

describe("routeListener", () => {
  const configured = listeners([https12, mtls, { name: "rpc", protocol: "grpc" }, { name: "rpcs", protocol: "grpcs" }]);

  function withRoute(listener: string | undefined) {
    const config = routeSchema.parse({ id: "pinned", path: "/x", upstream: "backend", ...(listener ? { listener } : {}) });
    const route: MatchedRoute = { id: config.id, config, params: {}, path: "/x", forwardPath: "/x" };
    return testApp([
      async function fakeRouteMatch(c, next) {
        c.set("route", route);
        await next();
      },
      routeListener(configured),
    ]);
  }

  it("serves a route pinned to mtls only with a valid client certificate", async () => {
    const app = withRoute("mtls");
    await expectRefused(
      await app.fetch(request("https://gw.test/x", { tlsVersion: "TLSv1.3", tlsClientAuth: noCert })),
      "client_certificate_required",
    );
    expect((await app.fetch(request("https://gw.test/x", { tlsVersion: "TLSv1.3", tlsClientAuth: goodCert }))).status).toBe(200);
  });

  it("checks the pinned listener only, not any listener", async () => {
    const app = withRoute("https");
    await expectRefused(
      await app.fetch(request("https://gw.test/x", { tlsVersion: "TLSv1.1", tlsClientAuth: goodCert })),
      "tls_version_too_low",
    );
  });

  it("leaves routes without a pin alone", async () => {
    const app = withRoute(undefined);
    expect((await app.fetch(request("http://gw.test/x", { tlsVersion: "" }))).status).toBe(200);
  });

  it.each([
    ["rpc", "http://gw.test/x", ""],
    ["rpcs", "https://gw.test/x", "TLSv1.3"],
  ])("answers native gRPC on a route pinned to %s with 501 grpc_unsupported and grpc-status 12", async (listener, url, tlsVersion) => {
    const app = withRoute(listener);
    for (const contentType of ["application/grpc", "application/grpc+proto", "Application/GRPC+json", "application/grpc; charset=utf-8"]) {
      const response = await app.fetch(new Request(url, { method: "POST", headers: { "Content-Type": contentType }, cf: { tlsVersion } }));
      expect(response.status).toBe(501);
      expect(response.headers.get("grpc-status")).toBe("12");
      expect(response.headers.get("grpc-message")).toMatch(/gRPC-Web/);
      expect(await response.json()).toMatchObject({ error: "grpc_unsupported" });
    }
  });

  it("proxies gRPC-Web and other media types on a route pinned to a gRPC listener", async () => {
    const app = withRoute("rpcs");
    for (const contentType of [
      "application/grpc-web",
      "application/grpc-web+proto",
      "application/grpc-web-text",
      "application/json",
      "application/grpcx",
    ]) {
      const response = await app.fetch(
        new Request("https://gw.test/x", { method: "POST", headers: { "Content-Type": contentType }, cf: { tlsVersion: "TLSv1.3" } }),
      );
      expect(response.status, contentType).toBe(200);
    }
  });

  it("leaves native gRPC alone on routes not pinned to a gRPC listener", async () => {
    const app = withRoute("https");
    const response = await app.fetch(
      new Request("https://gw.test/x", { method: "POST", headers: { "Content-Type": "application/grpc" }, cf: { tlsVersion: "TLSv1.3" } }),
    );
    expect(response.status).toBe(200);
  });

  it("fails with a 500, not open, on a pin to an unknown listener", async () => {
    const app = withRoute("nowhere");
    const response = await app.fetch(request("https://gw.test/x", { tlsVersion: "TLSv1.3", tlsClientAuth: goodCert }));
    expect(response.status).toBe(500);
    expect(await response.json()).toMatchObject({ error: "internal_error" });
  });
});
