/**
 * A yes-only shortcut for the request validator: a predicate compiled once from a JSON Schema
 * that answers `true` only where @cfworker/json-schema (draft 2020-12, all errors) finds the
 * instance valid without throwing. Everything else answers `false`, and the library then
 * validates and words the errors, so a refusal reads the same with or without the shortcut.
 * Valid bodies, the common case, skip the library's bookkeeping (a location string and an error
 * list for every keyword it visits).
 *
 * Only the keywords below are compiled, each with the library's own semantics (read from its
 * validate.js); a schema with any other keyword (`$ref`, `allOf`, `format`, `multipleOf`,
 * `patternProperties`, …), an object or array in `enum`/`const`, or a value of an unexpected
 * shape gets no shortcut at all: the library validates every request against it.
 */
export type FastCheck = (value: unknown) => boolean;

/** Keywords without effect on validity. */
const ANNOTATIONS = new Set(["$schema", "$comment", "title", "description", "default", "examples", "deprecated", "readOnly", "writeOnly"]);

const TYPES = new Set(["null", "boolean", "object", "array", "number", "string", "integer"]);

class Unsupported extends Error {}

const unsupported = (): never => {
  throw new Unsupported();
};

/** The predicate for `schema`, or undefined when it uses something outside the compiled subset. */
export function compileFastCheck(schema: unknown): FastCheck | undefined {
  try {
    return compile(schema);
  } catch (error) {
    if (error instanceof Unsupported) return undefined;
    throw error;
  }
}

/** The library's instance type: JSON's, with `null` and `array` apart from `object`. */
function typeOf(value: unknown): string {
  if (value === null) return "null";
  if (Array.isArray(value)) return "array";
  return typeof value;
}

const hasOwn = (object: object, key: string): boolean => Object.prototype.hasOwnProperty.call(object, key);

/** Code points, as the library's ucs2length counts them (a lone surrogate counts one). */
function ucs2length(text: string): number {
  let result = 0;
  for (let index = 0; index < text.length;) {
    result++;
    const code = text.charCodeAt(index++);
    if (code >= 0xd800 && code <= 0xdbff && index < text.length && (text.charCodeAt(index) & 0xfc00) === 0xdc00) index++;
  }
  return result;
}

/** A lone UTF-16 surrogate (a pair is one code point under the `u` flag): what makes encodeURI throw. */
const LONE_SURROGATE = /\p{Surrogate}/u;
const wellFormed = (text: string): boolean => !LONE_SURROGATE.test(text);

const isNumber = (value: unknown): value is number => typeof value === "number";
const isCount = (value: unknown): value is number => Number.isInteger(value) && (value as number) >= 0;
const isPrimitive = (value: unknown): boolean => value === null || typeof value !== "object";

function typeCheck(type: unknown): FastCheck {
  const types = Array.isArray(type) ? type : [type];
  if (types.length === 0 || !types.every((name) => typeof name === "string" && TYPES.has(name))) unsupported();
  const allowed = new Set<unknown>(types);
  const integer = allowed.has("integer");
  return (value) => {
    const type = typeOf(value);
    return allowed.has(type) || (integer && type === "number" && (value as number) % 1 === 0);
  };
}

