/**
 * The normal form's tag and the empty config are pinned to the schema, and the schema's output
 * survives the JSON it is stored as (normal-form.ts).
 */
import { describe, expect, it } from "vitest";
import { parse as parseYaml } from "yaml";
import { z } from "zod";
import jwtAuthYaml from "../../test/fixtures/jwt-auth.yaml?raw";
import loomPolicyYaml from "../../test/fixtures/loom-security-policy.yaml?raw";
import { sha256Hex } from "../audit/chain";
import { EMPTY_CONFIG, NORMAL_FORM } from "./normal-form";
import { configObject, configSchema } from "./schema";

/** The JSON Schema of the schema's output, without the descriptions (they do not change what is stored). */
function outputShape(node: unknown): unknown {
  if (Array.isArray(node)) return node.map(outputShape);
  if (node === null || typeof node !== "object") return node;
  return Object.fromEntries(Object.entries(node).flatMap(([key, value]) => (key === "description" ? [] : [[key, outputShape(value)]])));
}

describe("the normal form", () => {
  it("is tagged with the fingerprint of the schema's output shape", async () => {
    // configObject, not configSchema: the final transform (plugin resolution) keeps the shape but
    // would make the whole output opaque ("any") to z.toJSONSchema, and every change invisible.
    const shape = JSON.stringify(outputShape(z.toJSONSchema(configObject, { io: "output", unrepresentable: "any" })));
    const fingerprint = (await sha256Hex(shape)).slice(0, 16);
    expect(
      NORMAL_FORM.split("-")[1],
      "the config schema's output changed: set NORMAL_FORM in worker/config/normal-form.ts to `<revision>-<this fingerprint>`",
    ).toBe(fingerprint);
  });

  it("of the empty document is EMPTY_CONFIG", () => {
    expect(EMPTY_CONFIG).toEqual(configSchema.parse({}));
  });

  it.each([
    ["loom-security-policy.yaml", loomPolicyYaml],
    ["jwt-auth.yaml", jwtAuthYaml],
  ])("of %s is read back from its JSON unchanged", (_name, text) => {
    const config = configSchema.parse(parseYaml(text, { merge: true }));
    expect(JSON.parse(JSON.stringify(config))).toEqual(config);
  });
});
