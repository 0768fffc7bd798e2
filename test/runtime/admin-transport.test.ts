/**
 * The admin API over plain http only from loopback (worker/admin/transport.ts): the request
 * URL's scheme and host as the client used them, and CF-Connecting-IP, which the Cloudflare
 * edge sets itself.
 */
import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { admin, auditRows, json, send, TOKEN_AUTH, upstream } from "./admin-harness";

const withToken = (headers: Record<string, string> = {}, init: RequestInit = {}) => ({
  ...init,
  headers: { Authorization: TOKEN_AUTH, ...headers },
});

async function expectHttpsRequired(res: Response): Promise<void> {
  expect(res.status).toBe(403);
  const text = await res.text();
  expect(JSON.parse(text)).toEqual({
    error: "https_required",
    message: expect.stringContaining("https"),
    request_id: res.headers.get("X-Request-Id"),
  });
  expect(text).not.toContain(String(env.ADMIN_TOKEN));
}

describe("plain http", () => {
  it.each([
    ["a public host, no client address", "http://gw.test/admin/health", {}],
    ["a public host and client", "http://api.example.com/admin/health", { "CF-Connecting-IP": "203.0.113.7" }],
    ["a private client address, which is not this machine", "http://gw.test/admin/health", { "CF-Connecting-IP": "10.0.0.1" }],
    ["a host that only begins like a loopback address", "http://127.0.0.1.nip.io/admin/health", { "CF-Connecting-IP": "198.51.100.1" }],
    ["a host that only begins like localhost", "http://localhost.example.com/admin/health", { "CF-Connecting-IP": "198.51.100.1" }],
    ["a client address that only looks like loopback", "http://gw.test/admin/health", { "CF-Connecting-IP": "::2" }],
  ])("is refused 403 https_required from %s, with a valid token", async (_, url, headers) => {
    await expectHttpsRequired(await send(url, withToken(headers)));
  });

  it("is refused before authentication: no 401, no refused-login audit row", async () => {
    const before = (await auditRows("event = 'admin_auth_failure'")).length;
    await expectHttpsRequired(await send("http://gw.test/admin/config", { headers: { Authorization: "Bearer wrong" } }));
    await expectHttpsRequired(await send("http://gw.test/admin/no-such-thing"));
    expect(await auditRows("event = 'admin_auth_failure'")).toHaveLength(before);
  });

  it("changes nothing", async () => {
    const version = (await admin("/config")).headers.get("ETag");
    await expectHttpsRequired(
      await send("http://gw.test/admin/config", withToken({}, json("PUT", { upstreams: [upstream("plain-http")] }))),
    );
    expect((await admin("/config")).headers.get("ETag")).toBe(version);
  });

  it.each([
    ["127.0.0.1", "http://127.0.0.1:8787/admin/health", {}],
    ["another address of 127.0.0.0/8", "http://127.8.9.10/admin/health", {}],
    ["localhost", "http://localhost:8787/admin/health", {}],
    ["a name below localhost (RFC 6761)", "http://admin.localhost/admin/health", {}],
    ["[::1]", "http://[::1]:8787/admin/health", {}],
    ["a public host with the loopback client of wrangler dev", "http://gw.test/admin/health", { "CF-Connecting-IP": "127.0.0.1" }],
    ["a public host with the IPv6 loopback client", "http://gw.test/admin/health", { "CF-Connecting-IP": "::1" }],
    ["a public host with an IPv4-mapped loopback client", "http://gw.test/admin/health", { "CF-Connecting-IP": "::ffff:127.0.0.1" }],
  ])("is allowed to %s (local development)", async (_, url, headers) => {
    expect((await send(url, withToken(headers))).status).toBe(200);
  });
});

describe("https", () => {
  it("is allowed from any client", async () => {
    expect((await send("https://api.example.com/admin/health", withToken({ "CF-Connecting-IP": "203.0.113.7" }))).status).toBe(200);
  });

  it("does not change how the gateway itself answers plain http", async () => {
    expect(await (await send("http://gw.test/not-admin")).json()).toMatchObject({ error: "no_route" });
  });
});
