/**
 * Cross-site request forgery against the admin API (worker/admin/csrf.ts): requests a browser
 * marks as sent for another site are refused 403 before authentication, and a state-changing
 * request's body must declare a media type its endpoint documents (415), so a form post, which
 * a page can make a browser send cross-site without a preflight, never changes anything, even
 * with valid credentials and a body that holds valid JSON.
 */
import { describe, expect, it } from "vitest";
import { admin, auditRows, json, putConfig, route, upstream } from "./admin-harness";

const validConfig = { upstreams: [upstream("csrf")], routes: [route("csrf", "csrf")] };

async function configState() {
  const res = await admin("/config");
  return { etag: res.headers.get("ETag"), changes: (await auditRows("event = 'config_change'")).length };
}

async function expectCrossSite(res: Response): Promise<void> {
  expect(res.status).toBe(403);
  expect(await res.json()).toEqual({
    error: "cross_site_request",
    message: expect.any(String),
    request_id: res.headers.get("X-Request-Id"),
  });
}

async function expectUnsupported(res: Response, accepted: string[]): Promise<void> {
  expect(res.status).toBe(415);
  expect(await res.json()).toEqual({
    error: "unsupported_media_type",
    message: expect.stringContaining("nothing was changed"),
    accepted_media_types: accepted,
    request_id: res.headers.get("X-Request-Id"),
  });
}

describe("requests a browser sends for another site", () => {
  it.each([
    ["Sec-Fetch-Site: cross-site", { "Sec-Fetch-Site": "cross-site" }],
    ["a foreign Origin", { Origin: "https://evil.example" }],
    ["Origin: null", { Origin: "null" }],
    ["an Origin with another port", { Origin: "https://gw.test:8443" }],
    ["an Origin with another scheme", { Origin: "http://gw.test" }],
    ["an Origin that only begins like the API's", { Origin: "https://gw.test.evil.example" }],
    ["cross-site even with the API's own Origin", { "Sec-Fetch-Site": "cross-site", Origin: "https://gw.test" }],
  ])("are refused 403 with %s, valid token or not, and change nothing", async (_, headers) => {
    const before = await configState();
    await expectCrossSite(
      await admin("/config", { ...json("PUT", validConfig), headers: { "Content-Type": "application/json", ...headers } }),
    );
    await expectCrossSite(await admin("/config", { headers }));
    // Before authentication: no 401 and no refused-login row for them.
    const failures = (await auditRows("event = 'admin_auth_failure'")).length;
    await expectCrossSite(await admin("/config", { headers, auth: null }));
    expect(await auditRows("event = 'admin_auth_failure'")).toHaveLength(failures);
    expect(await configState()).toEqual(before);
  });

  it.each([
    ["the API's own Origin", { Origin: "https://gw.test" }],
    ["Sec-Fetch-Site: same-origin", { "Sec-Fetch-Site": "same-origin" }],
    ["Sec-Fetch-Site: none (typed in the address bar)", { "Sec-Fetch-Site": "none" }],
    ["no Origin and no Sec-Fetch-Site (curl, scripts)", {}],
  ])("are not what %s means", async (_, headers) => {
    const res = await admin("/config", { ...json("PUT", validConfig), headers: { "Content-Type": "application/json", ...headers } });
    expect(res.status, await res.clone().text()).toBe(200);
  });
});

