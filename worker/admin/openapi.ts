/**
 * `GET <prefix>/openapi.json`: OpenAPI 3.1, generated from the admin endpoint table and the
 * zod schemas the handlers validate with (z.toJSONSchema, JSON Schema 2020-12, which OpenAPI
 * 3.1 uses as is). api-docs.ts serves it, and docs-page.ts renders it as a page.
 */
import { ADMIN_REALM } from "./auth";
import { annotateKeyStatus, jsonSchemaOf } from "./config-reference";
import type { AdminEndpoint } from "./context";
import { apiSchemas } from "./schemas";

export type OpenApiDocument = {
  openapi: "3.1.0";
  info: { title: string; version: string; description: string };
  servers: { url: string }[];
  security: Record<string, string[]>[];
  paths: Record<string, Record<string, OpenApiOperation>>;
  components: { schemas: Record<string, Record<string, unknown>>; securitySchemes: Record<string, Record<string, string>> };
};

export interface OpenApiOperation {
  operationId: string;
  summary: string;
  description?: string;
  parameters?: Record<string, unknown>[];
  requestBody?: { required: boolean; content: Record<string, { schema: { $ref: string } }> };
  responses: Record<string, { description: string; content?: Record<string, { schema: { $ref: string } }> }>;
}

const ref = (name: string) => ({ $ref: `#/components/schemas/${name}` });

/** `/routes/:id` → `/routes/{id}`; `/documents/:path{.+}` → `/documents/{path}`. */
function openApiPath(path: string): string {
  return path.replace(/:([A-Za-z_]\w*)(\{[^}]*\})?/g, "{$1}");
}

function operation(endpoint: AdminEndpoint): OpenApiOperation {
  const path = openApiPath(endpoint.path);
  const parameters: Record<string, unknown>[] = [...path.matchAll(/\{(\w+)\}/g)].map(([, name]) => ({
    name,
    in: "path",
    required: true,
    schema: { type: "string" },
    ...(name === "path" ? { description: "The document path without its leading slash; may contain slashes." } : {}),
  }));
  if (endpoint.query) {
    const { properties = {}, required = [] } = jsonSchemaOf(endpoint.query) as {
      properties?: Record<string, Record<string, unknown>>;
      required?: string[];
    };
    for (const [name, { description, ...schema }] of Object.entries(properties)) {
      parameters.push({ name, in: "query", required: required.includes(name), ...(description ? { description } : {}), schema });
    }
  }
  if (endpoint.responses[412]) {
    parameters.push({
      name: "If-Match",
      in: "header",
      required: false,
      description: 'The version the change is based on: "N", N or *. A stale version is refused with 412.',
      schema: { type: "string" },
    });
  }
  const responses: OpenApiOperation["responses"] = {};
  for (const [status, response] of Object.entries(endpoint.responses)) {
    responses[status] = {
      description: response.description,
      ...(response.schema ? { content: { "application/json": { schema: ref(response.schema) } } } : {}),
    };
  }
  const error = { "application/json": { schema: ref("Error") } };
  responses["401"] = { description: "Missing or wrong credentials (WWW-Authenticate names both schemes); audited.", content: error };
  responses["403"] = {
    description:
      "Refused before authentication: plain http from elsewhere than loopback (https_required), or a request a browser sent for another site (cross_site_request).",
    content: error,
  };
  if (endpoint.method !== "GET") {
    responses["415"] = {
      description: endpoint.body
        ? `The body is not declared as ${endpoint.body.mediaTypes.join(", ")}; nothing changed.`
        : "A body (or a form media type) sent to an endpoint that takes none; nothing changed.",
      content: error,
    };
  }
  return {
    operationId: `${endpoint.method.toLowerCase()}${path.replace(/[{}]/g, "").replace(/[^A-Za-z0-9]+(.)?/g, (_, next: string | undefined) => (next ?? "").toUpperCase())}`,
    summary: endpoint.summary,
    ...(endpoint.description ? { description: endpoint.description } : {}),
    ...(parameters.length > 0 ? { parameters } : {}),
    ...(endpoint.body
      ? {
          requestBody: {
            required: !endpoint.body.optional,
            content: Object.fromEntries(endpoint.body.mediaTypes.map((type) => [type, { schema: ref(endpoint.body!.schema) }])),
          },
        }
      : {}),
    responses,
  };
}

/** Where each config-shaped component stands in the config, for its `x-loom-edge` marks. */
const CONFIG_COMPONENTS: Partial<Record<keyof typeof apiSchemas, string>> = { Config: "", Route: "routes[]", Upstream: "upstreams[]" };

function componentSchemas(): Record<string, Record<string, unknown>> {
  return Object.fromEntries(
    Object.entries(apiSchemas).map(([name, schema]) => {
      const json = jsonSchemaOf(schema);
      const base = CONFIG_COMPONENTS[name as keyof typeof apiSchemas];
      if (base !== undefined) annotateKeyStatus(json, base);
      return [name, json];
    }),
  );
}

export function buildOpenApi(endpoints: AdminEndpoint[], prefix: string): OpenApiDocument {
  const paths: OpenApiDocument["paths"] = {};
  for (const endpoint of endpoints) {
    const path = openApiPath(endpoint.path);
    paths[path] = { ...paths[path], [endpoint.method.toLowerCase()]: operation(endpoint) };
  }
  return {
    openapi: "3.1.0",
    info: {
      title: "Loom Edge admin API",
      version: "1",
      description:
        "Manages the gateway's config (KV-backed, versioned), its documents, its consumers and their API keys (D1, keys stored only as SHA-256), the per-tenant credential vault (D1, AES-256-GCM, write-only), and the state of its rate-limit counters and upstream circuits (Durable Objects). Every change is audited in D1 before it takes effect; the audit log can be read, verified and exported to R2 here.",
    },
    servers: [{ url: prefix }],
    security: [{ adminToken: [] }, { adminBasic: [] }],
    paths,
    components: {
      schemas: componentSchemas(),
      securitySchemes: {
        adminToken: {
          type: "http",
          scheme: "bearer",
          description: `The ADMIN_TOKEN Worker secret (realm ${ADMIN_REALM}). While it holds under 128 bits of entropy, every bearer attempt answers 503 weak_admin_secret.`,
        },
        adminBasic: {
          type: "http",
          scheme: "basic",
          description:
            "admin.auth of the config in force: `type: basic`, whose password is a ${VAR} secret (while it holds under 128 bits of entropy, every basic attempt answers 503 weak_admin_secret), or Loom's `users` table of SHA-256 hashes (a presented password under 128 bits is never accepted: 401).",
        },
      },
    },
  };
}
