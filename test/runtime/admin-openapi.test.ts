/**
 * The self-description of the admin API (OpenAPI 3.1 from the same zod schemas, and a page
 * that renders it), health, and the response headers every admin answer carries.
 */
import { Validator } from "@cfworker/json-schema";
import { describe, expect, it } from "vitest";
import loomPolicyYaml from "../fixtures/loom-security-policy.yaml?raw";
import { parseDocument } from "../../worker/config/parse";
import { admin, envWithBrokenDb, envWithBrokenKv } from "./admin-harness";

interface OpenApi {
  openapi: string;
  servers: { url: string }[];
  paths: Record<
    string,
    Record<string, { operationId: string; responses: Record<string, unknown>; requestBody?: unknown; parameters?: { name: string }[] }>
  >;
  components: { schemas: Record<string, Record<string, unknown>>; securitySchemes: Record<string, unknown> };
}

async function openApi(): Promise<OpenApi> {
  const res = await admin("/openapi.json");
  expect(res.status).toBe(200);
  expect(res.headers.get("Content-Type")).toMatch(/^application\/json/);
  return JSON.parse(await res.text()) as OpenApi;
}

describe("GET /openapi.json", () => {
  it("describes every admin endpoint in OpenAPI 3.1", async () => {
    const api = await openApi();
    expect(api.openapi).toBe("3.1.0");
    expect(api.servers).toEqual([{ url: "/admin" }]);
    const operations = Object.entries(api.paths).flatMap(([path, methods]) =>
      Object.keys(methods).map((method) => `${method.toUpperCase()} ${path}`),
    );
    expect(operations.sort()).toEqual(
      [
        "GET /graphql/persisted-queries",
        "PUT /graphql/persisted-queries",
        "GET /config",
        "PUT /config",
        "POST /config/validate",
        "GET /config/versions",
        "POST /config/rollback",
        "GET /routes",
        "GET /routes/{id}",
        "PUT /routes/{id}",
        "DELETE /routes/{id}",
        "GET /upstreams",
        "GET /upstreams/{name}",
        "PUT /upstreams/{name}",
        "DELETE /upstreams/{name}",
        "GET /documents",
        "GET /documents/{path}",
        "PUT /documents/{path}",
        "DELETE /documents/{path}",
        "POST /consumers",
        "GET /consumers",
        "GET /consumers/{id}",
        "DELETE /consumers/{id}",
        "POST /consumers/{id}/keys",
        "GET /consumers/{id}/keys",
        "DELETE /consumers/{id}/keys/{keyId}",
        "POST /consumers/{id}/keys/{keyId}/rotate",
        "GET /tenants/{tenant}/credentials",
        "GET /tenants/{tenant}/credentials/{provider}",
        "PUT /tenants/{tenant}/credentials/{provider}",
        "DELETE /tenants/{tenant}/credentials/{provider}",
        "GET /vault",
        "POST /vault/rotate",
        "GET /audit",
        "GET /audit/verify",
        "POST /audit/export",
        "POST /audit/prune",
        "GET /ai/usage",
        "GET /ai/budgets/{name}",
        "DELETE /ai/budgets/{name}",
        "POST /cache/purge",
        "GET /rate-limits/{key}",
        "DELETE /rate-limits/{key}",
        "GET /circuits",
        "POST /circuits/{upstream}/reset",
        "GET /health",
        "GET /openapi.json",
        "GET /docs",
      ].sort(),
    );
    expect(Object.keys(api.components.securitySchemes).sort()).toEqual(["adminBasic", "adminToken"]);
    expect(api.paths["/config"]!.put!.parameters?.map((p) => p.name)).toEqual(["If-Match"]);
    expect(api.paths["/routes/{id}"]!.get!.parameters?.map((p) => p.name)).toEqual(["id"]);
  });

  it("resolves every $ref and documents 401 everywhere", async () => {
    const api = await openApi();
    const refs = [...JSON.stringify(api.paths).matchAll(/"\$ref":"#\/components\/schemas\/([^"]+)"/g)].map(([, name]) => name!);
    expect(refs.length).toBeGreaterThan(20);
    for (const name of refs) expect(api.components.schemas, name).toHaveProperty(name);
    for (const methods of Object.values(api.paths))
      for (const operation of Object.values(methods)) expect(operation.responses).toHaveProperty("401");
    const ids = Object.values(api.paths).flatMap((methods) => Object.values(methods).map((operation) => operation.operationId));
    expect(new Set(ids).size).toBe(ids.length);
  });

  it("generates the Config schema from the zod schema, strict, accepting the example config as written", async () => {
    const api = await openApi();
    const config = api.components.schemas.Config!;
    expect(config.additionalProperties).toBe(false);
    expect(Object.keys(config.properties as object)).toEqual(
      expect.arrayContaining(["listeners", "middleware", "routes", "upstreams", "security_txt"]),
    );
    const parsed = parseDocument(loomPolicyYaml, "application/yaml");
    if (!parsed.ok) throw new Error("fixture does not parse");
    const validator = new Validator(config as never, "2020-12");
    expect(validator.validate(parsed.document).errors).toEqual([]);
    expect(validator.validate({ routes: [{ id: "x", path: "/x", upstream: "y", unknown: 1 }] }).valid).toBe(false);
    expect(api.components.schemas.Route!.required).toEqual(expect.arrayContaining(["id", "path"]));
    // A route has `upstream` or, going through the AI gateway, `ai` (a cross-check of the schema).
    expect(Object.keys(api.components.schemas.Route!.properties as object)).toEqual(expect.arrayContaining(["upstream", "ai"]));
  });
});

