/**
 * The admin API over real HTTP against `wrangler dev`: authentication, the config life cycle
 * (PUT YAML/JSON, GET with ETag, If-Match, validation errors, versions, rollback), routes,
 * upstreams, documents, and the audit rows each change leaves in D1.
 */
import { createHash, randomBytes } from "node:crypto";
import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { marker, rawRequest, sleep, startE2E, type E2E } from "./harness";

const fixture = (name: string) => readFileSync(fileURLToPath(new URL(`../fixtures/${name}`, import.meta.url)), "utf8");
const DEMO_CONFIG = readFileSync(fileURLToPath(new URL("../../scripts/demo-config.yaml", import.meta.url)), "utf8");

interface ConfigIssue {
  path: string;
  message: string;
}

let e2e: E2E;
beforeAll(async () => {
  e2e = await startE2E();
});
afterAll(() => e2e?.stop());

/** A config with one route `/<prefix>/*` to the test origin. */
function routeConfig(prefix: string): string {
  return `
routes:
  - id: ${prefix}
    path: /${prefix}/*
    upstream: origin
upstreams:
  - name: origin
    endpoints: ["${e2e.origin.endpoint}"]
`;
}

/** The config document of a GET /admin/config body, whether wrapped or not. */
function documentOf(body: Record<string, unknown>): Record<string, unknown> {
  return (body.config ?? body.document ?? body) as Record<string, unknown>;
}

/** Retries `find` until it returns something (or 20 s pass): for what arrives through the audit queue. */
async function eventually<T>(find: () => Promise<T | undefined>): Promise<T> {
  const deadline = Date.now() + 20_000;
  for (;;) {
    const found = await find();
    if (found !== undefined) return found;
    if (Date.now() > deadline) throw new Error("not there after 20 s");
    await sleep(250);
  }
}

/** `"7"` → 7; the ETag of a config is its version. */
function versionOf(etag: string | null): number {
  expect(etag).toMatch(/^"\d+"$/);
  return Number(etag!.slice(1, -1));
}

async function currentVersion(): Promise<number> {
  const res = await e2e.gateway.admin("/config");
  expect(res.status).toBe(200);
  return versionOf(res.headers.get("etag"));
}

async function putOk(config: string | object, headers?: Record<string, string>): Promise<{ version: number; warnings: string[] }> {
  const res = await e2e.gateway.putConfig(config, headers);
  const body = await res.text();
  expect(res.status, body).toBe(200);
  return JSON.parse(body);
}

async function expectIssues(res: Response): Promise<ConfigIssue[]> {
  const text = await res.text();
  expect(res.status, text).toBe(400);
  expect(res.headers.get("content-type")).toMatch(/json/);
  const body = JSON.parse(text) as { error: string; issues: ConfigIssue[] };
  expect(typeof body.error).toBe("string");
  expect(body.issues.length).toBeGreaterThan(0);
  for (const issue of body.issues) {
    expect(typeof issue.path).toBe("string");
    expect(typeof issue.message).toBe("string");
  }
  return body.issues;
}

