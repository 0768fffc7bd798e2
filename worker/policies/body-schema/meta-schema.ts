/**
 * The shape of a JSON Schema (draft 2020-12), checked when a request-validator is built so that a
 * broken schema fails when the config is compiled, not on a request.
 *
 * It follows the official 2020-12 meta-schema keyword by keyword, with plain `$ref: "#"` where
 * the official one uses `$dynamicRef` (which @cfworker/json-schema does not implement), so it
 * can be checked with the same library. Unknown keywords are allowed, as the specification says.
 */
const schema = { $ref: "#" };
const schemaArray = { type: "array", minItems: 1, items: schema };
const schemaMap = { type: "object", additionalProperties: schema };
const nonNegativeInteger = { type: "integer", minimum: 0 };
const stringArray = { type: "array", items: { type: "string" }, uniqueItems: true };
const simpleType = { enum: ["array", "boolean", "integer", "null", "number", "object", "string"] };

export const META_SCHEMA = {
  type: ["object", "boolean"],
  properties: {
    // core
    $id: { type: "string" },
    $schema: { type: "string" },
    $ref: { type: "string" },
    $anchor: { type: "string", pattern: "^[A-Za-z_][-A-Za-z0-9._]*$" },
    $vocabulary: { type: "object", additionalProperties: { type: "boolean" } },
    $comment: { type: "string" },
    $defs: schemaMap,
    // applicator
    prefixItems: schemaArray,
    items: schema,
    contains: schema,
    additionalProperties: schema,
    properties: schemaMap,
    patternProperties: { ...schemaMap, propertyNames: { format: "regex" } },
    dependentSchemas: schemaMap,
    propertyNames: schema,
    if: schema,
    then: schema,
    else: schema,
    allOf: schemaArray,
    anyOf: schemaArray,
    oneOf: schemaArray,
    not: schema,
    // unevaluated
    unevaluatedItems: schema,
    unevaluatedProperties: schema,
    // validation
    type: { anyOf: [simpleType, { type: "array", items: simpleType, minItems: 1, uniqueItems: true }] },
    enum: { type: "array" },
    multipleOf: { type: "number", exclusiveMinimum: 0 },
    maximum: { type: "number" },
    exclusiveMaximum: { type: "number" },
    minimum: { type: "number" },
    exclusiveMinimum: { type: "number" },
    maxLength: nonNegativeInteger,
    minLength: nonNegativeInteger,
    pattern: { type: "string", format: "regex" },
    maxItems: nonNegativeInteger,
    minItems: nonNegativeInteger,
    uniqueItems: { type: "boolean" },
    maxContains: nonNegativeInteger,
    minContains: nonNegativeInteger,
    maxProperties: nonNegativeInteger,
    minProperties: nonNegativeInteger,
    required: stringArray,
    dependentRequired: { type: "object", additionalProperties: stringArray },
    // format, meta-data, content
    format: { type: "string" },
    title: { type: "string" },
    description: { type: "string" },
    deprecated: { type: "boolean" },
    readOnly: { type: "boolean" },
    writeOnly: { type: "boolean" },
    examples: { type: "array" },
    contentEncoding: { type: "string" },
    contentMediaType: { type: "string" },
    contentSchema: schema,
  },
};
