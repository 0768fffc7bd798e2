/**
 * The normal form in the version record (worker/config/normal-form.ts): the admin API stores
 * it, an isolate compiles from it when it is of this schema and made from the document beside
 * it, and otherwise validates the document again, failing closed when the document no longer
 * passes.
 */
import { env } from "cloudflare:workers";
import { beforeEach, describe, expect, it, vi } from "vitest";
import { sha256Hex } from "../../worker/audit/chain";
import { KEYS, type VersionRecord } from "../../worker/config/kv";
import { NORMAL_FORM } from "../../worker/config/normal-form";
import { configSchema } from "../../worker/config/schema";
import { getCompiledConfig, invalidateCompiledConfig } from "../../worker/pipeline/config-cache";
import { putConfig, route, upstream } from "./admin-harness";

const doc = (id: string) => ({ upstreams: [upstream()], routes: [route(id)] });

beforeEach(() => invalidateCompiledConfig());

async function storedRecord(version: number): Promise<VersionRecord> {
  return (await env.CONFIG.get<VersionRecord>(KEYS.version(version), "json"))!;
}

/** Publishes a version straight into KV, with the normal form given, as a KV edit would. */
async function publish(version: number, document: Record<string, unknown>, normal: VersionRecord["normal"]): Promise<void> {
  const meta = { created_at: new Date().toISOString(), actor: "token", action: "config_put" };
  await env.CONFIG.put(KEYS.version(version), JSON.stringify({ version, document, ...meta, normal }), { metadata: meta });
  await env.CONFIG.put(KEYS.pointer, JSON.stringify({ version }));
}

/** The normal form of `document` with the routes of `served`: tells which of the two an isolate compiled. */
async function normalServing(document: Record<string, unknown>, served: string, form = NORMAL_FORM) {
  return {
    form,
    document_sha256: await sha256Hex(JSON.stringify(document)),
    config: configSchema.parse(doc(served)),
  };
}

const routeIds = async () => (await getCompiledConfig(env)).config.routes.map((r) => r.id);

describe("PUT /admin/config", () => {
  it("stores the document's normal form beside it: the schema's output, tagged, with the document's hash", async () => {
    const document = {
      ...doc("normal"),
      middleware: { body_limit: { max_size: "1MB" }, auth: { type: "api_key", keys: ["${DEMO_API_KEY}"] } },
    };
    const { version } = await putConfig(document);
    const record = await storedRecord(version);
    expect(record.normal?.form).toBe(NORMAL_FORM);
    expect(record.normal?.document_sha256).toBe(await sha256Hex(JSON.stringify(record.document)));
    expect(record.normal?.config).toEqual(configSchema.parse(document));
    expect(record.normal?.config.middleware.body_limit?.max_size).toBe(1_048_576);
    // Secret references stay references: KV never holds a secret.
    const text = await env.CONFIG.get(KEYS.version(version));
    expect(text).toContain("${DEMO_API_KEY}");
    expect(text).not.toContain(String(env.DEMO_API_KEY));
  });
});

describe("an isolate loading a version", () => {
  it("compiles its normal form when it is of this schema and made from the document beside it", async () => {
    const { version } = await putConfig(doc("first"));
    const document = doc("document");
    await publish(version + 1, document, await normalServing(document, "normal"));
    expect(await routeIds()).toEqual(["normal"]);
  });

  it("validates the document again when the normal form is of another schema", async () => {
    const { version } = await putConfig(doc("first"));
    const document = doc("document");
    await publish(version + 1, document, await normalServing(document, "normal", "0-0000000000000000"));
    expect(await routeIds()).toEqual(["document"]);
  });

  it("validates the document again when it is not the one the normal form was made from", async () => {
    const { version } = await putConfig(doc("first"));
    const document = doc("document");
    await publish(version + 1, document, await normalServing(doc("edited-since"), "normal"));
    expect(await routeIds()).toEqual(["document"]);
  });

  it("fails closed when the normal form cannot be used and the document no longer passes the schema", async () => {
    const { version } = await putConfig(doc("first"));
    const document = { routes: [], legacy: true };
    await publish(version + 1, document, await normalServing(document, "normal", "0-0000000000000000"));
    vi.resetModules();
    const fresh = await import("../../worker/pipeline/config-cache");
    const errors = vi.spyOn(console, "error").mockImplementation(() => {});
    const compiled = await fresh.getCompiledConfig(env);
    expect(errors).toHaveBeenCalledWith(expect.stringContaining("config_refresh_failed"));
    errors.mockRestore();
    await expect(Promise.resolve().then(() => compiled.pipeline({} as never, async () => {}))).rejects.toMatchObject({ status: 503 });
  });
});