describe("admin authentication", () => {
  const withAuth = (authorization?: string) => (authorization ? { headers: { Authorization: authorization } } : { headers: {} });

  it("refuses a request without credentials with 401 and WWW-Authenticate", async () => {
    const res = await e2e.gateway.fetch("/admin/config");
    expect(res.status).toBe(401);
    expect(res.headers.get("www-authenticate")).toMatch(/^Bearer/i);
    expect(((await res.json()) as { error: string }).error).toEqual(expect.any(String));
  });

  it.each([
    ["a wrong token of the same length", () => `Bearer ${"x".repeat(e2e.gateway.adminToken.length)}`],
    ["a wrong token of another length", () => "Bearer nope"],
    [
      "the token with one character changed",
      () => `Bearer ${e2e.gateway.adminToken.slice(0, -1)}${e2e.gateway.adminToken.endsWith("A") ? "B" : "A"}`,
    ],
    ["the token under another scheme", () => `Token ${e2e.gateway.adminToken}`],
    [
      "the token as a basic password without admin.auth",
      () => `Basic ${Buffer.from(`admin:${e2e.gateway.adminToken}`).toString("base64")}`,
    ],
    ["an empty bearer token", () => "Bearer "],
  ])("refuses %s with 401", async (_, authorization) => {
    const res = await e2e.gateway.admin("/config", withAuth(authorization()));
    expect(res.status).toBe(401);
    expect(res.headers.get("www-authenticate")).toBeTruthy();
  });

  it.each(["/admin/config", "/admin/config/versions", "/admin/health", "/admin/openapi.json", "/admin/routes/x", "/admin/no-such-thing"])(
    "requires credentials on %s",
    async (path) => {
      const res = await e2e.gateway.fetch(path);
      expect(res.status).toBe(401);
    },
  );

  it("refuses a wrong token for a change and leaves the config alone", async () => {
    const before = await currentVersion();
    const res = await e2e.gateway.putConfig(routeConfig("intruder"), { Authorization: "Bearer wrong" });
    expect(res.status).toBe(401);
    expect(await currentVersion()).toBe(before);
  });

  it("accepts the bearer token", async () => {
    const res = await e2e.gateway.admin("/health");
    expect(res.status).toBe(200);
  });

  it("never leaks the token into an error body", async () => {
    const res = await e2e.gateway.admin("/config", withAuth(`Bearer ${e2e.gateway.adminToken}x`));
    expect(await res.text()).not.toContain(e2e.gateway.adminToken);
  });
});

