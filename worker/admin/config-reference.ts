/**
 * The config reference, from the one config schema's JSON Schema (the admin OpenAPI's `Config`)
 * and the key status table (config/key-status.ts): `annotateKeyStatus` marks every property of
 * the OpenAPI document with `x-loom-edge`, and `configReferenceTable` renders README's "Loom
 * config reference" from that same annotated document, so the two cannot disagree
 * (test/runtime/config-reference.test.ts; `npm run docs:config` rewrites README's block).
 */
import { z } from "zod";
import { keyStatus, type KeyStatus } from "../config/key-status";

export type JsonSchemaNode = {
  description?: string;
  properties?: Record<string, JsonSchemaNode>;
  items?: JsonSchemaNode;
  additionalProperties?: JsonSchemaNode | boolean;
  anyOf?: JsonSchemaNode[];
  oneOf?: JsonSchemaNode[];
  allOf?: JsonSchemaNode[];
  const?: unknown;
  enum?: unknown[];
  type?: string | string[];
  default?: unknown;
  "x-loom-edge"?: string;
};

/** A schema as operators write it (io: input: "10MB", "30s", ${VAR}), in JSON Schema 2020-12. */
export function jsonSchemaOf(schema: z.ZodType): JsonSchemaNode & Record<string, unknown> {
  const { $schema: _dialect, ...json } = z.toJSONSchema(schema, { io: "input", unrepresentable: "any" });
  return json as JsonSchemaNode & Record<string, unknown>;
}

/** One property of the config, where it stands, and which alternative of a union holds it. */
interface ConfigKey {
  path: string;
  node: JsonSchemaNode;
  /** The discriminator of the alternative it belongs to (an auth scheme's `type`), if any. */
  variant?: string;
}

/** The value an alternative's discriminator (`type` or `name`) is fixed to. */
function discriminator(node: JsonSchemaNode): string | undefined {
  for (const key of ["type", "name"]) {
    const value = node.properties?.[key]?.const;
    if (typeof value === "string") return value;
  }
  return undefined;
}

/** Every property of the schema, depth first, in the order the schema declares them. */
export function configKeys(schema: JsonSchemaNode, base = ""): ConfigKey[] {
  const keys: ConfigKey[] = [];
  const walk = (node: JsonSchemaNode, path: string, variant: string | undefined) => {
    for (const alternative of [...(node.anyOf ?? []), ...(node.oneOf ?? []), ...(node.allOf ?? [])]) {
      walk(alternative, path, discriminator(alternative) ?? variant);
    }
    for (const [name, property] of Object.entries(node.properties ?? {})) {
      const at = path ? `${path}.${name}` : name;
      keys.push({ path: at, node: property, ...(variant ? { variant } : {}) });
      walk(property, at, undefined);
    }
    if (node.items) walk(node.items, `${path}[]`, variant);
    if (typeof node.additionalProperties === "object") walk(node.additionalProperties, `${path}.*`, variant);
  };
  walk(schema, base, undefined);
  return keys;
}

function statusText(status: KeyStatus): string {
  if (status.status === "enforced") return "enforced";
  return `${status.status}: ${status.status === "warned" && status.ignored ? "ignored; " : ""}${status.edge}`;
}

/**
 * Marks every property with `x-loom-edge`; a key the status table misses stays unmarked (a test
 * fails). `base` is where the schema stands in the config: `routes[]` for a route's.
 */
export function annotateKeyStatus(schema: JsonSchemaNode, base = ""): void {
  for (const { path, node } of configKeys(schema, base)) {
    const status = keyStatus(path);
    if (status) node["x-loom-edge"] = statusText(status);
  }
}

/** What a property without a description is: its fixed value, its choices, or its type and default. */
function shape(node: JsonSchemaNode): string {
  if (node.const !== undefined) return `\`${String(node.const)}\``;
  if (node.enum) return `one of ${node.enum.map((value) => `\`${String(value)}\``).join(", ")}`;
  const alternatives = node.anyOf ?? node.oneOf;
  if (alternatives) return alternatives.map(shape).join(" or ");
  const type = Array.isArray(node.type) ? node.type.join(" or ") : (node.type ?? "any");
  return node.default === undefined ? type : `${type}, default \`${JSON.stringify(node.default)}\``;
}

const cell = (text: string) => text.replaceAll("|", "\\|").replaceAll("\n", " ");

interface Row {
  paths: string[];
  edge: string;
  meanings: { variant?: string; text: string }[];
}

/**
 * The key a row shares: a route's block whose schema is the middleware block's
 * (`routes[].auth.type` → `middleware.auth.type`), and an object's key of a block that also
 * takes a list of such objects (`routes[].auth[].type` → `routes[].auth.type`).
 */
function twinPaths(path: string): string[] {
  const objectForm = path.replace(/^routes\[\]\.(\w+)\[\]\./, "routes[].$1.");
  return [objectForm, objectForm.replace(/^routes\[\]\./, "middleware.")].filter((twin) => twin !== path);
}

/** README's table: one row per key, or per set of keys that mean the same ({@link twinPaths}). */
export function configReferenceTable(schema: JsonSchemaNode): string {
  const byPath = new Map<string, Row>();
  const rows: Row[] = [];
  for (const { path, node, variant } of configKeys(schema)) {
    const text = node.description ?? shape(node);
    let row = byPath.get(path);
    if (!row) {
      row = { paths: [path], edge: node["x-loom-edge"] ?? "(no status)", meanings: [] };
      byPath.set(path, row);
      rows.push(row);
    }
    if (!row.meanings.some((meaning) => meaning.text === text)) row.meanings.push({ ...(variant ? { variant } : {}), text });
  }
  const same = (a: Row, b: Row) => a.edge === b.edge && JSON.stringify(a.meanings) === JSON.stringify(b.meanings);
  const shown = rows.filter((row) => {
    const twin = twinPaths(row.paths[0]!)
      .map((path) => byPath.get(path))
      .find((candidate) => candidate !== undefined && same(candidate, row));
    if (!twin) return true;
    twin.paths.push(row.paths[0]!);
    byPath.set(row.paths[0]!, twin);
    return false;
  });
  const lines = ["| key | at the edge | meaning |", "|---|---|---|"];
  for (const row of shown) {
    lines.push(`| ${row.paths.map((path) => `\`${path}\``).join("<br>")} | ${cell(row.edge)} | ${cell(meaningOf(row))} |`);
  }
  return lines.join("\n");
}

/** A key's meaning, alternative by alternative where a union's alternatives differ. */
function meaningOf({ meanings }: Row): string {
  if (meanings.length === 1) return meanings[0]!.text;
  // The discriminator itself: `type` of an auth scheme is just each alternative's name.
  if (meanings.every(({ variant, text }) => text === `\`${variant}\``)) return `one of ${meanings.map(({ text }) => text).join(", ")}`;
  return meanings.map(({ variant, text }) => (variant ? `(\`${variant}\`) ${text}` : text)).join(" ");
}
