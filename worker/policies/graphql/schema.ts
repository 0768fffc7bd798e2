/** `graphql.security` (the Loom security policy's block) and a route's `graphql`. */
import { z } from "zod";
import { DEFAULT_GRAPHQL_SECURITY as DEFAULTS } from "../../http/schema-kit/defaults";
import { size } from "../../http/schema-kit/fields";

export const graphqlSecuritySchema = z.strictObject({
  max_depth: z
    .number()
    .int()
    .min(1)
    .max(1000)
    .optional()
    .describe("Deepest field nesting of an operation, through fragments (`{ a { b } }` is 2). Unset: not checked. 1-1000."),
  max_complexity: z
    .number()
    .int()
    .min(1)
    .max(100_000_000)
    .optional()
    .describe(
      'Highest cost of an operation (README "GraphQL protections": each field 1, plus its sub-selection times its `first`/`last`/`limit`; a fragment once per spread). Unset: not checked.',
    ),
  introspection: z
    .boolean()
    .default(DEFAULTS.introspection)
    .describe("`false`: `__schema` and `__type` are refused anywhere, aliased or in fragments; `__typename` stays allowed. Default true."),
  persisted_queries: z
    .strictObject({
      required: z.boolean().default(false).describe("Only queries whose SHA-256 is in the uploaded allow-list are served. Default false."),
    })
    .optional(),
  max_aliases: z
    .number()
    .int()
    .min(0)
    .max(10_000)
    .default(DEFAULTS.max_aliases)
    .describe("Most aliases an operation may use, a fragment's counted once per spread. Default 30 (an edge addition)."),
  max_directives: z
    .number()
    .int()
    .min(0)
    .max(10_000)
    .default(DEFAULTS.max_directives)
    .describe("Most directives an operation may use, a fragment's counted once per spread. Default 50 (an edge addition)."),
  max_batch_size: z
    .number()
    .int()
    .min(1)
    .max(100)
    .default(DEFAULTS.max_batch_size)
    .describe("Most operations in one batched (JSON array) request. Default 10, 1-100 (an edge addition)."),
  max_tokens: z
    .number()
    .int()
    .min(100)
    .max(100_000)
    .default(DEFAULTS.max_tokens)
    .describe("Most lexical tokens the parser reads of one document before refusing it. Default 5000, 100-100000 (an edge addition)."),
  max_document_size: size
    .refine((bytes) => bytes >= 256 && bytes <= 1024 * 1024, "must be between 256B and 1MB")
    .default(DEFAULTS.max_document_size)
    .describe("Largest request body or query string document; larger is 413. Default 64KB, 256B-1MB (an edge addition)."),
});

export const graphqlSchema = z.strictObject({
  security: graphqlSecuritySchema.describe("The protections of every GraphQL route (`routes[].graphql`)."),
});

export const routeGraphqlSchema = z
  .union([z.boolean(), z.strictObject({ security: graphqlSecuritySchema })])
  .describe("This route serves GraphQL: `true` applies the top-level `graphql.security`, `{ security }` replaces it for this route.");

export type GraphqlSecurity = z.output<typeof graphqlSecuritySchema>;
export type RouteGraphql = z.output<typeof routeGraphqlSchema>;