describe("config life cycle", () => {
  it("answers GET /admin/config with an ETag before anything was saved", async () => {
    const res = await e2e.gateway.admin("/config");
    expect(res.status).toBe(200);
    expect(res.headers.get("content-type")).toMatch(/json/);
    versionOf(res.headers.get("etag"));
  });

  it("saves YAML, then serves it with the new version as ETag", async () => {
    const saved = await putOk(routeConfig("yaml"));
    expect(saved.version).toEqual(expect.any(Number));
    expect(Array.isArray(saved.warnings)).toBe(true);
    const res = await e2e.gateway.admin("/config");
    expect(versionOf(res.headers.get("etag"))).toBe(saved.version);
    const document = documentOf((await res.json()) as Record<string, unknown>);
    expect(document.routes).toEqual([expect.objectContaining({ id: "yaml", path: "/yaml/*", upstream: "origin" })]);
    const proxied = await e2e.gateway.fetch("/yaml/hello");
    expect(proxied.status).toBe(200);
  });

  it("saves JSON by Content-Type", async () => {
    const before = await currentVersion();
    const saved = await putOk({
      routes: [{ id: "json", path: "/json/*", upstream: "origin" }],
      upstreams: [{ name: "origin", endpoints: [e2e.origin.endpoint] }],
    });
    expect(saved.version).toBeGreaterThan(before);
    expect((await e2e.gateway.fetch("/json/x")).status).toBe(200);
    expect((await e2e.gateway.fetch("/yaml/x")).status).toBe(404);
  });

  it("honours a current If-Match and refuses a stale one with 412, changing nothing", async () => {
    const current = await currentVersion();
    const saved = await putOk(routeConfig("matched"), { "If-Match": `"${current}"` });
    expect(saved.version).toBeGreaterThan(current);

    const stale = await e2e.gateway.putConfig(routeConfig("stale"), { "If-Match": `"${current}"` });
    expect(stale.status).toBe(412);
    expect(await currentVersion()).toBe(saved.version);
    expect((await e2e.gateway.fetch("/stale/x")).status).toBe(404);
    expect((await e2e.gateway.fetch("/matched/x")).status).toBe(200);
  });

  it("rejects an invalid config with 400 listing every problem by path, and changes nothing", async () => {
    const before = await currentVersion();
    const res = await e2e.gateway.putConfig(`
listners: []
middleware:
  body_limit:
    max_size: ten megabytes
routes:
  - id: twin
    path: /a/*
    upstream: nowhere
  - id: twin
    path: no-slash
    upstream: origin
    methods: [FETCH]
upstreams:
  - name: origin
    endpoints: ["ftp://files.example.com"]
    timeout: soon
`);
    const issues = await expectIssues(res);
    const paths = issues.map((issue) => issue.path);
    expect(paths).toEqual(
      expect.arrayContaining([
        "middleware.body_limit.max_size",
        "routes[0].upstream",
        "routes[1].id",
        "routes[1].path",
        "routes[1].methods[0]",
        "upstreams[0].endpoints[0]",
        "upstreams[0].timeout",
      ]),
    );
    expect(issues.some((issue) => `${issue.path} ${issue.message}`.includes("listners"))).toBe(true);
    expect(await currentVersion()).toBe(before);
  });

  it.each([
    ["YAML that does not parse", "routes: [unclosed", "application/yaml"],
    ["JSON that does not parse", '{"routes": [', "application/json"],
    ["a document that is not a mapping", "- just\n- a list\n", "application/yaml"],
  ])("rejects %s with 400", async (_, body, contentType) => {
    const res = await e2e.gateway.admin("/config", { method: "PUT", headers: { "Content-Type": contentType }, body });
    await expectIssues(res);
  });

  it("refuses a literal secret where a ${VAR} reference belongs", async () => {
    const res = await e2e.gateway.putConfig(`${routeConfig("literal")}
admin:
  auth:
    type: basic
    username: admin
    password: hunter2
`);
    const issues = await expectIssues(res);
    expect(issues.map((issue) => issue.path)).toContain("admin.auth.password");
    expect(JSON.stringify(issues)).not.toContain("hunter2");
  });

  it("keeps ${VAR} references as references and warns about unset ones", async () => {
    const saved = await putOk(`${routeConfig("refs")}
admin:
  auth:
    type: basic
    username: admin
    password: \${ADMIN_PASSWORD}
middleware:
  auth:
    type: api_key
    keys: ["\${DEMO_API_KEY}", "\${E2E_NEVER_SET}"]
`);
    expect(saved.warnings.some((warning) => warning.includes("E2E_NEVER_SET"))).toBe(true);
    expect(saved.warnings.some((warning) => warning.includes("ADMIN_PASSWORD"))).toBe(false);
    const text = await (await e2e.gateway.admin("/config")).text();
    expect(text).toContain("${ADMIN_PASSWORD}");
    expect(text).toContain("${DEMO_API_KEY}");
    for (const secret of Object.values(e2e.gateway.secrets)) expect(text).not.toContain(secret);
  });

  it("accepts the basic credentials of admin.auth, compared against the Worker secret", async () => {
    await putOk(`${routeConfig("basic")}
admin:
  auth:
    type: basic
    username: admin
    password: \${ADMIN_PASSWORD}
`);
    const basic = (user: string, password: string) => ({
      headers: { Authorization: `Basic ${Buffer.from(`${user}:${password}`).toString("base64")}` },
    });
    expect((await e2e.gateway.admin("/config", basic("admin", e2e.gateway.secrets.ADMIN_PASSWORD!))).status).toBe(200);
    expect((await e2e.gateway.admin("/config", basic("admin", "wrong"))).status).toBe(401);
    expect((await e2e.gateway.admin("/config", basic("root", e2e.gateway.secrets.ADMIN_PASSWORD!))).status).toBe(401);
  });

  it("accepts Loom's admin.auth.users (SHA-256 hex), with its realm, and shows the hashes redacted", async () => {
    const password = randomBytes(24).toString("base64");
    const hash = createHash("sha256").update(password).digest("hex");
    const { warnings } = await putOk(`${routeConfig("users")}
admin:
  enabled: true
  auth:
    enabled: true
    users:
      ops: "${hash}"
    realm: "Loom Admin"
`);
    expect(warnings.join("\n")).toMatch(/admin\.auth\.users: unsalted SHA-256/);
    const basic = (user: string, secret: string) => ({
      headers: { Authorization: `Basic ${Buffer.from(`${user}:${secret}`).toString("base64")}` },
    });
    const shown = await e2e.gateway.admin("/config", basic("ops", password));
    expect(shown.status).toBe(200);
    const text = await shown.text();
    expect(text).not.toContain(hash);
    expect(documentOf(JSON.parse(text))).toMatchObject({ admin: { auth: { users: { ops: "[redacted]" } } } });
    const refused = await e2e.gateway.admin("/config", basic("ops", `${password}x`));
    expect(refused.status).toBe(401);
    expect(refused.headers.get("www-authenticate")).toBe('Bearer realm="loom-edge-admin", Basic realm="Loom Admin"');
  });

  it("validates without saving on POST /admin/config/validate", async () => {
    const before = await currentVersion();
    const ok = await e2e.gateway.admin("/config/validate", {
      method: "POST",
      headers: { "Content-Type": "application/yaml" },
      body: routeConfig("dry"),
    });
    expect(ok.status).toBe(200);
    const bad = await e2e.gateway.admin("/config/validate", {
      method: "POST",
      headers: { "Content-Type": "application/yaml" },
      body: "routes: [{ id: x, path: /x, upstream: missing }]",
    });
    expect((await expectIssues(bad)).map((issue) => issue.path)).toContain("routes[0].upstream");
    expect(await currentVersion()).toBe(before);
    expect((await e2e.gateway.fetch("/dry/x")).status).toBe(404);
  });

  it("lists versions and rolls back to an earlier one", async () => {
    const a = await putOk(routeConfig("rollback-a"));
    const b = await putOk(routeConfig("rollback-b"));
    expect(b.version).toBeGreaterThan(a.version);

    const versions = await e2e.gateway.admin("/config/versions");
    expect(versions.status).toBe(200);
    const listed = JSON.stringify(await versions.json());
    expect(listed).toContain(String(a.version));
    expect(listed).toContain(String(b.version));

    const rollback = await e2e.gateway.admin("/config/rollback", {
      method: "POST",
      headers: { "Content-Type": "application/json" },
      body: JSON.stringify({ version: a.version }),
    });
    expect(rollback.status, await rollback.clone().text()).toBe(200);
    const current = await e2e.gateway.admin("/config");
    expect(documentOf((await current.json()) as Record<string, unknown>).routes).toEqual([expect.objectContaining({ id: "rollback-a" })]);
    expect((await e2e.gateway.fetch("/rollback-a/x")).status).toBe(200);
    expect((await e2e.gateway.fetch("/rollback-b/x")).status).toBe(404);
  });

  it("refuses a rollback to a version that does not exist", async () => {
    const before = await currentVersion();
    const res = await e2e.gateway.admin("/config/rollback", {
      method: "POST",
      headers: { "Content-Type": "application/json" },
      body: JSON.stringify({ version: 999_999 }),
    });
    expect(res.status).toBeGreaterThanOrEqual(400);
    expect(res.status).toBeLessThan(500);
    expect(await currentVersion()).toBe(before);
  });
});

