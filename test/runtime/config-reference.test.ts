/**
 * README's "Loom config reference" and the admin OpenAPI's `x-loom-edge` marks are one table
 * (worker/config/key-status.ts over the config schema): every key has a status, every status
 * names a key, and README's block is what the served OpenAPI document renders to.
 */
import { describe, expect, it } from "vitest";
import readme from "../../README.md?raw";
import { configKeys, configReferenceTable, type JsonSchemaNode } from "../../worker/admin/config-reference";
import { KEY_STATUS } from "../../worker/config/key-status";
import { validateConfig } from "../../worker/config/parse";
import { admin } from "./admin-harness";

async function components(): Promise<Record<string, JsonSchemaNode>> {
  const res = await admin("/openapi.json");
  expect(res.status).toBe(200);
  return ((await res.json()) as { components: { schemas: Record<string, JsonSchemaNode> } }).components.schemas;
}

describe("the config reference", () => {
  it("marks every key of the Config schema with what the edge does", async () => {
    const { Config } = await components();
    const keys = configKeys(Config!);
    expect(keys.length).toBeGreaterThan(250);
    const unmarked = keys.filter(({ node }) => node["x-loom-edge"] === undefined).map(({ path }) => path);
    expect(unmarked, "keys without an entry (or an ancestor's) in worker/config/key-status.ts").toEqual([]);
    for (const { node } of keys) expect(node["x-loom-edge"]).toMatch(/^(enforced|warned: .+)$/);
  });

  it("has no status for a key the schema does not have", async () => {
    const paths = new Set(configKeys((await components()).Config!).map(({ path }) => path));
    expect(Object.keys(KEY_STATUS).filter((path) => !paths.has(path))).toEqual([]);
  });

  it("marks a route and an upstream alike in their own schemas and in the Config's", async () => {
    const schemas = await components();
    const inConfig = new Map(configKeys(schemas.Config!).map(({ path, node }) => [path, node["x-loom-edge"]]));
    for (const [name, base] of [
      ["Route", "routes[]"],
      ["Upstream", "upstreams[]"],
    ] as const) {
      const keys = configKeys(schemas[name]!, base);
      expect(keys.length).toBeGreaterThan(10);
      for (const { path, node } of keys) expect([path, node["x-loom-edge"]]).toEqual([path, inConfig.get(path)]);
    }
  });

  it("is README's table, row for row (npm run docs:config rewrites it)", async () => {
    const block = /<!-- config-reference:start -->\n([\s\S]*?)\n<!-- config-reference:end -->/.exec(readme);
    expect(block, "README.md has the <!-- config-reference:start --> … <!-- config-reference:end --> block").not.toBeNull();
    expect(block![1]).toBe(configReferenceTable((await components()).Config!));
  });

  it("shares a row between a route's block and the middleware block it replaces, and lists each alternative", async () => {
    const table = configReferenceTable((await components()).Config!);
    expect(table).toContain("| `middleware.auth.type`<br>`routes[].auth.type` | enforced | one of `api_key`, `jwt`");
    expect(table).toMatch(
      /\| `middleware\.auth\.header`<br>`routes\[\]\.auth\.header`<br>`routes\[\]\.auth\[\]\.header` \| enforced \| \(`api_key`\) .* \(`jwt`\) /,
    );
    expect(table).toMatch(/\| `ai_gateway\.security\.pii_action` \| enforced \| /);
    expect(table).toMatch(/\| `ai_gateway\.providers\[\]\.health_path` \| enforced \| Checked with GET /);
    expect(table).toMatch(/\| `listeners\[\]\.tls\.cert_file` \| warned: ignored; Cloudflare terminates TLS/);
  });

  it("warns, wherever a saved document sets it, about each key the edge ignores", () => {
    const result = validateConfig(
      {
        listeners: [
          {
            name: "tls",
            address: ":8443",
            protocol: "https",
            tls: { cert_file: "/c.pem", key_file: "/k.pem", cipher_suites: ["x"], client_ca_file: "/ca.pem" },
          },
        ],
        admin: { address: ":9091" },
        audit: { enabled: true, output: "stdout" },
        rate_limit: { enabled: true, rate: 10, burst: 10, cleanup_interval: "5m" },
        tracing: { enabled: false, batch_timeout: "5s" },
        plugins: [{ name: "custom", path: "/p.wasm" }],
        cache: { enabled: true, max_size: "100MB", cleanup_interval: "1m" },
        ai_gateway: { cache: { enabled: true, max_size: "100MB" } },
      },
      {},
    );
    expect(result.ok).toBe(true);
    const ignoredKeys = Object.entries(KEY_STATUS).filter(([, status]) => status.status === "warned" && status.ignored);
    const warnings = result.ok ? result.warnings.join("\n") : "";
    for (const [path] of ignoredKeys) {
      const written = path.replaceAll("[]", "[0]").replace(/\./g, "\\.").replace(/\[0\]/g, "\\[0\\]");
      expect(warnings).toMatch(new RegExp(`^${written}: ignored at the edge: `, "m"));
    }
  });
});
