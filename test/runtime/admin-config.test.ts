/**
 * The whole config through the admin API: both example configs as they are, every kind of
 * invalid config (400, every issue by path, nothing changed), If-Match, body limits,
 * versions and rollback, and the audit row each change leaves before it takes effect.
 */
import { env } from "cloudflare:workers";
import { beforeEach, describe, expect, it } from "vitest";
import jwtAuthYaml from "../fixtures/jwt-auth.yaml?raw";
import loomPolicyYaml from "../fixtures/loom-security-policy.yaml?raw";
import { KEYS } from "../../worker/config/kv";
import { invalidateCompiledConfig } from "../../worker/pipeline/config-cache";
import { admin, auditRows, currentVersion, json, putConfig, route, upstream, yaml } from "./admin-harness";

interface Issue {
  path: string;
  message: string;
}

beforeEach(() => invalidateCompiledConfig());

const simple = (id = "a") => ({ upstreams: [upstream()], routes: [route(id)] });

async function expectInvalid(res: Response, code = "invalid_config"): Promise<Issue[]> {
  const text = await res.text();
  expect(res.status, text).toBe(400);
  const body = JSON.parse(text) as { error: string; issues: Issue[] };
  expect(body.error).toBe(code);
  expect(body.issues.length).toBeGreaterThan(0);
  return body.issues;
}

describe("the example configs", () => {
  it("accepts loom-security-policy.yaml as it is, with edge warnings and the missing document", async () => {
    const res = await admin("/config", yaml("PUT", loomPolicyYaml));
    const body = (await res.json()) as { version: number; warnings: string[] };
    expect(res.status, JSON.stringify(body)).toBe(200);
    const warnings = body.warnings.join("\n");
    expect(warnings).toContain("listeners[0].tls.cert_file");
    expect(warnings).toContain("admin.address");
    for (const variable of ["API_KEY_1", "API_KEY_2", "OPENAI_API_KEY"]) expect(warnings).toContain(variable);
    expect(warnings).toContain(
      "document /etc/loom/schemas/api.json has not been uploaded (PUT /admin/documents/etc/loom/schemas/api.json)",
    );
    expect(res.headers.get("ETag")).toBe(`"${body.version}"`);

    // Stored as written: ${VAR} references kept, sizes and durations as strings.
    const stored = await (await admin("/config")).text();
    expect(stored).toContain('"${API_KEY_1}"');
    expect(stored).toContain('"10MB"');
    expect(stored).toContain('"30s"');
  });

  it("accepts jwt-auth.yaml as it is", async () => {
    for (const type of ["application/yaml", "text/yaml", "application/x-yaml"]) {
      const res = await admin("/config", { method: "PUT", headers: { "Content-Type": type }, body: jwtAuthYaml });
      expect(res.status, type).toBe(200);
      expect(((await res.json()) as { warnings: string[] }).warnings.join("\n")).toContain("JWT_SECRET");
    }
  });

  it("round-trips: what GET returns, PUT accepts unchanged", async () => {
    await admin("/config", yaml("PUT", loomPolicyYaml));
    const first = await admin("/config");
    const document = await first.json();
    const saved = await putConfig(document);
    const second = await admin("/config");
    expect(second.headers.get("ETag")).toBe(`"${saved.version}"`);
    expect(second.headers.get("X-Config-Version")).toBe(String(saved.version));
    expect(await second.json()).toEqual(document);
  });
});

