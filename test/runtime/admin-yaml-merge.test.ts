/**
 * YAML merge keys (`<<: *anchor`, `<<: [*a, *b]`) in configs saved through PUT /admin/config,
 * as Loom's YAML library (go-yaml) accepts them; the alias cap covers merged aliases too.
 */
import { beforeEach, describe, expect, it } from "vitest";
import { invalidateCompiledConfig } from "../../worker/pipeline/config-cache";
import { admin, currentVersion, yaml } from "./admin-harness";

beforeEach(() => invalidateCompiledConfig());

interface Saved {
  routes: Record<string, unknown>[];
  upstreams: Record<string, unknown>[];
}

async function save(text: string): Promise<Saved> {
  const res = await admin("/config", yaml("PUT", text));
  expect(res.status, await res.clone().text()).toBe(200);
  return (await (await admin("/config")).json()) as Saved;
}

async function expectRefused(text: string, message: RegExp): Promise<void> {
  const before = await currentVersion();
  const res = await admin("/config", yaml("PUT", text));
  const body = (await res.json()) as { error: string; issues: { path: string; message: string }[] };
  expect(res.status, JSON.stringify(body)).toBe(400);
  expect(body.error).toBe("invalid_config");
  expect(body.issues.map((issue) => issue.message).join("\n")).toMatch(message);
  expect(await currentVersion()).toBe(before);
}

const upstreams = `
upstreams:
  - name: backend
    endpoints: [https://origin.example.com]
  - name: other
    endpoints: [https://other.example.com]
`;

describe("merge keys", () => {
  it("merge one anchor into a mapping; keys written in the mapping win", async () => {
    const saved = await save(`${upstreams}
routes:
  - &defaults
    id: orders
    path: /orders/*
    upstream: backend
    methods: [GET, POST]
    strip_prefix: true
  - <<: *defaults
    id: billing
    path: /billing/*
    upstream: other
`);
    expect(saved.routes).toEqual([
      expect.objectContaining({ id: "orders", path: "/orders/*", upstream: "backend", methods: ["GET", "POST"], strip_prefix: true }),
      expect.objectContaining({ id: "billing", path: "/billing/*", upstream: "other", methods: ["GET", "POST"], strip_prefix: true }),
    ]);
    // Stored expanded: no merge key is left for a reader of the stored document.
    expect(JSON.stringify(saved)).not.toContain("<<");
  });

  it("merge a list of anchors; an earlier one wins over a later one", async () => {
    const saved = await save(`${upstreams}
routes:
  - &base {id: base, path: /base/*, upstream: backend, methods: [GET]}
  - &writes {id: writes, path: /writes/*, upstream: other, methods: [POST, PUT], strip_prefix: true}
  - <<: [*base, *writes]
    id: merged
    path: /merged/*
`);
    expect(saved.routes[2]).toEqual(
      expect.objectContaining({ id: "merged", path: "/merged/*", upstream: "backend", methods: ["GET"], strip_prefix: true }),
    );
  });
});

describe("what stays refused", () => {
  it("a merge of something that is not a mapping", async () => {
    await expectRefused(
      `${upstreams}\nroutes:\n  - <<: *name\n    id: a\n    path: /a\n    upstream: backend\n`.replace(
        "- name: backend",
        "- name: &name backend",
      ),
      /YAML syntax error: Merge sources must be maps/,
    );
  });

  it("a quoted << is a key like any other, unknown to the schema", async () => {
    await expectRefused(`${upstreams}\nroutes:\n  - "<<": {upstream: backend}\n    id: a\n    path: /a\n    upstream: backend\n`, /<</);
  });

  it("a merge bomb: merged aliases count against the alias cap", async () => {
    const width = 10;
    const lines = [`l0: &l0 {${Array.from({ length: width }, (_, i) => `a${i}: ${i}`).join(", ")}}`];
    for (let level = 1; level <= 6; level++) {
      lines.push(`l${level}: &l${level} {${Array.from({ length: width }, (_, i) => `k${i}: {<<: *l${level - 1}}`).join(", ")}}`);
    }
    await expectRefused(`${upstreams}\n${lines.join("\n")}\n`, /YAML syntax error: Excessive alias count/);
  });

  it("JSON has no merge keys: << is an unknown key there", async () => {
    const before = await currentVersion();
    const res = await admin("/config", {
      method: "PUT",
      headers: { "Content-Type": "application/json" },
      body: JSON.stringify({
        upstreams: [{ name: "backend", endpoints: ["https://origin.example.com"] }],
        routes: [{ "<<": { upstream: "backend" }, id: "a", path: "/a" }],
      }),
    });
    expect(res.status).toBe(400);
    expect(await currentVersion()).toBe(before);
  });
});