describe("example configs", () => {
  it("accepts examples/loom-security-policy.yaml as it is, with edge warnings", async () => {
    const saved = await putOk(fixture("loom-security-policy.yaml"));
    const warnings = saved.warnings.join("\n");
    expect(warnings).toContain("listeners[0].tls.cert_file");
    expect(warnings).toContain("listeners[0].address");
    expect(warnings).toContain("admin.address");
    expect(warnings).toContain("audit.output");
    for (const variable of ["API_KEY_1", "API_KEY_2", "OPENAI_API_KEY"]) expect(warnings).toContain(variable);
    const text = await (await e2e.gateway.admin("/config")).text();
    expect(text).toContain("${API_KEY_1}");
  });

  it("accepts examples/jwt-auth.yaml as it is", async () => {
    const saved = await putOk(fixture("jwt-auth.yaml"));
    expect(saved.warnings.join("\n")).toContain("JWT_SECRET");
  });

  it("accepts the demo config of npm run dev", async () => {
    const saved = await putOk(DEMO_CONFIG);
    expect(saved.warnings.join("\n")).toMatch(/loopback|private/);
  });
});

describe("routes, upstreams and documents", () => {
  beforeAll(async () => {
    await putOk(routeConfig("base"));
  });

  it("adds, reads and deletes an upstream and a route", async () => {
    const upstream = await e2e.gateway.admin("/upstreams/extra", {
      method: "PUT",
      headers: { "Content-Type": "application/json" },
      body: JSON.stringify({ name: "extra", endpoints: [e2e.origin.endpoint] }),
    });
    expect(upstream.status, await upstream.clone().text()).toBeLessThan(300);
    const route = await e2e.gateway.admin("/routes/extra", {
      method: "PUT",
      headers: { "Content-Type": "application/json" },
      body: JSON.stringify({ id: "extra", path: "/extra/*", upstream: "extra" }),
    });
    expect(route.status, await route.clone().text()).toBeLessThan(300);

    const read = await e2e.gateway.admin("/routes/extra");
    expect(read.status).toBe(200);
    expect(await read.text()).toContain("/extra/*");
    expect((await e2e.gateway.fetch("/extra/x")).status).toBe(200);
    expect((await e2e.gateway.fetch("/base/x")).status).toBe(200);

    expect((await e2e.gateway.admin("/routes/extra", { method: "DELETE" })).status).toBeLessThan(300);
    expect((await e2e.gateway.admin("/routes/extra")).status).toBe(404);
    expect((await e2e.gateway.fetch("/extra/x")).status).toBe(404);
    expect((await e2e.gateway.admin("/upstreams/extra", { method: "DELETE" })).status).toBeLessThan(300);
    expect((await e2e.gateway.admin("/upstreams/extra")).status).toBe(404);
  });

  it("refuses a route that names a missing upstream, with the issue's path", async () => {
    const before = await currentVersion();
    const res = await e2e.gateway.admin("/routes/dangling", {
      method: "PUT",
      headers: { "Content-Type": "application/json" },
      body: JSON.stringify({ id: "dangling", path: "/dangling/*", upstream: "missing" }),
    });
    const issues = await expectIssues(res);
    expect(issues.some((issue) => issue.path.endsWith("upstream"))).toBe(true);
    expect(await currentVersion()).toBe(before);
  });

  it("refuses to delete an upstream a route still uses", async () => {
    const res = await e2e.gateway.admin("/upstreams/origin", { method: "DELETE" });
    expect(res.status).toBeGreaterThanOrEqual(400);
    expect(res.status).toBeLessThan(500);
    expect((await e2e.gateway.fetch("/base/x")).status).toBe(200);
  });

  it("stores a document under its path and refuses one that is not JSON", async () => {
    const path = "/admin/documents/etc/loom/schemas/admin-e2e.json";
    const ok = await e2e.gateway.fetch(path, {
      method: "PUT",
      headers: { Authorization: `Bearer ${e2e.gateway.adminToken}`, "Content-Type": "application/json" },
      body: JSON.stringify({ type: "object" }),
    });
    expect(ok.status, await ok.clone().text()).toBeLessThan(300);
    const bad = await e2e.gateway.fetch(path, {
      method: "PUT",
      headers: { Authorization: `Bearer ${e2e.gateway.adminToken}`, "Content-Type": "application/json" },
      body: "{ not json",
    });
    expect(bad.status).toBe(400);
  });
});

