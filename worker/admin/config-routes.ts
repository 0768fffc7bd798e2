/** The whole config: read, replace, dry-run, history and rollback. */
import { listVersions, readVersion, type VersionRecord } from "../config/kv";
import { formatPath } from "../http/schema-kit/paths";
import { currentDocument, readCurrent, saveConfig } from "../config/store";
import { changeAuthor, type AdminContext, type AdminEndpoint } from "./context";
import { invalid, notFound, readStructuredBody, setVersionHeaders, YAML_MEDIA_TYPES } from "./http";
import { rollbackRequest } from "./schemas";
import { redactPasswordHashes } from "./password-hashes";
import { validateForSave } from "./validation";

const CONFIG_MEDIA_TYPES = [...YAML_MEDIA_TYPES, "application/json"];

async function getConfig(c: AdminContext) {
  const current = await readCurrent(c.env);
  const document = redactPasswordHashes(currentDocument(current));
  setVersionHeaders(c, current.version);
  return c.json(document);
}

async function putConfig(c: AdminContext) {
  const valid = await validateForSave(c.env, await readStructuredBody(c, "invalid_config"));
  const saved = await saveConfig(
    c.env,
    changeAuthor(c),
    { action: "config_put", target: "config", ifMatch: c.req.header("If-Match") },
    () => valid.document,
  );
  setVersionHeaders(c, saved.version);
  return c.json({ version: saved.version, warnings: valid.warnings });
}

async function validateOnly(c: AdminContext) {
  const valid = await validateForSave(c.env, await readStructuredBody(c, "invalid_config"));
  return c.json({ valid: true, warnings: valid.warnings });
}

async function versions(c: AdminContext) {
  const [current, stored] = await Promise.all([readCurrent(c.env), listVersions(c.env.CONFIG)]);
  return c.json({
    current_version: current.version,
    versions: stored.map((entry) => ({ ...entry, current: entry.version === current.version })),
  });
}

/**
 * Rollback makes a new version whose document is version N's: history stays linear and
 * immutable, and the rollback itself is audited like any change. The old document is
 * validated again, since the schema may have changed since it was saved.
 */
async function rollback(c: AdminContext) {
  const request = rollbackRequest.safeParse(await readStructuredBody(c, "invalid_request"));
  if (!request.success) {
    throw invalid(
      "invalid_request",
      request.error.issues.map((issue) => ({ path: formatPath(issue.path), message: issue.message })),
    );
  }
  const target = request.data.version;
  let warnings: string[] = [];
  let restored: VersionRecord | undefined;
  const saved = await saveConfig(
    c.env,
    changeAuthor(c),
    {
      action: "rollback",
      target: "config",
      ifMatch: c.req.header("If-Match"),
      details: { rolled_back_to: target },
      // The version's GraphQL allow-list comes back with its document.
      persistedQueries: () => restored?.persisted_queries,
    },
    async () => {
      const record = await readVersion(c.env.CONFIG, target);
      if (!record) throw notFound(`config version ${target}`);
      restored = record;
      const valid = await validateForSave(c.env, record.document);
      warnings = valid.warnings;
      return valid.document;
    },
  );
  setVersionHeaders(c, saved.version);
  return c.json({ version: saved.version, warnings, rolled_back_to: target });
}

const changeResponses = {
  200: { description: "Saved as a new version (ETag and X-Config-Version name it).", schema: "SaveResult" },
  400: { description: "Invalid: every problem by path; nothing changed.", schema: "InvalidConfig" },
  409: { description: "Another change is being saved right now; retry.", schema: "Error" },
  412: { description: "If-Match names an older version; nothing changed.", schema: "PreconditionFailed" },
  413: { description: "Body larger than 1 MiB.", schema: "Error" },
  503: { description: "The audit log (or KV) is unavailable; the change was refused.", schema: "Error" },
} as const;

export const configEndpoints: AdminEndpoint[] = [
  {
    method: "GET",
    path: "/config",
    summary: "The config in force, as stored",
    description:
      'The operator\'s document as saved (`${VAR}` references, sizes and durations as written), the same shape PUT accepts, except that the password hashes of `admin.auth.users` read `[redacted]` (PUT needs them whole). ETag is the version; `{}` with ETag "0" before the first save.',
    responses: {
      200: { description: "The config document.", schema: "Config" },
      503: { description: "The version's record is not readable from KV here yet.", schema: "Error" },
    },
    handler: getConfig,
  },
  {
    method: "PUT",
    path: "/config",
    summary: "Replace the whole config",
    description:
      'Body in YAML or JSON, as its Content-Type declares (415 for any other). Honours If-Match ("N", N or *). Audited as config_change/config_put before it takes effect.',
    body: { schema: "Config", mediaTypes: CONFIG_MEDIA_TYPES },
    responses: changeResponses,
    handler: putConfig,
  },
  {
    method: "POST",
    path: "/config/validate",
    summary: "Validate a config without storing it",
    body: { schema: "Config", mediaTypes: CONFIG_MEDIA_TYPES },
    responses: {
      200: { description: "Valid; the warnings a save would return.", schema: "ValidateResult" },
      400: { description: "Invalid: every problem by path.", schema: "InvalidConfig" },
      413: { description: "Body larger than 1 MiB.", schema: "Error" },
    },
    handler: validateOnly,
  },
  {
    method: "GET",
    path: "/config/versions",
    summary: "Every stored version, newest first",
    responses: { 200: { description: "The version history.", schema: "VersionList" } },
    handler: versions,
  },
  {
    method: "POST",
    path: "/config/rollback",
    summary: "Make a new version from an older version's document",
    description: "History stays linear: the result is a new version. The old document is validated again. Honours If-Match.",
    body: { schema: "RollbackRequest", mediaTypes: ["application/json"] },
    responses: {
      ...changeResponses,
      200: { description: "Rolled back as a new version.", schema: "RollbackResult" },
      404: { description: "No such version.", schema: "Error" },
    },
    handler: rollback,
  },
];
