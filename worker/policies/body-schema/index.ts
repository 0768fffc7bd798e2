/**
 * The `request-validator` route plugin: the JSON body of the configured methods must match a
 * JSON Schema (draft 2020-12, @cfworker/json-schema, which needs no code generation).
 *
 * - Content-Type must be JSON (`application/json` or `application/*+json`, RFC 6839) → else 415.
 * - The body must be at most `max_body_size` bytes (default 1 MiB, whatever body_limit allows:
 *   it is held in memory and parsed whole) → else 413 `payload_too_large`, before a byte is read
 *   when Content-Length says so, else as soon as the excess arrives.
 * - The body must be UTF-8 JSON (RFC 8259 §8.1) → else 400 `invalid_json`.
 * - No object in it may name a member twice (RFC 8259 §4, RFC 7493 §2.3; http/duplicate-keys.ts)
 *   → else 400 `duplicate_key`.
 * - It must match the schema → else 400 `validation_failed` with `issues: [{ path, message }]`,
 *   `path` a JSON Pointer (RFC 6901) into the body, at most MAX_ISSUES of them.
 * The bytes read are what the proxy forwards (`c.var.body`, http/body.ts), so it forwards
 * exactly what was validated.
 *
 * Checked when the factory runs, so a bad schema fails when the config is compiled: the schema
 * is a draft 2020-12 schema (META_SCHEMA), every `$ref` resolves inside it (there is no fetching
 * of remote schemas at the edge), and no `$dynamicRef`/`$dynamicAnchor`, which the library
 * would silently ignore. Formats (`email`, `date-time`, …) are asserted, not just annotated.
 */
import { dereference, Validator, type OutputUnit, type Schema, type ValidationResult } from "@cfworker/json-schema";
import type { Context, MiddlewareHandler } from "hono";
import type { AppEnv } from "../../env";
import { contentLength, readAtMost } from "../../http/body";
import { httpError } from "../../http/errors";
import { hasDuplicateKey } from "../../http/duplicate-keys";
import { compileFastCheck } from "./fast-check";
import { META_SCHEMA } from "./meta-schema";
import { DEFAULT_MAX_BODY_SIZE } from "../../http/schema-kit/defaults";
import type { RequestValidatorConfig } from "./schema";

export interface RequestValidatorOptions {
  /** The JSON Schema itself: inline from the config, or the parsed document a path names. */
  schema: unknown;
  methods: RequestValidatorConfig["methods"];
  /** Largest body read, in bytes (`max_body_size`, parsed); DEFAULT_MAX_BODY_SIZE when unset. */
  maxBodySize?: RequestValidatorConfig["max_body_size"];
}

export interface ValidationIssue {
  /** JSON Pointer to the offending value; "" is the whole body. */
  path: string;
  message: string;
}

const MAX_ISSUES = 20;
const DRAFT_2020_12 = /^https:\/\/json-schema\.org\/draft\/2020-12\/schema#?$/;
const UNSUPPORTED_KEYWORDS = ["$dynamicRef", "$dynamicAnchor"];
/** `application/json`, `application/problem+json`, … with any parameters (RFC 6839 §3.1). */
const JSON_MEDIA_TYPE = /^application\/(?:[\w.+-]+\+)?json$/;

/**
 * Keywords that only report "a subschema failed" and are followed by the errors that say how:
 * left out so each issue names the value at fault.
 */
const WRAPPER_KEYWORDS = new Set([
  "$ref",
  "$recursiveRef",
  "properties",
  "patternProperties",
  "items",
  "prefixItems",
  "allOf",
  "if",
  "dependentSchemas",
]);

const metaValidator = new Validator(META_SCHEMA as Schema, "2020-12", false);

/** Every object in a JSON document, depth first. */
function* objects(node: unknown): Generator<Record<string, unknown>> {
  if (node === null || typeof node !== "object") return;
  if (!Array.isArray(node)) yield node as Record<string, unknown>;
  for (const value of Object.values(node)) yield* objects(value);
}

/** Throws with a sentence for the operator when `schema` cannot be used; returns a copy to compile. */
function checkedSchema(schema: unknown): Schema | boolean {
  const shape = metaValidator.validate(schema);
  if (!shape.valid) {
    // The deepest location names the keyword at fault; its parents only say "a subschema failed".
    const deepest = shape.errors.reduce((a, b) => (b.instanceLocation.length > a.instanceLocation.length ? b : a));
    throw new TypeError(`request-validator: not a JSON Schema: at ${issuePath(deepest) || "the root"}: ${deepest.error}`);
  }
  if (typeof schema === "boolean") return schema;
  // dereference() annotates the schema objects it is given; the config's document stays as loaded.
  const copy = structuredClone(schema) as Schema;
  if (copy.$schema !== undefined && !DRAFT_2020_12.test(copy.$schema)) {
    throw new TypeError(`request-validator: $schema ${copy.$schema} is not supported; use draft 2020-12`);
  }
  const lookup = dereference(copy);
  for (const node of objects(copy)) {
    const keyword = UNSUPPORTED_KEYWORDS.find((name) => name in node);
    if (keyword) throw new TypeError(`request-validator: ${keyword} is not supported`);
    const target = (node as Schema).__absolute_ref__;
    if (target !== undefined && !(target in lookup)) {
      throw new TypeError(`request-validator: $ref ${String(node.$ref)} does not resolve inside the schema`);
    }
  }
  return copy;
}

