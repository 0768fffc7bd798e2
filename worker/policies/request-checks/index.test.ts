import { describe, expect, it } from "vitest";
import { configSchema, type ConfigInput } from "../../config/schema";
import { rawRequest } from "../../http/raw-request.test-helper";
import { testApp } from "../test-app.test-helper";
import { requestValidation } from "./index";

type RequestValidationInput = NonNullable<NonNullable<ConfigInput["middleware"]>["request_validation"]>;

function app(input: RequestValidationInput | undefined) {
  const options = input && configSchema.parse({ middleware: { request_validation: input } }).middleware.request_validation;
  return testApp([requestValidation(options)]);
}

/** Wire size of the header section as the policy counts it: `name: value` CRLF per field. */
function headerSize(headers: Headers): number {
  return [...headers].reduce((size, [name, value]) => size + name.length + value.length + 4, 0);
}

describe("max_uri_length (414)", () => {
  const limited = app({ max_uri_length: 20 });

  it("counts path and query of the request target", async () => {
    // "/abcdefgh?q=12345678" is exactly 20 characters.
    expect((await limited.request("http://gw.test/abcdefgh?q=12345678")).status).toBe(200);
    const response = await limited.request("http://gw.test/abcdefgh?q=123456789");
    expect(response.status).toBe(414);
    expect(await response.json()).toMatchObject({ error: "uri_too_long" });
  });

  it("ignores the scheme and host", async () => {
    expect((await limited.request("http://a-very-long-host-name.example.com/short")).status).toBe(200);
  });

  it("measures the target as sent, before any normalisation", async () => {
    // "/a/b/../../../../c" resolves to "/c", but 18 characters were sent.
    const strict = app({ max_uri_length: 10 });
    expect((await strict.fetch(rawRequest("http://gw.test/a/b/../../../../c"))).status).toBe(414);
  });
});

describe("max_header_size (431)", () => {
  it("sums name, value and separators of every header", async () => {
    const headers = new Headers({ "x-one": "a".repeat(50), "x-two": "b".repeat(50) });
    const exact = headerSize(headers);
    expect((await app({ max_header_size: exact }).request("http://gw.test/", { headers })).status).toBe(200);
    const response = await app({ max_header_size: exact - 1 }).request("http://gw.test/", { headers });
    expect(response.status).toBe(431);
    expect(await response.json()).toMatchObject({ error: "headers_too_large" });
  });

  it("takes sizes with units (8KB)", async () => {
    const limited = app({ max_header_size: "8KB" });
    expect((await limited.request("http://gw.test/", { headers: { cookie: "c".repeat(8000) } })).status).toBe(200);
    expect((await limited.request("http://gw.test/", { headers: { cookie: "c".repeat(8200) } })).status).toBe(431);
  });
});

describe("allowed_methods (405)", () => {
  const limited = app({ allowed_methods: ["GET", "POST"] });

  it("admits the listed methods", async () => {
    expect((await limited.request("http://gw.test/", { method: "POST", body: "x" })).status).toBe(200);
  });

  it("refuses others with Allow (RFC 9110 §15.5.6)", async () => {
    const response = await limited.request("http://gw.test/", { method: "DELETE" });
    expect(response.status).toBe(405);
    expect(response.headers.get("Allow")).toBe("GET, POST");
    expect(await response.json()).toMatchObject({ error: "method_not_allowed", allow: ["GET", "POST"] });
  });

  it("compares methods exactly (they are case-sensitive, RFC 9110 §9.1)", async () => {
    expect((await limited.request("http://gw.test/", { method: "PATCH" })).status).toBe(405);
  });
});

describe("order and absence", () => {
  it("checks the target before the headers, the headers before the method", async () => {
    const all = app({ max_uri_length: 5, max_header_size: 10, allowed_methods: ["GET"] });
    expect((await all.request("http://gw.test/toolong", { method: "PUT", headers: { "x-big": "y".repeat(20) } })).status).toBe(414);
    expect((await all.request("http://gw.test/", { method: "PUT", headers: { "x-big": "y".repeat(20) } })).status).toBe(431);
    expect((await all.request("http://gw.test/", { method: "PUT" })).status).toBe(405);
  });

  it("lets everything through without options", async () => {
    const open = app(undefined);
    expect(
      (await open.request(`http://gw.test/${"a".repeat(10_000)}`, { method: "DELETE", headers: { "x-big": "y".repeat(100_000) } })).status,
    ).toBe(200);
  });
});