describe("invalid configs are refused with every issue by path, and nothing changes", () => {
  const cases: [string, string, string, string[]][] = [
    ["an unknown key", "application/json", JSON.stringify({ ...simple(), listners: [] }), ["(root)"]],
    [
      "an unknown nested key",
      "application/json",
      JSON.stringify({ ...simple(), middleware: { body_limit: { max_size: "1MB", extra: 1 } } }),
      ["middleware.body_limit"],
    ],
    ["a wrong type", "application/json", JSON.stringify({ upstreams: [{ ...upstream(), retries: "two" }] }), ["upstreams[0].retries"]],
    [
      "a dangling upstream",
      "application/json",
      JSON.stringify({ upstreams: [upstream()], routes: [route("a", "nowhere")] }),
      ["routes[0].upstream"],
    ],
    [
      "a duplicate route id",
      "application/json",
      JSON.stringify({ upstreams: [upstream()], routes: [route("a"), { ...route("a"), path: "/other/*" }] }),
      ["routes[1].id"],
    ],
    ["a duplicate upstream name", "application/json", JSON.stringify({ upstreams: [upstream(), upstream()] }), ["upstreams[1].name"]],
    ["a bad size", "application/yaml", "middleware:\n  body_limit:\n    max_size: ten megabytes\n", ["middleware.body_limit.max_size"]],
    ["a bad duration", "application/json", JSON.stringify({ upstreams: [{ ...upstream(), timeout: "soon" }] }), ["upstreams[0].timeout"]],
    ["a zero duration", "application/json", JSON.stringify({ upstreams: [{ ...upstream(), timeout: "0s" }] }), ["upstreams[0].timeout"]],
    ["YAML that does not parse", "application/yaml", "routes: [unclosed", ["(root)"]],
    ["a YAML key given twice", "application/yaml", "routes: []\nroutes: []\n", ["(root)"]],
    ["JSON that does not parse", "application/json", '{"routes": [', ["(root)"]],
    ["a list instead of a mapping", "application/yaml", "- just\n- a list\n", ["(root)"]],
    ["a scalar", "application/json", "42", ["(root)"]],
    ["an empty body", "application/json", "", ["(root)"]],
    [
      "a literal secret",
      "application/json",
      JSON.stringify({ middleware: { auth: { type: "api_key", keys: ["hunter2-literal"] } } }),
      ["middleware.auth.keys[0]"],
    ],
    [
      "a literal basic password",
      "application/json",
      JSON.stringify({ admin: { auth: { type: "basic", username: "u", password: "hunter2-literal" } } }),
      ["admin.auth.password"],
    ],
    [
      "an endpoint with a bad scheme",
      "application/json",
      JSON.stringify({ upstreams: [{ name: "x", endpoints: ["ftp://files.example.com"] }] }),
      ["upstreams[0].endpoints[0]"],
    ],
  ];

  it.each(cases)("%s", async (_, contentType, body, paths) => {
    const before = await currentVersion();
    const changes = (await auditRows("event = 'config_change'")).length;
    const issues = await expectInvalid(await admin("/config", { method: "PUT", headers: { "Content-Type": contentType }, body }));
    expect(issues.map((issue) => issue.path)).toEqual(expect.arrayContaining(paths));
    expect(JSON.stringify(issues)).not.toContain("hunter2-literal");
    expect(await currentVersion()).toBe(before);
    expect(await auditRows("event = 'config_change'")).toHaveLength(changes);
    expect(await env.CONFIG.get(KEYS.version(before + 1))).toBeNull();

    // The dry run reports the same.
    const dry = await expectInvalid(await admin("/config/validate", { method: "POST", headers: { "Content-Type": contentType }, body }));
    expect(dry).toEqual(issues);
  });

  it("lists every problem of a config with many at once", async () => {
    const issues = await expectInvalid(
      await admin(
        "/config",
        yaml(
          "PUT",
          'listners: []\nroutes:\n  - id: twin\n    path: /a/*\n    upstream: nowhere\n  - id: twin\n    path: no-slash\n    upstream: origin\n    methods: [FETCH]\nupstreams:\n  - name: origin\n    endpoints: ["ftp://x"]\n    timeout: soon\n',
        ),
      ),
    );
    expect(issues.map((issue) => issue.path)).toEqual(
      expect.arrayContaining([
        "routes[0].upstream",
        "routes[1].id",
        "routes[1].path",
        "routes[1].methods[0]",
        "upstreams[0].endpoints[0]",
        "upstreams[0].timeout",
      ]),
    );
  });
});

