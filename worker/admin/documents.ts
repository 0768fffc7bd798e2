/**
 * Documents a config references by path (`schema: /etc/loom/schemas/api.json`): there is no
 * file system at the edge, so they are uploaded here and kept in KV under `doc:<path>`.
 * `PUT <prefix>/documents/etc/loom/schemas/api.json` stores `/etc/loom/schemas/api.json`.
 * Writes are audited first; a write bumps the documents revision, which every isolate checks
 * with the config pointer, so the compiled config picks the new document up.
 */
import { documentPaths } from "../pipeline/compile";
import { listDocuments, readDocument } from "../config/kv";
import { configSchema } from "../config/schema";
import { currentDocument, deleteDocument, putDocument, readCurrent } from "../config/store";
import { httpError } from "../http/errors";
import { changeAuthor, type AdminContext, type AdminEndpoint } from "./context";
import { notFound, readBodyText } from "./http";
import { assertCompiles, referencedDocuments } from "./validation";
import { pluginObjects } from "../config/plugin-names";

/** Absolute, in normal form (RFC 3986 §6.2.2: no dot segments or empty segments), plain characters. */
const DOCUMENT_PATH = /^(\/[A-Za-z0-9_~-][A-Za-z0-9._~-]*)+$/;
const MAX_PATH_LENGTH = 512;

function documentPath(c: AdminContext): string {
  const path = `/${c.req.param("path")}`;
  if (path.length > MAX_PATH_LENGTH || !DOCUMENT_PATH.test(path) || path.split("/").includes("..")) {
    throw httpError("invalid_document_path");
  }
  return path;
}

async function list(c: AdminContext) {
  const documents = await listDocuments(c.env.CONFIG);
  return c.json({ documents: documents.sort((a, b) => a.path.localeCompare(b.path)) });
}

async function get(c: AdminContext) {
  const path = documentPath(c);
  const stored = await readDocument(c.env.CONFIG, path);
  if (!stored) throw notFound(`document ${path}`);
  c.header("ETag", `"${stored.meta.sha256}"`);
  return c.json(stored.document as Record<string, unknown>);
}

async function put(c: AdminContext) {
  const path = documentPath(c);
  let document: unknown;
  try {
    document = JSON.parse(await readBodyText(c));
  } catch {
    throw httpError("invalid_document", "the body must be JSON");
  }
  if (document === null || typeof document !== "object" || Array.isArray(document)) {
    throw httpError("invalid_document");
  }
  // A document the config in force validates with must itself be usable (a valid JSON Schema).
  const current = configSchema.safeParse(currentDocument(await readCurrent(c.env)));
  if (current.success && documentPaths(current.data).includes(path)) {
    const documents = await referencedDocuments(c.env, current.data);
    assertCompiles(c.env, current.data, documents.set(path, document), "invalid_document");
  }
  const existed = (await readDocument(c.env.CONFIG, path)) !== undefined;
  const meta = await putDocument(c.env, changeAuthor(c), path, document);
  c.header("ETag", `"${meta.sha256}"`);
  if (!existed) c.header("Location", c.req.path);
  return c.json({ path, ...meta }, existed ? 200 : 201);
}

/** Refused while the config in force references the document: its routes would answer 503. */
async function remove(c: AdminContext) {
  const path = documentPath(c);
  if (!(await readDocument(c.env.CONFIG, path))) throw notFound(`document ${path}`);
  const parsed = configSchema.safeParse(currentDocument(await readCurrent(c.env)));
  if (parsed.success && documentPaths(parsed.data).includes(path)) {
    const routes = parsed.data.routes
      .filter((route) => pluginObjects(route.plugins).some((plugin) => plugin.config.schema === path))
      .map((route) => route.id);
    throw httpError("document_in_use", `document ${path} is referenced by the config in force`, { extra: { routes } });
  }
  await deleteDocument(c.env, changeAuthor(c), path);
  return c.json({ path, deleted: true });
}

const PATH = "/documents/:path{.+}";

const refused = { description: "The audit log (or KV) is unavailable; the change was refused.", schema: "Error" } as const;

export const documentEndpoints: AdminEndpoint[] = [
  {
    method: "GET",
    path: "/documents",
    summary: "Every uploaded document",
    responses: { 200: { description: "Paths, hashes and sizes.", schema: "DocumentList" } },
    handler: list,
  },
  {
    method: "GET",
    path: PATH,
    summary: "One uploaded document",
    description:
      "The rest of the URL path is the document path: GET …/documents/etc/loom/schemas/api.json reads /etc/loom/schemas/api.json.",
    responses: {
      200: { description: "The document; ETag is its SHA-256.", schema: "JsonDocument" },
      404: { description: "Not uploaded.", schema: "Error" },
    },
    handler: get,
  },
  {
    method: "PUT",
    path: PATH,
    summary: "Upload or replace a document (JSON only)",
    description: "Audited as config_change/document_put. Routes whose request-validator references the path use it within a few seconds.",
    body: { schema: "JsonDocument", mediaTypes: ["application/json"] },
    responses: {
      200: { description: "Replaced.", schema: "DocumentInfo" },
      201: { description: "Created.", schema: "DocumentInfo" },
      400: { description: "Bad path, or a body that is not a JSON object.", schema: "Error" },
      413: { description: "Body larger than 1 MiB.", schema: "Error" },
      503: refused,
    },
    handler: put,
  },
  {
    method: "DELETE",
    path: PATH,
    summary: "Delete a document",
    responses: {
      200: { description: "Deleted.", schema: "DocumentDeleted" },
      404: { description: "Not uploaded.", schema: "Error" },
      409: { description: "The config in force references it.", schema: "Error" },
      503: refused,
    },
    handler: remove,
  },
];