/** The library reports locations as URI fragments (`#/a%20b`); issues carry JSON Pointers. */
function issuePath(unit: OutputUnit): string {
  return decodeURIComponent(unit.instanceLocation.slice(1));
}

function issues(errors: OutputUnit[]): ValidationIssue[] {
  return errors
    .filter((error) => !WRAPPER_KEYWORDS.has(error.keyword))
    .slice(0, MAX_ISSUES)
    .map((error) => ({ path: issuePath(error), message: error.keyword === "false" ? "No value is allowed here." : error.error }));
}

/** The issues of `value` against the schema; none when it is valid. */
function check(validator: Validator, value: unknown): ValidationIssue[] {
  let result: ValidationResult;
  try {
    result = validator.validate(value);
  } catch (error) {
    // The library builds error locations with encodeURI, which throws on a property name
    // holding an unpaired surrogate ("\ud800" is valid JSON); such a body is refused.
    if (!(error instanceof URIError)) throw error;
    throw httpError("invalid_json", "the request body holds a string with an unpaired UTF-16 surrogate");
  }
  return result.valid ? [] : issues(result.errors);
}

function isJson(contentType: string | null): boolean {
  if (contentType === null) return false;
  const semicolon = contentType.indexOf(";");
  return JSON_MEDIA_TYPE.test((semicolon === -1 ? contentType : contentType.slice(0, semicolon)).trim().toLowerCase());
}

export const requestValidator = (options: RequestValidatorOptions): MiddlewareHandler<AppEnv> => {
  const bodyless = options.methods.filter((method) => method === "GET" || method === "HEAD");
  if (bodyless.length > 0) {
    throw new TypeError(`request-validator: ${bodyless.join(", ")} requests carry no body to validate`);
  }
  const validator = new Validator(checkedSchema(options.schema), "2020-12", false);
  // Says yes to most valid bodies without the library's bookkeeping; a no, or a schema it does
  // not compile, goes to the library, which words the errors (fast-check.ts).
  const fast = compileFastCheck(options.schema);
  const methods = new Set<string>(options.methods);
  const decoder = new TextDecoder("utf-8", { fatal: true, ignoreBOM: false });

  const maxBodySize = options.maxBodySize ?? DEFAULT_MAX_BODY_SIZE;
  // A fresh exception each time: its response body can be sent only once.
  const tooLarge = () =>
    httpError("payload_too_large", `the request body is larger than ${maxBodySize} bytes, the most this route validates`);

  /** The body, whole and bounded; another validator on the route may have read it already. */
  async function bodyOf(c: Context<AppEnv>): Promise<Uint8Array> {
    const read = c.get("body");
    if (read !== undefined) {
      // Another validator on the route read it under its own max_body_size.
      if (read.byteLength > maxBodySize) throw tooLarge();
      return read;
    }
    const request = c.req.raw;
    if ((contentLength(request.headers) ?? 0) > maxBodySize) throw tooLarge();
    return request.body ? readAtMost(request.body, maxBodySize, tooLarge) : new Uint8Array(0);
  }

  function parse(bytes: Uint8Array): { value: unknown } | undefined {
    let text: string;
    let value: unknown;
    try {
      text = decoder.decode(bytes);
      value = JSON.parse(text);
    } catch {
      return undefined;
    }
    if (hasDuplicateKey(text)) throw httpError("duplicate_key");
    return { value };
  }

  return async function requestValidator(c, next) {
    const request = c.req.raw;
    if (methods.has(request.method)) {
      if (!isJson(request.headers.get("content-type"))) {
        throw httpError("unsupported_media_type");
      }
      const bytes = await bodyOf(c);
      const body = parse(bytes);
      if (!body) throw httpError("invalid_json");
      const found = fast?.(body.value) ? [] : check(validator, body.value);
      if (found.length > 0) {
        throw httpError("validation_failed", "the request body does not match the route's JSON Schema", {
          extra: { issues: found },
        });
      }
      c.set("body", bytes);
    }
    await next();
  };
};
