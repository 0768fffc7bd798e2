/**
 * Loom's code dialect of `admin`: `auth.users` (SHA-256 hex password hashes, compared in constant
 * time, only for passwords of 128 bits or more), `auth.realm` in the challenge, `auth.enabled`,
 * the hashes redacted when the config is shown, the login lockout, and `admin.enabled: false`
 * (404, ADMIN_API_OVERRIDE=on to reach it again). Each test uses its own client addresses.
 */
import { env } from "cloudflare:workers";
import { beforeEach, describe, expect, it } from "vitest";
import { admin, auditRows, json, putConfig, upstream } from "./admin-harness";

const STRONG = "correct horse battery staple";
const WEAK = "admin123";

async function sha256Hex(text: string): Promise<string> {
  const digest = new Uint8Array(await crypto.subtle.digest("SHA-256", new TextEncoder().encode(text)));
  return Array.from(digest, (byte) => byte.toString(16).padStart(2, "0")).join("");
}

const basic = (user: string, password: string) => `Basic ${btoa(`${user}:${password}`)}`;
const from = (ip: string, auth: string | null, path = "/config") => admin(path, { auth, headers: { "CF-Connecting-IP": ip } });

let opsHash: string;
let usersConfig: Record<string, unknown>;

beforeEach(async () => {
  opsHash = await sha256Hex(STRONG);
  // Upper case as some tools print it: compared the same.
  usersConfig = {
    admin: { auth: { users: { ops: opsHash.toUpperCase(), weak: await sha256Hex(WEAK) }, realm: "Loom Admin" } },
    upstreams: [upstream()],
  };
  await putConfig(usersConfig);
});

describe("admin.auth.users (Loom's code dialect)", () => {
  it("lets a user in with the password whose SHA-256 is listed, as that user", async () => {
    const res = await from("203.0.113.100", basic("ops", STRONG));
    expect(res.status).toBe(200);
    await admin("/routes/who", {
      ...json("PUT", { id: "who", path: "/who", upstream: "backend" }),
      auth: basic("ops", STRONG),
      headers: { "Content-Type": "application/json", "CF-Connecting-IP": "203.0.113.100" },
    });
    const [row] = await auditRows("event = 'config_change' AND target = 'routes/who'");
    expect(row).toMatchObject({ actor: "basic:ops" });
  });

  it("refuses a wrong password, an unknown user and another user's password with 401 and the configured realm", async () => {
    for (const auth of [basic("ops", "wrong horse battery staple!"), basic("nobody", STRONG), basic("weak", STRONG)]) {
      const res = await from("203.0.113.101", auth);
      expect(res.status).toBe(401);
      expect(res.headers.get("WWW-Authenticate")).toBe('Bearer realm="loom-edge-admin", Basic realm="Loom Admin"');
    }
  });

  it("never compares a weak password, even the right one, and audits why", async () => {
    const res = await from("203.0.113.102", basic("weak", WEAK));
    expect(res.status).toBe(401);
    const rows = await auditRows("event = 'admin_auth_failure' AND ip = ?", "203.0.113.102");
    expect(JSON.parse(rows.at(-1)!.details)).toMatchObject({ scheme: "basic", reason: "weak_password" });
  });

  it("locks a client out after 5 failures, the right password included, and never the bearer token", async () => {
    for (let i = 0; i < 5; i++) expect((await from("203.0.113.103", basic(`guess-${i}`, `wrong-${i}`))).status).toBe(401);
    const locked = await from("203.0.113.103", basic("ops", STRONG));
    expect(locked.status).toBe(429);
    expect(Number(locked.headers.get("Retry-After"))).toBeGreaterThan(14 * 60);
    expect((await from("203.0.113.103", `Bearer ${env.ADMIN_TOKEN}`)).status).toBe(200);
  });

  it("shows the hashes redacted in GET /config, and PUT refuses the placeholder by path", async () => {
    const res = await admin("/config");
    const text = await res.text();
    expect(text).not.toContain(opsHash);
    expect(text.toLowerCase()).not.toContain(opsHash);
    expect(JSON.parse(text).admin.auth.users).toEqual({ ops: "[redacted]", weak: "[redacted]" });
    const again = await admin("/config", json("PUT", JSON.parse(text)));
    expect(again.status).toBe(400);
    expect(JSON.stringify(await again.json())).toContain("admin.auth.users.ops");
  });

  it("keeps the hashes out of the audit rows of the change", async () => {
    const rows = await auditRows("event = 'config_change'");
    for (const row of rows) expect(JSON.stringify(row).toLowerCase()).not.toContain(opsHash);
  });

  it("warns that unsalted hashes can be cracked offline", async () => {
    const { warnings } = await putConfig(usersConfig);
    expect(warnings.join("\n")).toMatch(/admin\.auth\.users: unsalted SHA-256 password hashes can be cracked offline/);
  });

  it("turns the users' logins off with enabled: false, never the bearer token", async () => {
    const { warnings } = await putConfig({ ...usersConfig, admin: { auth: { enabled: false, users: { ops: opsHash } } } });
    expect(warnings.join("\n")).toMatch(/admin\.auth\.enabled: false turns the users' logins off/);
    expect((await from("203.0.113.104", basic("ops", STRONG))).status).toBe(401);
    expect((await from("203.0.113.104", `Bearer ${env.ADMIN_TOKEN}`)).status).toBe(200);
  });
});

describe("admin.enabled: false (Loom's code dialect)", () => {
  it("answers 404 on every admin path, the right token included, until ADMIN_API_OVERRIDE=on lets the operator save it back on", async () => {
    const { warnings } = await putConfig({ admin: { enabled: false }, upstreams: [upstream()] });
    expect(warnings.join("\n")).toMatch(/ADMIN_API_OVERRIDE=on/);
    for (const [path, auth] of [
      ["/config", `Bearer ${env.ADMIN_TOKEN}`],
      ["/routes", null],
      ["/no-such-thing", "Bearer wrong"],
    ] as const) {
      const res = await admin(path, { auth });
      expect(res.status).toBe(404);
      expect(res.headers.has("WWW-Authenticate")).toBe(false);
    }
    const override = { ...env, ADMIN_API_OVERRIDE: "on" };
    expect((await admin("/config", { env: override, auth: null })).status).toBe(401);
    expect((await admin("/config", { env: override })).status).toBe(200);
    expect((await admin("/config", { ...json("PUT", { admin: { enabled: true }, upstreams: [upstream()] }), env: override })).status).toBe(
      200,
    );
    expect((await admin("/config")).status).toBe(200);
  });

  it("ignores an override variable other than `on`", async () => {
    await putConfig({ admin: { enabled: false }, upstreams: [upstream()] });
    expect((await admin("/config", { env: { ...env, ADMIN_API_OVERRIDE: "true" } })).status).toBe(404);
    expect(
      (await admin("/config", { ...json("PUT", { upstreams: [upstream()] }), env: { ...env, ADMIN_API_OVERRIDE: "on" } })).status,
    ).toBe(200);
  });
});
