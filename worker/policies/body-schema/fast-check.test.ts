import { Validator, type Schema } from "@cfworker/json-schema";
import { describe, expect, it } from "vitest";
import { compileFastCheck } from "./fast-check";

/** The verdict of the library as the request validator runs it: valid, invalid, or it throws. */
function library(schema: unknown, value: unknown): "valid" | "invalid" | "throws" {
  try {
    return new Validator(structuredClone(schema) as Schema, "2020-12", false).validate(value).valid ? "valid" : "invalid";
  } catch {
    return "throws";
  }
}

/** A small deterministic generator (LCG), so a failure can be replayed. */
function random(seed: number) {
  let state = seed >>> 0;
  const next = () => {
    state = (Math.imul(state, 1664525) + 1013904223) >>> 0;
    return state / 2 ** 32;
  };
  const pick = <T>(items: readonly T[]): T => items[Math.floor(next() * items.length)]!;
  return { next, pick };
}

const STRINGS = ["", "a", "c_abc123", "c_ABC", "c_abcdef", "EUR", "USD", "x".repeat(65), "😀😀", "\ud800", "é", "widget-blue", "0"];
const NUMBERS = [0, 1, -1, 2.5, 1000, 1001, 42, -0.5, 1e21, 3];
const KEYS = ["customer_id", "currency", "note", "items", "sku", "quantity", "extra", "\ud800x", "__proto__", "a", "b", "id", "tags"];

/** A random JSON value: mostly small, with the schemas' property names and boundary values. */
function value(rng: ReturnType<typeof random>, depth = 0): unknown {
  const kind = rng.pick(
    depth > 2 ? ["null", "boolean", "number", "string"] : ["null", "boolean", "number", "string", "array", "object", "object"],
  );
  switch (kind) {
    case "null":
      return null;
    case "boolean":
      return rng.next() < 0.5;
    case "number":
      return rng.pick(NUMBERS);
    case "string":
      return rng.pick(STRINGS);
    case "array":
      return Array.from({ length: Math.floor(rng.next() * 4) }, () => value(rng, depth + 1));
    default: {
      const object: Record<string, unknown> = {};
      for (let i = Math.floor(rng.next() * 5); i > 0; i--) object[rng.pick(KEYS)] = value(rng, depth + 1);
      return JSON.parse(JSON.stringify(object));
    }
  }
}

/** Mutations of a valid instance: near misses are where a shortcut would go wrong. */
function mutate(rng: ReturnType<typeof random>, base: unknown, depth = 0): unknown {
  if (rng.next() < 0.15 || depth > 3) return value(rng, depth);
  if (Array.isArray(base)) {
    const copy = base.map((item) => (rng.next() < 0.4 ? mutate(rng, item, depth + 1) : item));
    if (rng.next() < 0.2) copy.pop();
    if (rng.next() < 0.2) copy.push(value(rng, depth + 1));
    return copy;
  }
  if (base !== null && typeof base === "object") {
    const copy: Record<string, unknown> = { ...(base as Record<string, unknown>) };
    for (const key of Object.keys(copy)) {
      if (rng.next() < 0.15) delete copy[key];
      else if (rng.next() < 0.4) copy[key] = mutate(rng, copy[key], depth + 1);
    }
    if (rng.next() < 0.2) copy[rng.pick(KEYS)] = value(rng, depth + 1);
    return JSON.parse(JSON.stringify(copy));
  }
  return value(rng, depth);
}

const ORDER_SCHEMA = {
  type: "object",
  required: ["customer_id", "items"],
  additionalProperties: false,
  properties: {
    customer_id: { type: "string", pattern: "^c_[a-z0-9]{6,32}$" },
    currency: { type: "string", enum: ["EUR", "USD", "GBP"] },
    note: { type: "string", maxLength: 500 },
    items: {
      type: "array",
      minItems: 1,
      maxItems: 50,
      items: {
        type: "object",
        required: ["sku", "quantity"],
        additionalProperties: false,
        properties: { sku: { type: "string", minLength: 1, maxLength: 64 }, quantity: { type: "integer", minimum: 1, maximum: 1000 } },
      },
    },
  },
};
const ORDER = { customer_id: "c_abc123", currency: "EUR", note: "x", items: [{ sku: "widget-blue", quantity: 2 }] };

