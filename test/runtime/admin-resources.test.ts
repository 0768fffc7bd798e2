/**
 * One route or upstream at a time: create (201) or replace (200), read, list, delete; the
 * whole resulting config is validated, so dangling references are refused; If-Match and
 * the audit row as for a whole config.
 */
import { beforeEach, describe, expect, it } from "vitest";
import { invalidateCompiledConfig } from "../../worker/pipeline/config-cache";
import { admin, auditRows, currentVersion, json, putConfig, route, upstream, yaml } from "./admin-harness";

interface Issue {
  path: string;
  message: string;
}

beforeEach(async () => {
  invalidateCompiledConfig();
  await putConfig({ upstreams: [upstream()], routes: [route("base")] });
});

describe("upstreams", () => {
  it("creates with 201 and Location, replaces with 200, reads and lists", async () => {
    const before = await currentVersion();
    const created = await admin("/upstreams/extra", json("PUT", { endpoints: ["extra.example.com:8080"] }));
    expect(created.status, await created.clone().text()).toBe(201);
    expect(created.headers.get("Location")).toBe("/admin/upstreams/extra");
    expect(await created.json()).toEqual({ version: before + 1, warnings: [] });
    expect(created.headers.get("ETag")).toBe(`"${before + 1}"`);

    const replaced = await admin("/upstreams/extra", yaml("PUT", "name: extra\nendpoints: ['https://extra.example.com']\ntimeout: 5s\n"));
    expect(replaced.status).toBe(200);

    const read = await admin("/upstreams/extra");
    expect(read.status).toBe(200);
    expect(read.headers.get("ETag")).toBe(`"${before + 2}"`);
    expect(await read.json()).toEqual({ name: "extra", endpoints: ["https://extra.example.com"], timeout: "5s" });

    const list = (await (await admin("/upstreams")).json()) as { version: number; upstreams: { name: string }[] };
    expect(list.version).toBe(before + 2);
    expect(list.upstreams.map((entry) => entry.name)).toEqual(["backend", "extra"]);
  });

  it("refuses to delete an upstream a route still uses, with 409 and the issue", async () => {
    const before = await currentVersion();
    const res = await admin("/upstreams/backend", { method: "DELETE" });
    expect(res.status).toBe(409);
    const body = (await res.json()) as { error: string; issues: Issue[] };
    expect(body.error).toBe("conflict");
    expect(body.issues).toEqual([{ path: "routes[0].upstream", message: expect.stringContaining('"backend"') }]);
    expect(await currentVersion()).toBe(before);
    expect((await admin("/upstreams/backend")).status).toBe(200);
  });

  it("deletes an unused upstream, then answers 404 for it", async () => {
    await admin("/upstreams/spare", json("PUT", upstream("spare")));
    const res = await admin("/upstreams/spare", { method: "DELETE" });
    expect(res.status).toBe(200);
    expect((await admin("/upstreams/spare")).status).toBe(404);
    expect((await admin("/upstreams/spare", { method: "DELETE" })).status).toBe(404);
    const row = (await auditRows("event = 'config_change'")).at(-1)!;
    expect(row).toMatchObject({ action: "upstream_delete", target: "upstreams/spare" });
  });
});