function compile(schema: unknown): FastCheck {
  if (schema === true) return () => true;
  if (schema === false) return () => false;
  if (schema === null || typeof schema !== "object" || Array.isArray(schema)) return unsupported();
  const s = schema as Record<string, unknown>;
  const checks: FastCheck[] = [];
  const objectChecks: ((value: Record<string, unknown>) => boolean)[] = [];
  const arrayChecks: ((value: unknown[]) => boolean)[] = [];
  const stringChecks: ((value: string) => boolean)[] = [];
  const numberChecks: ((value: number) => boolean)[] = [];

  for (const [keyword, value] of Object.entries(s)) {
    if (ANNOTATIONS.has(keyword)) continue;
    switch (keyword) {
      case "type":
        checks.push(typeCheck(value));
        break;
      case "const":
        if (!isPrimitive(value)) unsupported();
        checks.push((instance) => instance === value);
        break;
      case "enum": {
        if (!Array.isArray(value) || !value.every(isPrimitive)) unsupported();
        const options = value as unknown[];
        checks.push((instance) => options.some((option) => instance === option));
        break;
      }
      case "required": {
        if (!Array.isArray(value) || !value.every((name) => typeof name === "string")) unsupported();
        const names = value as string[];
        objectChecks.push((instance) => names.every((name) => hasOwn(instance, name)));
        break;
      }
      case "minProperties":
      case "maxProperties": {
        if (!isCount(value)) unsupported();
        const limit = value as number;
        objectChecks.push(
          keyword === "minProperties"
            ? (instance) => Object.keys(instance).length >= limit
            : (instance) => Object.keys(instance).length <= limit,
        );
        break;
      }
      case "properties":
      case "additionalProperties":
        break; // together, below
      case "items": {
        // The array form is draft 2019-09's tuple (prefixItems in 2020-12): left to the library.
        if (Array.isArray(value)) unsupported();
        const item = compile(value);
        arrayChecks.push((instance) => instance.every((element) => item(element)));
        break;
      }
      case "minItems":
      case "maxItems": {
        if (!isCount(value)) unsupported();
        const limit = value as number;
        arrayChecks.push(keyword === "minItems" ? (instance) => instance.length >= limit : (instance) => instance.length <= limit);
        break;
      }
      case "minLength":
      case "maxLength": {
        if (!isCount(value)) unsupported();
        const limit = value as number;
        stringChecks.push(
          keyword === "minLength" ? (instance) => ucs2length(instance) >= limit : (instance) => ucs2length(instance) <= limit,
        );
        break;
      }
      case "pattern": {
        if (typeof value !== "string") unsupported();
        let regex: RegExp;
        try {
          regex = new RegExp(value as string, "u");
        } catch {
          return unsupported(); // the library throws on it at validation time: keep that
        }
        stringChecks.push((instance) => regex.test(instance));
        break;
      }
      case "minimum":
      case "maximum":
      case "exclusiveMinimum":
      case "exclusiveMaximum": {
        if (!isNumber(value)) unsupported();
        const bound = value as number;
        numberChecks.push(
          keyword === "minimum"
            ? (instance) => !(instance < bound)
            : keyword === "maximum"
              ? (instance) => !(instance > bound)
              : keyword === "exclusiveMinimum"
                ? (instance) => !(instance <= bound)
                : (instance) => !(instance >= bound),
        );
        break;
      }
      default:
        unsupported();
    }
  }

  if (s.properties !== undefined || s.additionalProperties !== undefined)
    objectChecks.push(propertiesCheck(s.properties, s.additionalProperties));

  return (value) => {
    for (const check of checks) if (!check(value)) return false;
    switch (typeOf(value)) {
      case "object":
        for (const check of objectChecks) if (!check(value as Record<string, unknown>)) return false;
        return true;
      case "array":
        for (const check of arrayChecks) if (!check(value as unknown[])) return false;
        return true;
      case "string":
        for (const check of stringChecks) if (!check(value as string)) return false;
        return true;
      case "number":
        for (const check of numberChecks) if (!check(value as number)) return false;
        return true;
      default:
        return true;
    }
  };
}

/**
 * `properties` and `additionalProperties` as the library applies them: each listed property the
 * instance has must match its schema; every other key must match `additionalProperties`. The
 * library names each key it checks in a JSON Pointer built with encodeURI, which throws on a lone
 * surrogate: such a key answers `false`, so the library decides (and refuses the body).
 */
function propertiesCheck(properties: unknown, additional: unknown): (value: Record<string, unknown>) => boolean {
  if (properties !== undefined && (properties === null || typeof properties !== "object" || Array.isArray(properties))) unsupported();
  const listed = Object.entries((properties ?? {}) as Record<string, unknown>).map(([key, schema]): [string, FastCheck] => {
    if (!wellFormed(key)) unsupported();
    return [key, compile(schema)];
  });
  const isListed = (key: string) => properties !== undefined && hasOwn(properties as object, key);
  const rest = additional === undefined ? undefined : compile(additional);
  return (value) => {
    for (const [key, check] of listed) if (hasOwn(value, key) && !check(value[key])) return false;
    if (rest) {
      for (const key in value) {
        if (isListed(key)) continue;
        if (!wellFormed(key) || !rest(value[key])) return false;
      }
    }
    return true;
  };
}
