/**
 * The consumer store against the real D1 tables (every migration applied): what a consumer's
 * `allowed_models` (migration 0010) is once written, read back, and found by a key's digest.
 */
import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { mintKey } from "./keys";
import { findKeyOwner, insertConsumer, insertKey, listConsumers, readConsumer } from "./store";

let serial = 0;

async function consumerWithKey(extra: { allowed_models?: string[] }) {
  const id = `store-${(serial += 1)}`;
  const now = new Date().toISOString();
  const created = await insertConsumer(env.DB, { id, tenant: "t", ...extra }, now);
  const minted = await mintKey();
  await insertKey(env.DB, id, crypto.randomUUID(), minted, now);
  return { id, created, found: await findKeyOwner(env.DB, minted.sha256, now) };
}

describe("allowed_models in the store", () => {
  it("is written, read back as a list and found with the key as a set", async () => {
    const models = ["gpt-4o-mini", "@cf/meta/llama-3-8b-instruct", "modèle"];
    const { id, created, found } = await consumerWithKey({ allowed_models: models });
    expect(created?.allowed_models).toEqual(models);
    expect((await readConsumer(env.DB, id))?.allowed_models).toEqual(models);
    expect((await listConsumers(env.DB)).find((consumer) => consumer.id === id)?.allowed_models).toEqual(models);
    expect(found?.owner).toEqual({ consumer: id, tenant: "t", allowedModels: new Set(models) });
  });

  it("is null, and absent from the key's owner, when the consumer has none", async () => {
    const { id, created, found } = await consumerWithKey({});
    expect(created?.allowed_models).toBeNull();
    expect((await readConsumer(env.DB, id))?.allowed_models).toBeNull();
    expect(found?.owner).toEqual({ consumer: id, tenant: "t" });
    expect(found?.owner).not.toHaveProperty("allowedModels");
  });

  it("leaves the append-only triggers in force: an id is still never replaced", async () => {
    const { id } = await consumerWithKey({ allowed_models: ["gpt-4o"] });
    const replace = env.DB.prepare("INSERT OR REPLACE INTO consumers (id, tenant, allowed_models, created_at) VALUES (?, 't', NULL, ?)")
      .bind(id, new Date().toISOString())
      .run();
    await expect(replace).rejects.toThrow(/never replaced/);
    expect((await readConsumer(env.DB, id))?.allowed_models).toEqual(["gpt-4o"]);
  });
});
