/** `GET <prefix>/openapi.json` and `GET <prefix>/docs`: the admin API describing itself. */
import { adminPrefix, type AdminContext, type AdminEndpoint } from "./context";
import { renderDocsPage } from "./docs-page";
import { buildOpenApi, type OpenApiDocument } from "./openapi";

/** The two endpoints that describe the API; `all` is the whole table, these included. */
export function apiDocsEndpoints(all: () => AdminEndpoint[]): AdminEndpoint[] {
  // Built once per isolate and prefix: the table and the schemas do not change at run time.
  const documents = new Map<string, OpenApiDocument>();
  const documentFor = (c: AdminContext) => {
    const prefix = adminPrefix(c.env);
    let document = documents.get(prefix);
    if (!document) {
      document = buildOpenApi(all(), prefix);
      documents.set(prefix, document);
    }
    return document;
  };
  return [
    {
      method: "GET",
      path: "/openapi.json",
      summary: "This API as OpenAPI 3.1",
      responses: { 200: { description: "The OpenAPI document." } },
      handler: (c) => c.json(documentFor(c)),
    },
    {
      method: "GET",
      path: "/docs",
      summary: "This API as a readable page",
      responses: { 200: { description: "HTML rendering of openapi.json." } },
      handler: (c) => c.html(renderDocsPage(documentFor(c))),
    },
  ];
}
