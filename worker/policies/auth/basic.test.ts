/**
 * The basic scheme (RFC 7617).
 */
import { afterEach, describe, expect, it, vi } from "vitest";
import { SECRETS, gateway, echo, bearer, basic } from "./auth-harness.test-helper";

afterEach(() => {
  vi.useRealTimers();
  vi.restoreAllMocks();
});

describe("basic", () => {
  const config = { auth: { type: "basic" as const, username: "admin", password: "${ADMIN_PASSWORD}" } };

  it("admits the user-id and UTF-8 password, with any case of the scheme name", async () => {
    const gw = gateway(config);
    expect(await echo(await gw.fetch("/r/x", basic("admin", SECRETS.ADMIN_PASSWORD!)))).toMatchObject({
      scheme: "basic",
      consumer: "admin",
    });
    const lower = basic("admin", SECRETS.ADMIN_PASSWORD!).headers.Authorization.replace("Basic", "basic");
    expect((await gw.fetch("/r/x", { headers: { Authorization: lower } })).status).toBe(200);
  });

  it.each([
    ["a wrong password", basic("admin", "password").headers.Authorization, "invalid_credentials"],
    ["a wrong user-id", basic("root", SECRETS.ADMIN_PASSWORD!).headers.Authorization, "invalid_credentials"],
    ["no colon", `Basic ${btoa("admin")}`, "malformed_credentials"],
    ["bad base64", "Basic !!!!", "malformed_credentials"],
    ["not UTF-8", `Basic ${btoa("admin:\xff\xfe")}`, "malformed_credentials"],
    ["a bearer token", "Bearer abc", "missing_credentials"],
  ])("refuses %s with the RFC 7617 challenge", async (_name, authorization, reason) => {
    const gw = gateway(config);
    const response = await gw.fetch("/r/x", { headers: { Authorization: authorization } });
    expect(response.status).toBe(401);
    expect(response.headers.get("WWW-Authenticate")).toBe('Basic realm="loom-edge", charset="UTF-8"');
    expect(gw.events[0]!.reason).toBe(reason);
  });

  it("fails closed with 500 when the password secret is not set", async () => {
    const { ADMIN_PASSWORD: _unset, ...rest } = SECRETS;
    expect((await gateway(config, {}, rest).fetch("/r/x", basic("admin", ""))).status).toBe(500);
  });
});

// ---------------------------------------------------------------- mtls