describe("admin API surface", () => {
  it("serves an OpenAPI document generated from the schemas", async () => {
    const res = await e2e.gateway.admin("/openapi.json");
    expect(res.status).toBe(200);
    const document = (await res.json()) as { openapi: string; paths: Record<string, unknown> };
    expect(document.openapi).toMatch(/^3\./);
    expect(Object.keys(document.paths).some((path) => path.endsWith("/config"))).toBe(true);
  });

  it("never proxies an admin path, however it is spelled", async () => {
    await putOk(`
routes:
  - id: everything
    path: /*
    upstream: origin
upstreams:
  - name: origin
    endpoints: ["${e2e.origin.endpoint}"]
`);
    const m = marker();
    expect((await e2e.gateway.fetch(`/anything?m=${m}`)).status).toBe(200);
    for (const path of [
      "/admin/config",
      "/%61dmin/config",
      "/x/../admin/config",
      "/admin/../admin/config",
      "//admin/config",
      "/admin%2fconfig",
    ]) {
      const res = await rawRequest(e2e.gateway.url, { path: `${path}?m=${m}` });
      expect(res.status, path).toBeGreaterThanOrEqual(400);
    }
    expect(e2e.origin.received(m)).toHaveLength(1);
  });
});

describe("audit log", () => {
  it("holds a config_change row for each change, and the database refuses to rewrite it", async () => {
    const saved = await putOk(routeConfig("audited"));
    const result = await e2e.gateway.d1("select event, new_version, hash, prev_hash from audit_log order by id");
    expect(result.ok).toBe(true);
    if (!result.ok) return;
    const changes = result.rows.filter((row) => row.event === "config_change");
    expect(changes.length).toBeGreaterThan(5);
    expect(changes.at(-1)).toMatchObject({ new_version: saved.version });
    // Hash-chained: each row names the hash of the row before it.
    result.rows.forEach((row, index) => {
      if (index > 0) expect(row.prev_hash).toBe(result.rows[index - 1]!.hash);
    });

    const update = await e2e.gateway.d1("update audit_log set actor = 'someone else'");
    expect(update.ok).toBe(false);
    if (!update.ok) expect(update.output).toMatch(/append-only/);
    const remove = await e2e.gateway.d1("delete from audit_log");
    expect(remove.ok).toBe(false);
  });

  it("records failed admin authentication after the 401, through the audit queue", async () => {
    const agent = `e2e-${marker()}`;
    const refused = await e2e.gateway.admin("/config", { headers: { Authorization: "Bearer definitely-wrong", "User-Agent": agent } });
    expect(refused.status).toBe(401);
    // The local queue delivers the batch to the Worker's queue() handler within its max_batch_timeout.
    const row = await eventually(async () => {
      const page = (await (await e2e.gateway.admin("/audit?event=admin_auth_failure&limit=20")).json()) as {
        entries: { user_agent: string; details: Record<string, unknown> }[];
      };
      return page.entries.find((entry) => entry.user_agent === agent);
    });
    expect(row.details).toMatchObject({ scheme: "bearer", reason: "invalid_credentials", count: 1 });
    expect(JSON.stringify(row)).not.toContain("definitely-wrong");
  });

  it("verifies the hash chain through the admin API", async () => {
    const res = await e2e.gateway.admin("/audit/verify");
    expect(res.status).toBe(200);
    const result = (await res.json()) as { ok: boolean; rows: number; head: string };
    const head = await e2e.gateway.d1("select hash from audit_log order by id desc limit 1");
    expect(result.ok).toBe(true);
    expect(head.ok && head.rows[0]?.hash).toBe(result.head);
  });
});