describe("the consumer schemas", () => {
  it("document a consumer's allowed_models, optional on creation and null when unset", async () => {
    const { schemas } = (await openApi()).components;
    const create = new Validator(schemas.ConsumerCreate as never, "2020-12");
    expect(create.validate({ id: "a", tenant: "t", allowed_models: ["gpt-4o-mini"] }).valid).toBe(true);
    expect(create.validate({ id: "a", tenant: "t", allowed_models: [] }).valid).toBe(false);
    expect(create.validate({ id: "a", tenant: "t", allowed_models: ["m".repeat(257)] }).valid).toBe(false);
    expect(create.validate({ id: "a", tenant: "t", allowed_models: Array.from({ length: 1001 }, (_, i) => `m${i}`) }).valid).toBe(false);
    const created = schemas.ConsumerCreate!.properties as Record<string, { description?: string }>;
    expect(created.allowed_models!.description).toContain("ai_model_not_allowed");
    expect(schemas.ConsumerCreate!.required).not.toContain("allowed_models");
    const consumer = new Validator(schemas.Consumer as never, "2020-12");
    const stored = {
      id: "a",
      tenant: "t",
      rate_limit: null,
      allowed_routes: null,
      created_at: "2026-01-01T00:00:00Z",
      disabled: false,
      disabled_at: null,
    };
    expect(consumer.validate({ ...stored, allowed_models: null }).valid).toBe(true);
    expect(consumer.validate({ ...stored, allowed_models: ["gpt-4o"] }).valid).toBe(true);
    expect(schemas.Consumer!.required).toContain("allowed_models");
  });
});

describe("GET /docs", () => {
  it("renders the document as a self-contained page", async () => {
    const res = await admin("/docs");
    expect(res.status).toBe(200);
    expect(res.headers.get("Content-Type")).toMatch(/^text\/html/);
    const html = await res.text();
    expect(html).toContain("/admin/config/rollback");
    expect(html).toContain('href="/admin/openapi.json"');
    expect(html).toContain('id="schema-Config"');
    // Nothing loaded from elsewhere (no CDN is reachable offline), no script.
    expect(html).not.toMatch(/<script|<link|<img|\ssrc=/i);
  });
});

describe("GET /health", () => {
  it("answers ok when KV and D1 answer", async () => {
    const res = await admin("/health");
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({
      status: "ok",
      config_version: expect.any(Number),
      serving_version: expect.any(Number),
      kv: "ok",
      d1: "ok",
    });
  });

  it("answers 503 naming the store that is down", async () => {
    const noDb = await admin("/health", { env: envWithBrokenDb() });
    expect(noDb.status).toBe(503);
    expect(await noDb.json()).toMatchObject({ status: "degraded", kv: "ok", d1: "error" });
    const noKv = await admin("/health", { env: envWithBrokenKv() });
    expect(noKv.status).toBe(503);
    expect(await noKv.json()).toMatchObject({ status: "degraded", kv: "error", d1: "ok", config_version: null });
  });
});

describe("every admin answer", () => {
  it("answers HEAD like GET, without a body", async () => {
    const res = await admin("/config", { method: "HEAD" });
    expect(res.status).toBe(200);
    expect(res.headers.get("ETag")).toMatch(/^"\d+"$/);
    expect(await res.text()).toBe("");
  });

  it.each(["/config", "/health", "/no-such-thing"])("%s is Cache-Control: no-store", async (path) => {
    expect((await admin(path)).headers.get("Cache-Control")).toBe("no-store");
  });
});
