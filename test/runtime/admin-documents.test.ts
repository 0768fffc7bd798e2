/**
 * Documents referenced by path from the config (JSON Schemas of request-validator): upload,
 * read, list, delete (refused while referenced), audited, and picked up by the compiled
 * config through the documents revision.
 */
import { env } from "cloudflare:workers";
import { beforeEach, describe, expect, it } from "vitest";
import { getCompiledConfig, invalidateCompiledConfig } from "../../worker/pipeline/config-cache";
import { admin, auditRows, json, putConfig, route, upstream } from "./admin-harness";

const PATH = "/etc/loom/schemas/api.json";
const SCHEMA = { type: "object", required: ["name"], properties: { name: { type: "string" } } };

const validatedRoute = { ...route("api"), plugins: [{ name: "request-validator", config: { schema: PATH } }] };

beforeEach(() => invalidateCompiledConfig());

describe("PUT, GET, list", () => {
  it("stores a document under the rest of the URL path, 201 then 200, ETag its SHA-256", async () => {
    const created = await admin(`/documents${PATH}`, json("PUT", SCHEMA));
    expect(created.status, await created.clone().text()).toBe(201);
    const info = (await created.json()) as { path: string; sha256: string; size: number };
    expect(info).toMatchObject({ path: PATH, size: JSON.stringify(SCHEMA).length, actor: "token" });
    expect(info.sha256).toMatch(/^[0-9a-f]{64}$/);
    expect(created.headers.get("ETag")).toBe(`"${info.sha256}"`);

    const read = await admin(`/documents${PATH}`);
    expect(read.status).toBe(200);
    expect(read.headers.get("ETag")).toBe(`"${info.sha256}"`);
    expect(await read.json()).toEqual(SCHEMA);

    expect((await admin(`/documents${PATH}`, json("PUT", { ...SCHEMA, title: "v2" }))).status).toBe(200);
    const list = (await (await admin("/documents")).json()) as { documents: { path: string }[] };
    expect(list.documents.map((document) => document.path)).toContain(PATH);

    const rows = await auditRows("target = ?", `documents:${PATH}`);
    expect(rows.map((row) => [row.event, row.action, row.actor])).toEqual([
      ["config_change", "document_put", "token"],
      ["config_change", "document_put", "token"],
    ]);
    expect(JSON.parse(rows[0]!.details)).toEqual({ sha256: info.sha256, size: info.size });
  });

  it.each([
    ["not JSON", "type: object", "invalid_document"],
    ["a JSON array", "[1, 2]", "invalid_document"],
    ["a JSON string", '"schema"', "invalid_document"],
    ["null", "null", "invalid_document"],
  ])("refuses a body that is %s with 400", async (_, body, code) => {
    const res = await admin("/documents/etc/loom/schemas/bad.json", {
      method: "PUT",
      headers: { "Content-Type": "application/json" },
      body,
    });
    expect(res.status).toBe(400);
    expect(((await res.json()) as { error: string }).error).toBe(code);
    expect((await admin("/documents/etc/loom/schemas/bad.json")).status).toBe(404);
  });

  it.each([
    ["an encoded dot-dot-slash", "/documents/etc/%2e%2e%2fsecret.json"],
    ["an encoded slash", "/documents/etc%2fsecret.json/%2fx"],
    ["an empty segment", "/documents/etc//x.json"],
    ["a space", "/documents/etc/a%20b.json"],
    ["a backslash", "/documents/etc/a%5Cb.json"],
    ["a segment that starts with a dot", "/documents/etc/.hidden"],
  ])("refuses a path with %s", async (_, path) => {
    const res = await admin(path, json("PUT", SCHEMA));
    expect(res.status).toBe(400);
    expect(((await res.json()) as { error: string }).error).toBe("invalid_document_path");
  });

  it("refuses more than 1 MiB with 413", async () => {
    const res = await admin("/documents/etc/big.json", json("PUT", { padding: "x".repeat(1024 * 1024) }));
    expect(res.status).toBe(413);
    expect((await admin("/documents/etc/big.json")).status).toBe(404);
  });

  it("answers 404 for a document never uploaded", async () => {
    expect((await admin("/documents/etc/none.json")).status).toBe(404);
    expect((await admin("/documents/etc/none.json", { method: "DELETE" })).status).toBe(404);
  });
});

describe("documents and the config", () => {
  it("warns about a referenced document until it is uploaded", async () => {
    await env.CONFIG.delete(`doc:${PATH}`);
    const before = await putConfig({ upstreams: [upstream()], routes: [validatedRoute] });
    expect(before.warnings.join("\n")).toContain(`document ${PATH} has not been uploaded`);
    await admin(`/documents${PATH}`, json("PUT", SCHEMA));
    const after = await putConfig({ upstreams: [upstream()], routes: [validatedRoute] });
    expect(after.warnings.join("\n")).not.toContain(PATH);
  });

  it("refuses to delete a document the config in force references, naming the routes", async () => {
    await admin(`/documents${PATH}`, json("PUT", SCHEMA));
    await putConfig({ upstreams: [upstream()], routes: [validatedRoute] });
    const refused = await admin(`/documents${PATH}`, { method: "DELETE" });
    expect(refused.status).toBe(409);
    expect(await refused.json()).toMatchObject({ error: "document_in_use", routes: ["api"] });
    expect((await admin(`/documents${PATH}`)).status).toBe(200);

    await putConfig({ upstreams: [upstream()], routes: [route("api")] });
    const deleted = await admin(`/documents${PATH}`, { method: "DELETE" });
    expect(deleted.status).toBe(200);
    expect(await deleted.json()).toEqual({ path: PATH, deleted: true });
    expect((await admin(`/documents${PATH}`)).status).toBe(404);
    expect((await auditRows("target = ?", `documents:${PATH}`)).at(-1)).toMatchObject({ action: "document_delete" });
  });

  it("reaches the compiled config: a document change makes the isolate recompile", async () => {
    await admin(`/documents${PATH}`, json("PUT", SCHEMA));
    const saved = await putConfig({ upstreams: [upstream()], routes: [validatedRoute] });
    const before = await getCompiledConfig(env);
    expect(before.version).toBe(saved.version);
    expect(await getCompiledConfig(env)).toBe(before);

    await admin(`/documents${PATH}`, json("PUT", { ...SCHEMA, required: [] }));
    const after = await getCompiledConfig(env);
    expect(after.version).toBe(saved.version);
    expect(after).not.toBe(before);
  });
});