describe("POST /config/validate", () => {
  it("answers valid with the warnings a save would give, and stores nothing", async () => {
    const before = await currentVersion();
    const res = await admin("/config/validate", yaml("POST", loomPolicyYaml));
    expect(res.status).toBe(200);
    const body = (await res.json()) as { valid: boolean; warnings: string[] };
    expect(body.valid).toBe(true);
    expect(body.warnings.join("\n")).toContain("API_KEY_1");
    expect(await currentVersion()).toBe(before);
  });
});

describe("If-Match", () => {
  it("accepts the current version quoted, bare, in a list, or *", async () => {
    const tags = [(v: number) => `"${v}"`, (v: number) => String(v), (v: number) => `"999", "${v}"`, () => "*"];
    for (const tag of tags) {
      const current = await currentVersion();
      const saved = await putConfig(simple(), { "If-Match": tag(current) });
      expect(saved.version).toBe(current + 1);
    }
  });

  it.each([
    ["a stale version", (v: number) => `"${v - 1}"`],
    ["a future version", (v: number) => `"${v + 5}"`],
    ["a weak tag (If-Match compares strongly)", (v: number) => `W/"${v}"`],
    ["garbage", () => "yesterday"],
    ["an empty header", () => ""],
  ])("refuses %s with 412 and changes nothing", async (_, tag) => {
    await putConfig(simple("first"));
    const current = await currentVersion();
    const res = await admin("/config", json("PUT", simple("second"), { "If-Match": tag(current) }));
    expect(res.status).toBe(412);
    expect(await res.json()).toEqual({
      error: "precondition_failed",
      message: expect.any(String),
      current_version: current,
      request_id: res.headers.get("X-Request-Id"),
    });
    expect(await currentVersion()).toBe(current);
    expect(((await (await admin("/config")).json()) as { routes: { id: string }[] }).routes[0]!.id).toBe("first");
  });

  it("lets exactly one of two changes based on the same version through", async () => {
    const current = await currentVersion();
    const results = await Promise.all(["x", "y"].map((id) => admin("/config", json("PUT", simple(id), { "If-Match": `"${current}"` }))));
    expect(results.map((res) => res.status).sort()).toEqual([200, 412]);
    expect(await currentVersion()).toBe(current + 1);
  });
});

describe("body size", () => {
  const big = `# ${"x".repeat(1024 * 1024)}\nroutes: []\n`;

  it("refuses more than 1 MiB with 413 when Content-Length says so", async () => {
    const res = await admin("/config", yaml("PUT", big));
    expect(res.status).toBe(413);
    expect(((await res.json()) as { error: string }).error).toBe("payload_too_large");
  });

  it("refuses more than 1 MiB with 413 when the body streams without a length", async () => {
    const before = await currentVersion();
    const stream = new ReadableStream<Uint8Array>({
      start(controller) {
        const chunk = new TextEncoder().encode(`# ${"y".repeat(64 * 1024)}\n`);
        for (let i = 0; i < 20; i++) controller.enqueue(chunk);
        controller.close();
      },
    });
    const res = await admin("/config", { method: "PUT", headers: { "Content-Type": "application/yaml" }, body: stream });
    expect(res.status).toBe(413);
    expect(await currentVersion()).toBe(before);
  });
});

