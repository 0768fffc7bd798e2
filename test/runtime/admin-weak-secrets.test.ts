/**
 * Weak admin secrets are refused at use: while ADMIN_TOKEN or the `admin.auth` password holds
 * under 128 bits (worker/admin/secret-strength.ts), every attempt by that scheme answers 503,
 * the right secret included, so a weak secret can never be guessed through the API.
 */
import { env } from "cloudflare:workers";
import { beforeEach, describe, expect, it, vi } from "vitest";
import { invalidateCompiledConfig } from "../../worker/pipeline/config-cache";
import { admin, auditRows, json, putConfig, upstream } from "./admin-harness";

const basic = (user: string, password: string) => `Basic ${btoa(`${user}:${password}`)}`;

beforeEach(() => invalidateCompiledConfig());

async function expectWeak(res: Response, variable: string, secret: string): Promise<void> {
  expect(res.status).toBe(503);
  expect(res.headers.get("WWW-Authenticate")).toBeNull();
  const text = await res.text();
  expect(JSON.parse(text)).toEqual({
    error: "weak_admin_secret",
    message: expect.stringContaining(`openssl rand -base64 32 | npx wrangler secret put ${variable}`),
    request_id: res.headers.get("X-Request-Id"),
  });
  expect(text).not.toContain(secret);
}

describe("a weak ADMIN_TOKEN", () => {
  const weak = "test-admin-token";
  const withWeakToken = { ...env, ADMIN_TOKEN: weak };

  it.each([
    ["the token itself", `Bearer ${weak}`],
    ["a wrong token", "Bearer guess-0001"],
    ["a long wrong token", `Bearer ${env.ADMIN_TOKEN}`],
  ])("refuses every bearer attempt, %s included, with 503 and how to set a strong one", async (_, auth) => {
    await expectWeak(await admin("/config", { env: withWeakToken, auth }), "ADMIN_TOKEN", weak);
  });

  it("changes nothing, even with the right token", async () => {
    const before = (await admin("/config")).headers.get("ETag");
    const changes = (await auditRows("event = 'config_change'")).length;
    await expectWeak(
      await admin("/config", { ...json("PUT", { upstreams: [upstream("weak")] }), env: withWeakToken, auth: `Bearer ${weak}` }),
      "ADMIN_TOKEN",
      weak,
    );
    expect((await admin("/config")).headers.get("ETag")).toBe(before);
    expect(await auditRows("event = 'config_change'")).toHaveLength(changes);
  });

  it.each([
    ["a long run of neighbouring characters", "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"],
    ["a repeated unit", "Sup3rS3cret!Sup3rS3cret!Sup3rS3cret!Sup3rS3cret!"],
    ["few distinct characters", `${"x".repeat(40)}yz`],
  ])("counts %s as weak, however long", async (_, token) => {
    await expectWeak(await admin("/health", { env: { ...env, ADMIN_TOKEN: token }, auth: `Bearer ${token}` }), "ADMIN_TOKEN", token);
  });

  it("logs why once per value, without the value", async () => {
    const errors = vi.spyOn(console, "error").mockImplementation(() => {});
    const token = "weak-log-0123";
    for (let i = 0; i < 3; i++) await admin("/health", { env: { ...env, ADMIN_TOKEN: token }, auth: "Bearer x" });
    const lines = errors.mock.calls.map(([line]) => String(line)).filter((line) => line.includes("weak_admin_secret"));
    expect(lines.map((line) => JSON.parse(line))).toEqual([
      { level: "error", event: "weak_admin_secret", variable: "ADMIN_TOKEN", reason: "too_short", estimated_bits: 78 },
    ]);
    expect(JSON.stringify(errors.mock.calls)).not.toContain(token);
    errors.mockRestore();
  });

  it("still answers 401 to requests without a bearer credential", async () => {
    for (const auth of [null, "Bearer", "Basic !!!"]) expect((await admin("/config", { env: withWeakToken, auth })).status).toBe(401);
  });

  it("lets the strong token of the test env in", async () => {
    expect((await admin("/health")).status).toBe(200);
  });
});

describe("a weak admin.auth password", () => {
  const adminAuth = { type: "basic", username: "ops", password: "${ADMIN_PASSWORD}" };
  const weak = "hunter2hunter2";
  const withWeakPassword = { ...env, ADMIN_PASSWORD: weak };

  it.each([
    ["the right credentials", basic("ops", weak)],
    ["a wrong password", basic("ops", "guess")],
    ["a wrong user", basic("root", weak)],
  ])("refuses every basic attempt, %s included, with 503 naming the variable", async (_, auth) => {
    await putConfig({ admin: { auth: adminAuth }, upstreams: [upstream()] });
    await expectWeak(await admin("/config", { env: withWeakPassword, auth }), "ADMIN_PASSWORD", weak);
  });

  it("leaves the bearer token working", async () => {
    await putConfig({ admin: { auth: adminAuth }, upstreams: [upstream()] });
    expect((await admin("/config", { env: withWeakPassword })).status).toBe(200);
  });

  it("lets a strong password in", async () => {
    await putConfig({ admin: { auth: adminAuth }, upstreams: [upstream()] });
    const strong = "Vx7tQ2mR9kL4pW8nB3zF6hJ1";
    expect((await admin("/config", { env: { ...env, ADMIN_PASSWORD: strong }, auth: basic("ops", strong) })).status).toBe(200);
  });
});