describe("requests a browser could be made to send, over real HTTP", () => {
  it("lets a same-origin request in: wrangler dev keeps the URL's origin as the browser sees it", async () => {
    const res = await e2e.gateway.admin("/config", {
      headers: { Origin: new URL(e2e.gateway.url).origin, "Sec-Fetch-Site": "same-origin" },
    });
    expect(res.status).toBe(200);
  });

  it("refuses a cross-site form post with the admin's credentials, and changes nothing", async () => {
    const before = await currentVersion();
    const body = JSON.stringify({ routes: [], upstreams: [] });
    const base = {
      Authorization: `Bearer ${e2e.gateway.adminToken}`,
      "Content-Type": "text/plain;charset=UTF-8",
      "Content-Length": String(body.length),
    };
    const crossSite = await rawRequest(e2e.gateway.url, {
      method: "PUT",
      path: "/admin/config",
      headers: { ...base, Origin: "https://evil.example", "Sec-Fetch-Site": "cross-site" },
      body,
    });
    expect(crossSite.status).toBe(403);
    expect(crossSite.json()).toMatchObject({ error: "cross_site_request" });
    // A browser that sends neither header: the text/plain body alone is refused.
    const plain = await rawRequest(e2e.gateway.url, { method: "PUT", path: "/admin/config", headers: base, body });
    expect(plain.status).toBe(415);
    expect(plain.json()).toMatchObject({ error: "unsupported_media_type" });
    expect(await currentVersion()).toBe(before);
  });

  it("refuses plain http addressed to a public name from a public client", async () => {
    // Under wrangler dev the Host and a client's CF-Connecting-IP pass through as sent, so this
    // is what the Worker sees on Cloudflare for an http:// request from the Internet.
    const res = await rawRequest(e2e.gateway.url, {
      path: "/admin/health",
      headers: { Authorization: `Bearer ${e2e.gateway.adminToken}`, Host: "api.example.com", "CF-Connecting-IP": "203.0.113.7" },
    });
    expect(res.status).toBe(403);
    expect(res.json()).toMatchObject({ error: "https_required" });
  });
});