describe("versions and rollback", () => {
  it("lists versions newest first with who, when, what, and which is current", async () => {
    const a = await putConfig(simple("va"));
    const b = await putConfig(simple("vb"));
    const res = await admin("/config/versions");
    const body = (await res.json()) as {
      current_version: number;
      versions: { version: number; current: boolean; actor: string; action: string; created_at: string }[];
    };
    expect(body.current_version).toBe(b.version);
    const numbers = body.versions.map((entry) => entry.version);
    expect(numbers).toEqual([...numbers].sort((x, y) => y - x));
    expect(body.versions[0]).toMatchObject({ version: b.version, current: true, actor: "token", action: "config_put" });
    expect(body.versions.find((entry) => entry.version === a.version)).toMatchObject({ current: false });
    expect(Date.parse(body.versions[0]!.created_at)).not.toBeNaN();
  });

  it("rolls back by making a new version with the old document, audited", async () => {
    const a = await putConfig(simple("ra"));
    const b = await putConfig(simple("rb"));
    const res = await admin("/config/rollback", json("POST", { version: a.version }, { "If-Match": `"${b.version}"` }));
    const body = (await res.json()) as { version: number; rolled_back_to: number };
    expect(res.status, JSON.stringify(body)).toBe(200);
    expect(body).toMatchObject({ version: b.version + 1, rolled_back_to: a.version });
    const current = await admin("/config");
    expect(current.headers.get("ETag")).toBe(`"${b.version + 1}"`);
    expect(await current.json()).toEqual(simple("ra"));
    // History stays: version b is still there, unchanged.
    const versions = (await (await admin("/config/versions")).json()) as { versions: { version: number }[] };
    expect(versions.versions.map((entry) => entry.version)).toEqual(expect.arrayContaining([a.version, b.version, b.version + 1]));
    const row = (await auditRows("event = 'config_change'")).at(-1)!;
    expect(row).toMatchObject({ action: "rollback", target: "config", old_version: b.version, new_version: b.version + 1 });
    expect(JSON.parse(row.details)).toEqual({ rolled_back_to: a.version });
  });

  it("refuses an unknown version with 404, a stale If-Match with 412, and a bad body with 400", async () => {
    const current = (await putConfig(simple("rc"))).version;
    expect((await admin("/config/rollback", json("POST", { version: 999_999 }))).status).toBe(404);
    expect((await admin("/config/rollback", json("POST", { version: current }, { "If-Match": `"${current - 1}"` }))).status).toBe(412);
    for (const body of [{}, { version: "1" }, { version: 0 }, { version: 1.5 }, { version: 1, extra: true }, []]) {
      await expectInvalid(await admin("/config/rollback", json("POST", body)), "invalid_request");
    }
    await expectInvalid(
      await admin("/config/rollback", { method: "POST", headers: { "Content-Type": "application/json" }, body: "{" }),
      "invalid_request",
    );
    expect(await currentVersion()).toBe(current);
  });

  it("re-validates the old document and refuses it when it is no longer valid", async () => {
    // A version stored by an older release whose schema accepted a field this one does not.
    await env.CONFIG.put(
      KEYS.version(900),
      JSON.stringify({
        version: 900,
        document: { routes: [], legacy: true },
        created_at: new Date().toISOString(),
        actor: "token",
        action: "config_put",
      }),
    );
    const before = await currentVersion();
    const issues = await expectInvalid(await admin("/config/rollback", json("POST", { version: 900 })));
    expect(issues[0]!.message).toMatch(/legacy/);
    expect(await currentVersion()).toBe(before);
  });
});

describe("the audit row of a change", () => {
  it("is written before the change, with who, what, where from and both versions", async () => {
    const before = await currentVersion();
    const res = await admin("/config", json("PUT", simple("audited"), { "CF-Connecting-IP": "198.51.100.4", "User-Agent": "ops-cli/1.0" }));
    expect(res.status).toBe(200);
    const row = (await auditRows("event = 'config_change'")).at(-1)!;
    expect(row).toMatchObject({
      event: "config_change",
      actor: "token",
      action: "config_put",
      target: "config",
      ip: "198.51.100.4",
      user_agent: "ops-cli/1.0",
      old_version: before,
      new_version: before + 1,
    });
    expect(row.request_id).toMatch(/^[0-9a-f-]{36}$/);
    expect(Date.parse(row.ts)).not.toBeNaN();
  });
});