const SCHEMAS: [string, unknown, unknown][] = [
  ["the benchmark's order", ORDER_SCHEMA, ORDER],
  [
    "type lists, integers, const, bounds",
    {
      $schema: "https://json-schema.org/draft/2020-12/schema",
      title: "annotations are ignored",
      type: ["object", "null"],
      minProperties: 1,
      maxProperties: 3,
      properties: {
        id: { type: ["integer", "string"], exclusiveMinimum: 0, exclusiveMaximum: 1000, minLength: 2 },
        a: { const: "a" },
        b: { enum: [1, "1", null, true] },
        tags: { type: "array", items: { type: "string", maxLength: 1 } },
      },
      additionalProperties: { type: ["number", "boolean"], minimum: -1 },
    },
    { id: 42, a: "a", tags: ["x"] },
  ],
  ["boolean subschemas", { properties: { a: true, b: false }, additionalProperties: true, items: false }, { a: 1 }],
  ["no type, string and number keywords only", { minLength: 2, maxLength: 3, pattern: "\\p{L}", minimum: 1, maximum: 10 }, "é😀"],
  ["true", true, 1],
  ["false", false, 1],
];

describe("the request validator's shortcut agrees with the library", () => {
  it.each(SCHEMAS)("%s: on the valid example, its near misses and random JSON", (_name, schema, example) => {
    const fast = compileFastCheck(schema);
    expect(fast).toBeDefined();
    const rng = random(0x10ad);
    const instances = [
      example,
      ...Array.from({ length: 1500 }, () => mutate(rng, example)),
      ...Array.from({ length: 500 }, () => value(rng)),
    ];
    let valid = 0;
    for (const instance of instances) {
      const expected = library(schema, instance);
      // Yes only where the library says valid; where the library throws, no, so it still decides.
      // (The instance is shown as JSON text: a lone surrogate in a failure report breaks the pool's socket.)
      const shown = JSON.stringify(instance);
      expect({ instance: shown, fast: fast!(instance) }).toEqual({ instance: shown, fast: expected === "valid" });
      if (expected === "valid") valid++;
    }
    // The generator reaches both answers for the satisfiable schemas.
    if (schema !== false) expect(valid).toBeGreaterThan(0);
  });

  it("answers no for a key with a lone surrogate that the library cannot point at", () => {
    const schema = { type: "object", additionalProperties: { type: "number" } };
    const instance = JSON.parse('{"\\ud800": 1}');
    expect(library(schema, instance)).toBe("throws");
    expect(compileFastCheck(schema)!(instance)).toBe(false);
  });

  it.each([
    ["$ref", { $defs: { a: { type: "string" } }, $ref: "#/$defs/a" }],
    ["allOf", { allOf: [{ type: "string" }] }],
    ["format", { type: "string", format: "email" }],
    ["multipleOf", { type: "number", multipleOf: 0.1 }],
    ["patternProperties", { patternProperties: { "^x": { type: "string" } } }],
    ["a tuple `items`", { items: [{ type: "string" }] }],
    ["an object in enum", { enum: [{ a: 1 }] }],
    ["an array const", { const: [1] }],
    ["an unknown keyword", { type: "string", "x-vendor": true }],
    ["a nested unsupported keyword", { properties: { a: { oneOf: [{ type: "string" }] } } }],
    ["an invalid pattern", { pattern: "(" }],
    ["a schema property name with a lone surrogate", { properties: { "\ud800": { type: "string" } } }],
  ])("compiles no shortcut for %s: the library validates every body", (_name, schema) => {
    expect(compileFastCheck(schema)).toBeUndefined();
  });
});