describe("routes", () => {
  it("creates, replaces, reads, lists and deletes a route, each a new audited version", async () => {
    const before = await currentVersion();
    expect((await admin("/routes/users", json("PUT", { path: "/users/:id", upstream: "backend", methods: ["GET"] }))).status).toBe(201);
    expect((await admin("/routes/users", json("PUT", { id: "users", path: "/users/:id", upstream: "backend" }))).status).toBe(200);
    expect(await (await admin("/routes/users")).json()).toEqual({ id: "users", path: "/users/:id", upstream: "backend" });
    const list = (await (await admin("/routes")).json()) as { routes: { id: string }[] };
    expect(list.routes.map((entry) => entry.id)).toEqual(["base", "users"]);
    expect((await admin("/routes/users", { method: "DELETE" })).status).toBe(200);
    expect((await admin("/routes/users")).status).toBe(404);
    expect(await currentVersion()).toBe(before + 3);
    const rows = (await auditRows("event = 'config_change' AND new_version > ?", before)).map((row) => [
      row.action,
      row.target,
      row.old_version,
      row.new_version,
    ]);
    expect(rows).toEqual([
      ["route_put", "routes/users", before, before + 1],
      ["route_put", "routes/users", before + 1, before + 2],
      ["route_delete", "routes/users", before + 2, before + 3],
    ]);
  });

  it("refuses a route naming a missing upstream, with the issue's path, and changes nothing", async () => {
    const before = await currentVersion();
    const res = await admin("/routes/dangling", json("PUT", route("dangling", "missing")));
    expect(res.status).toBe(400);
    const body = (await res.json()) as { error: string; issues: Issue[] };
    expect(body.error).toBe("invalid_config");
    expect(body.issues).toEqual([{ path: "routes[1].upstream", message: expect.stringContaining('"missing"') }]);
    expect(await currentVersion()).toBe(before);
  });

  it.each([
    ["a body whose id differs from the path", json("PUT", route("other")), "name_mismatch"],
    ["a list instead of one route", json("PUT", [route("r")]), "invalid_config"],
    ["a route with a bad path", json("PUT", { path: "no-slash", upstream: "backend" }), "invalid_config"],
    ["a route with an unknown key", json("PUT", { path: "/r/*", upstream: "backend", weight: 3 }), "invalid_config"],
    ["YAML that does not parse", yaml("PUT", "path: [unclosed"), "invalid_config"],
  ])("refuses %s with 400", async (_, init, code) => {
    const before = await currentVersion();
    const res = await admin("/routes/r", init);
    expect(res.status).toBe(400);
    expect(((await res.json()) as { error: string }).error).toBe(code);
    expect(await currentVersion()).toBe(before);
  });

  it("refuses an id that is not an identifier", async () => {
    const res = await admin("/routes/has%20space", json("PUT", { path: "/s/*", upstream: "backend" }));
    expect(res.status).toBe(400);
    expect(((await res.json()) as { issues: Issue[] }).issues.map((issue) => issue.path)).toContain("routes[1].id");
  });

  it("honours If-Match on PUT and DELETE", async () => {
    const current = await currentVersion();
    expect((await admin("/routes/r", json("PUT", route("r"), { "If-Match": `"${current - 1}"` }))).status).toBe(412);
    expect((await admin("/routes/base", { method: "DELETE", headers: { "If-Match": `"${current - 1}"` } })).status).toBe(412);
    expect(await currentVersion()).toBe(current);
    expect((await admin("/routes/r", json("PUT", route("r"), { "If-Match": `"${current}"` }))).status).toBe(201);
    expect((await admin("/routes/r", { method: "DELETE", headers: { "If-Match": `"${current + 1}"` } })).status).toBe(200);
  });

  it("answers 404 for an unknown route and 405 with Allow for a wrong method", async () => {
    expect((await admin("/routes/ghost")).status).toBe(404);
    expect((await admin("/routes/ghost", { method: "DELETE" })).status).toBe(404);
    const res = await admin("/routes/ghost", { method: "POST" });
    expect(res.status).toBe(405);
    expect(res.headers.get("Allow")).toBe("GET, HEAD, PUT, DELETE");
  });

  it("builds the first config from nothing, one resource at a time", async () => {
    await putConfig({});
    expect(await (await admin("/routes")).json()).toEqual({ version: await currentVersion(), routes: [] });
    expect((await admin("/routes/first", json("PUT", route("first")))).status).toBe(400);
    expect((await admin("/upstreams/backend", json("PUT", upstream()))).status).toBe(201);
    expect((await admin("/routes/first", json("PUT", route("first")))).status).toBe(201);
    expect(await (await admin("/config")).json()).toEqual({ upstreams: [upstream()], routes: [route("first")] });
  });
});
