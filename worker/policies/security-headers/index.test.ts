import { describe, expect, it } from "vitest";
import { configSchema, type ConfigInput } from "../../config/schema";
import { httpError } from "../../http/errors";
import { testApp } from "../test-app.test-helper";
import { securityHeaders } from "./index";

type SecurityHeadersInput = NonNullable<NonNullable<ConfigInput["middleware"]>["security_headers"]>;

function options(input: SecurityHeadersInput) {
  return configSchema.parse({ middleware: { security_headers: input } }).middleware.security_headers;
}

const full = options({
  hsts: { max_age: 31536000, include_subdomains: true, preload: true },
  content_security_policy: "default-src 'self'",
  x_frame_options: "DENY",
  x_content_type_options: "nosniff",
  referrer_policy: "strict-origin-when-cross-origin",
  permissions_policy: "camera=(), geolocation=()",
  cross_origin_opener_policy: "same-origin",
});

const overTls = { cf: { tlsVersion: "TLSv1.3" } as RequestInitCfProperties };
const plaintext = { cf: { tlsVersion: "" } as RequestInitCfProperties };

/** An upstream answer that advertises its software. */
const chatty = () =>
  new Response("hello", { status: 201, headers: { Server: "nginx/1.25", "X-Powered-By": "PHP/8.3", "Content-Type": "text/plain" } });

function expectPolicy(headers: Headers) {
  expect(headers.get("Content-Security-Policy")).toBe("default-src 'self'");
  expect(headers.get("X-Frame-Options")).toBe("DENY");
  expect(headers.get("X-Content-Type-Options")).toBe("nosniff");
  expect(headers.get("Referrer-Policy")).toBe("strict-origin-when-cross-origin");
  expect(headers.get("Permissions-Policy")).toBe("camera=(), geolocation=()");
  expect(headers.get("Cross-Origin-Opener-Policy")).toBe("same-origin");
  expect(headers.has("Server")).toBe(false);
  expect(headers.has("X-Powered-By")).toBe(false);
}

describe("securityHeaders", () => {
  it("sets every configured header and removes Server and X-Powered-By", async () => {
    const app = testApp([securityHeaders(full)], chatty);
    const response = await app.request("https://gw.test/", overTls);
    expect(response.status).toBe(201);
    expect(await response.text()).toBe("hello");
    expectPolicy(response.headers);
    expect(response.headers.get("Strict-Transport-Security")).toBe("max-age=31536000; includeSubDomains; preload");
  });

  it("builds HSTS from its options (RFC 6797 §6.1)", async () => {
    const app = testApp([securityHeaders(options({ hsts: { max_age: 600 } }))]);
    expect((await app.request("https://gw.test/", overTls)).headers.get("Strict-Transport-Security")).toBe("max-age=600");
    const disabled = testApp([securityHeaders(options({ hsts: { enabled: false } }))]);
    expect((await disabled.request("https://gw.test/", overTls)).headers.has("Strict-Transport-Security")).toBe(false);
  });

  it("never sends HSTS over plaintext (RFC 6797 §7.2)", async () => {
    const app = testApp([securityHeaders(full)]);
    const response = await app.request("http://gw.test/", plaintext);
    expect(response.headers.has("Strict-Transport-Security")).toBe(false);
    expect(response.headers.get("X-Frame-Options")).toBe("DENY");
  });

  it("replaces values the upstream set", async () => {
    const app = testApp(
      [securityHeaders(full)],
      () => new Response("x", { headers: { "X-Frame-Options": "ALLOWALL", "Content-Security-Policy": "default-src *" } }),
    );
    const response = await app.request("https://gw.test/", overTls);
    expect(response.headers.get("X-Frame-Options")).toBe("DENY");
    expect(response.headers.get("Content-Security-Policy")).toBe("default-src 'self'");
  });

  it("covers gateway errors and unexpected failures", async () => {
    const refused = testApp([securityHeaders(full)], () => {
      throw httpError("payload_too_large", "too big");
    });
    const response = await refused.request("https://gw.test/", overTls);
    expect(response.status).toBe(413);
    expectPolicy(response.headers);
    expect(response.headers.get("Strict-Transport-Security")).toBe("max-age=31536000; includeSubDomains; preload");
    const crashed = testApp([securityHeaders(full)], () => {
      throw new Error("bug");
    });
    const crash = await crashed.request("https://gw.test/", overTls);
    expect(crash.status).toBe(500);
    expectPolicy(crash.headers);
  });

  it("copies a response whose headers are immutable, keeping status and body", async () => {
    // A Cache API hit, like a fetch() response, has immutable headers.
    const cache = await caches.open("security-headers-test");
    await cache.put(
      "https://origin.test/page",
      new Response("cached body", { headers: { Server: "nginx", "X-Powered-By": "Express", "Cache-Control": "max-age=60" } }),
    );
    const hit = await cache.match("https://origin.test/page");
    expect(() => hit!.headers.set("X-Test", "1")).toThrow(TypeError);
    const app = testApp([securityHeaders(full)], () => hit!);
    const response = await app.request("https://gw.test/", overTls);
    expect(response.status).toBe(200);
    expect(await response.text()).toBe("cached body");
    expect(response.headers.get("Cache-Control")).toBe("max-age=60");
    expectPolicy(response.headers);

    const redirect = testApp([securityHeaders(full)], () => Response.redirect("https://gw.test/elsewhere", 307));
    const moved = await redirect.request("https://gw.test/", overTls);
    expect(moved.status).toBe(307);
    expect(moved.headers.get("Location")).toBe("https://gw.test/elsewhere");
    expect(moved.headers.get("X-Frame-Options")).toBe("DENY");
  });

  it("with enabled: false or no block, only removes Server and X-Powered-By", async () => {
    for (const policy of [options({ ...full, enabled: false }), undefined]) {
      const app = testApp([securityHeaders(policy)], chatty);
      const response = await app.request("https://gw.test/", overTls);
      expect(response.headers.has("Server")).toBe(false);
      expect(response.headers.has("X-Powered-By")).toBe(false);
      expect(response.headers.has("X-Frame-Options")).toBe(false);
      expect(response.headers.has("Strict-Transport-Security")).toBe(false);
    }
  });

  it("refuses a value that is not a valid header value when the factory runs", () => {
    expect(() => securityHeaders(options({ content_security_policy: "default-src 'self'\r\nSet-Cookie: a=b" }))).toThrow(TypeError);
  });
});