describe("the media type of a state-changing request's body", () => {
  const body = JSON.stringify(validConfig);

  it.each([
    ["text/plain (the form post of CSRF)", "text/plain"],
    ["text/plain with a charset", "text/plain;charset=UTF-8"],
    ["application/x-www-form-urlencoded", "application/x-www-form-urlencoded"],
    ["application/octet-stream", "application/octet-stream"],
  ])("refuses %s holding valid JSON with 415, valid token and all, and changes nothing", async (_, contentType) => {
    const before = await configState();
    const accepted = ["application/yaml", "text/yaml", "application/x-yaml", "application/json"];
    await expectUnsupported(await admin("/config", { method: "PUT", headers: { "Content-Type": contentType }, body }), accepted);
    await expectUnsupported(await admin("/config/validate", { method: "POST", headers: { "Content-Type": contentType }, body }), accepted);
    expect(await configState()).toEqual(before);
  });

  it("refuses a multipart form post", async () => {
    const form = new FormData();
    form.set("config", body);
    const before = await configState();
    await expectUnsupported(await admin("/routes/csrf", { method: "PUT", body: form }), [
      "application/json",
      "application/yaml",
      "text/yaml",
      "application/x-yaml",
    ]);
    expect(await configState()).toEqual(before);
  });

  it("refuses a body without a Content-Type", async () => {
    const request = new Request("https://x.test", { method: "PUT", body: new TextEncoder().encode(body) });
    expect(request.headers.has("Content-Type")).toBe(false);
    const before = await configState();
    await expectUnsupported(await admin("/config", { method: "PUT", body: new TextEncoder().encode(body) }), [
      "application/yaml",
      "text/yaml",
      "application/x-yaml",
      "application/json",
    ]);
    expect(await configState()).toEqual(before);
  });

  it("refuses text/plain on every kind of change: consumers, documents, credentials", async () => {
    const plain = (method: string, value: unknown) => ({ method, headers: { "Content-Type": "text/plain" }, body: JSON.stringify(value) });
    await expectUnsupported(await admin("/consumers", plain("POST", { id: "csrf-consumer", tenant: "acme" })), [
      "application/json",
      "application/yaml",
      "text/yaml",
      "application/x-yaml",
    ]);
    expect((await admin("/consumers/csrf-consumer")).status).toBe(404);
    await expectUnsupported(await admin("/documents/etc/csrf.json", plain("PUT", { type: "object" })), ["application/json"]);
    expect((await admin("/documents/etc/csrf.json")).status).toBe(404);
    await expectUnsupported(await admin("/tenants/acme/credentials/openai", plain("PUT", { secret: "sk-csrf-0123456789" })), [
      "application/json",
    ]);
  });

  it("refuses YAML where the endpoint documents JSON only", async () => {
    await expectUnsupported(
      await admin("/config/rollback", { method: "POST", headers: { "Content-Type": "application/yaml" }, body: "version: 1\n" }),
      ["application/json"],
    );
  });

  it("accepts a documented type whatever its case and parameters", async () => {
    const res = await admin("/config", { method: "PUT", headers: { "Content-Type": "Application/JSON; charset=UTF-8" }, body });
    expect(res.status, await res.clone().text()).toBe(200);
    const yaml = await admin("/config/validate", {
      method: "POST",
      headers: { "Content-Type": "text/yaml" },
      body: "upstreams: [{name: y, endpoints: ['https://origin.example.com']}]\n",
    });
    expect(yaml.status, await yaml.clone().text()).toBe(200);
  });

  describe("on an endpoint that takes no body", () => {
    it("refuses a body, whatever its type", async () => {
      await putConfig(validConfig);
      await expectUnsupported(await admin("/circuits/csrf/reset", json("POST", {})), []);
      await expectUnsupported(await admin("/routes/csrf", json("DELETE", { id: "csrf" })), []);
      expect((await admin("/routes/csrf")).status).toBe(200);
    });

    it("refuses an empty form post", async () => {
      await putConfig(validConfig);
      await expectUnsupported(
        await admin("/routes/csrf", { method: "DELETE", headers: { "Content-Type": "text/plain", "Content-Length": "0" } }),
        [],
      );
      await expectUnsupported(
        await admin("/routes/csrf", { method: "DELETE", headers: { "Content-Type": "application/x-www-form-urlencoded" }, body: "" }),
        [],
      );
      expect((await admin("/routes/csrf")).status).toBe(200);
    });

    it("needs no Content-Type without a body, and ignores a non-form one on an empty body", async () => {
      await putConfig({ ...validConfig, routes: [...validConfig.routes, route("csrf-2", "csrf")] });
      expect((await admin("/routes/csrf", { method: "DELETE" })).status).toBe(200);
      expect((await admin("/routes/csrf-2", { method: "DELETE", headers: { "Content-Type": "application/json" } })).status).toBe(200);
    });
  });

  it("an optional body may be left out", async () => {
    const res = await admin("/vault/rotate", { method: "POST" });
    expect(res.status).not.toBe(415);
  });
});

describe("OpenAPI", () => {
  it("documents the 403 of every operation and the 415 of the state-changing ones", async () => {
    const api = (await (await admin("/openapi.json")).json()) as {
      paths: Record<string, Record<string, { responses: Record<string, { description: string }> }>>;
    };
    expect(api.paths["/config"]!.put!.responses["415"]!.description).toContain(
      "application/yaml, text/yaml, application/x-yaml, application/json",
    );
    expect(api.paths["/config"]!.put!.responses["403"]!.description).toContain("https_required");
    expect(api.paths["/config"]!.get!.responses["415"]).toBeUndefined();
    expect(api.paths["/config"]!.get!.responses["403"]!.description).toContain("cross_site_request");
    expect(api.paths["/routes/{id}"]!.delete!.responses["415"]!.description).toContain("takes none");
  });
});
