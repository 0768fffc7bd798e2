/**
 * One route or upstream at a time. Each edit is applied to the current document and the
 * WHOLE resulting config is validated, so a dangling reference (a route naming a deleted
 * upstream) is refused like in a full PUT; a success is a new version, audited, If-Match
 * honoured.
 */
import { currentDocument, readCurrent, saveConfig } from "../config/store";
import { httpError } from "../http/errors";
import { changeAuthor, type AdminContext, type AdminEndpoint } from "./context";
import { notFound, readStructuredBody, setVersionHeaders, YAML_MEDIA_TYPES } from "./http";
import type { ComponentName } from "./schemas";
import { validateForSave } from "./validation";

interface Collection {
  /** Key of the list in the config document, and path segment. */
  list: "routes" | "upstreams";
  /** The field that names an entry. */
  key: "id" | "name";
  label: "route" | "upstream";
  schema: ComponentName;
  listSchema: ComponentName;
}

type Entry = Record<string, unknown>;

function entriesOf(document: Record<string, unknown>, collection: Collection): Entry[] {
  const value = document[collection.list];
  return Array.isArray(value) ? (value as Entry[]) : [];
}

function endpoints(collection: Collection): AdminEndpoint[] {
  const { list, key, label } = collection;
  const itemPath = `/${list}/:${key}`;
  const describe = (name: string) => `${label} "${name}"`;

  async function listEntries(c: AdminContext) {
    const current = await readCurrent(c.env);
    const entries = entriesOf(currentDocument(current), collection);
    setVersionHeaders(c, current.version);
    return c.json({ version: current.version, [list]: entries });
  }

  async function getEntry(c: AdminContext) {
    const name = c.req.param(key)!;
    const current = await readCurrent(c.env);
    const entry = entriesOf(currentDocument(current), collection).find((item) => item[key] === name);
    if (!entry) throw notFound(describe(name));
    setVersionHeaders(c, current.version);
    return c.json(entry);
  }

  async function putEntry(c: AdminContext) {
    const name = c.req.param(key)!;
    const body = await readStructuredBody(c, "invalid_config");
    if (body === null || typeof body !== "object" || Array.isArray(body)) {
      throw httpError("invalid_config", `the body must be one ${label} as an object`);
    }
    const given = (body as Entry)[key];
    if (given !== undefined && given !== name) {
      throw httpError("name_mismatch", `the body's ${key} "${String(given)}" differs from the ${key} in the path "${name}"`);
    }
    const entry = { [key]: name, ...(body as Entry) };
    let created = false;
    let warnings: string[] = [];
    const saved = await saveConfig(
      c.env,
      changeAuthor(c),
      { action: `${label}_put`, target: `${list}/${name}`, ifMatch: c.req.header("If-Match") },
      async (current) => {
        const document = currentDocument(current);
        const entries = [...entriesOf(document, collection)];
        const index = entries.findIndex((item) => item[key] === name);
        created = index < 0;
        if (created) entries.push(entry);
        else entries[index] = entry;
        const valid = await validateForSave(c.env, { ...document, [list]: entries });
        warnings = valid.warnings;
        return valid.document;
      },
    );
    setVersionHeaders(c, saved.version);
    if (created) c.header("Location", c.req.path);
    return c.json({ version: saved.version, warnings }, created ? 201 : 200);
  }

  async function deleteEntry(c: AdminContext) {
    const name = c.req.param(key)!;
    let warnings: string[] = [];
    const saved = await saveConfig(
      c.env,
      changeAuthor(c),
      { action: `${label}_delete`, target: `${list}/${name}`, ifMatch: c.req.header("If-Match") },
      async (current) => {
        const document = currentDocument(current);
        const entries = entriesOf(document, collection);
        if (!entries.some((item) => item[key] === name)) throw notFound(describe(name));
        // 409: the request is fine, but the config without this entry would not be.
        const valid = await validateForSave(c.env, { ...document, [list]: entries.filter((item) => item[key] !== name) }, "conflict");
        warnings = valid.warnings;
        return valid.document;
      },
    );
    setVersionHeaders(c, saved.version);
    return c.json({ version: saved.version, warnings });
  }

  const changeResponses = {
    409: { description: "Another change is being saved right now; retry.", schema: "Error" },
    412: { description: "If-Match names an older version; nothing changed.", schema: "PreconditionFailed" },
    503: { description: "The audit log (or KV) is unavailable; the change was refused.", schema: "Error" },
  } as const;

  return [
    {
      method: "GET",
      path: `/${list}`,
      summary: `Every ${label} of the config in force`,
      responses: { 200: { description: `The ${list}, as stored.`, schema: collection.listSchema } },
      handler: listEntries,
    },
    {
      method: "GET",
      path: itemPath,
      summary: `One ${label}`,
      responses: {
        200: { description: `The ${label}, as stored.`, schema: collection.schema },
        404: { description: `No such ${label}.`, schema: "Error" },
      },
      handler: getEntry,
    },
    {
      method: "PUT",
      path: itemPath,
      summary: `Create or replace one ${label}`,
      description: `Body: the ${label} in JSON or YAML; its \`${key}\` must match the path or be absent. The whole resulting config is validated.`,
      body: { schema: collection.schema, mediaTypes: ["application/json", ...YAML_MEDIA_TYPES] },
      responses: {
        200: { description: "Replaced; a new version.", schema: "SaveResult" },
        201: { description: "Created; a new version.", schema: "SaveResult" },
        400: { description: `Invalid ${label}, or the resulting config is invalid; nothing changed.`, schema: "InvalidConfig" },
        413: { description: "Body larger than 1 MiB.", schema: "Error" },
        ...changeResponses,
      },
      handler: putEntry,
    },
    {
      method: "DELETE",
      path: itemPath,
      summary: `Delete one ${label}`,
      responses: {
        200: { description: "Deleted; a new version.", schema: "SaveResult" },
        404: { description: `No such ${label}.`, schema: "Error" },
        ...changeResponses,
        409: {
          description: `The config without this ${label} would be invalid (e.g. a route still uses it), listed by path; or another change is being saved.`,
          schema: "InvalidConfig",
        },
      },
      handler: deleteEntry,
    },
  ];
}

export const resourceEndpoints: AdminEndpoint[] = [
  ...endpoints({ list: "routes", key: "id", label: "route", schema: "Route", listSchema: "RouteList" }),
  ...endpoints({ list: "upstreams", key: "name", label: "upstream", schema: "Upstream", listSchema: "UpstreamList" }),
];
