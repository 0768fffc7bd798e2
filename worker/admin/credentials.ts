/**
 * The credential vault's admin API (worker/vault/). Write-only: a secret goes in with PUT and
 * never comes out; reads answer metadata (version, dates, root key id, last 4 characters).
 * Every change writes a `credential_change` audit row first, naming tenant, provider and
 * version, never the secret; if that row cannot be written the change is refused (503).
 */
import { HTTPException } from "hono/http-exception";
import { identifier } from "../http/schema-kit/fields";
import { httpError } from "../http/errors";
import {
  credentialInfo,
  deleteCredential,
  listCredentials,
  loadKeyRing,
  putCredential,
  rotateBatch,
  secretProblem,
  vaultUnavailable,
  VaultUnavailableError,
} from "../vault";
import { providerName } from "../vault/schema";
import { credentialSecretSchema, vaultRotateRequestSchema } from "../vault/api-schema";
import { changeAuthor, type AdminContext, type AdminEndpoint } from "./context";
import { notFound, readBodyText } from "./http";
import { errorName, log } from "../observability/logger";

/** A JSON object with one secret needs far less than the admin API's 1 MiB. */
export const MAX_CREDENTIAL_BODY_BYTES = 16 * 1024;

const JSON_MEDIA_TYPE = /^application\/(?:[\w.+-]+\+)?json\s*(?:;|$)/i;

/** The vault's own failures as answers: its root key (503 naming the variable) or D1 (503). */
async function vault<T>(c: AdminContext, operation: () => Promise<T>): Promise<T> {
  try {
    return await operation();
  } catch (error) {
    if (error instanceof HTTPException) throw error;
    if (error instanceof VaultUnavailableError) throw vaultUnavailable(error, c.var.requestId, "admin");
    log.error("vault_store_unavailable", { request_id: c.var.requestId, name: errorName(error) });
    throw httpError("vault_store_unavailable", "the credential store (D1) cannot be reached; retry shortly", {
      headers: { "Retry-After": "1" },
    });
  }
}

function tenantOf(c: AdminContext): string {
  const tenant = c.req.param("tenant")!;
  if (!identifier.safeParse(tenant).success) {
    throw httpError("invalid_tenant");
  }
  return tenant;
}

function providerOf(c: AdminContext): string {
  const provider = c.req.param("provider")!;
  const parsed = providerName.safeParse(provider);
  if (!parsed.success) throw httpError("invalid_provider", `the provider in the path ${parsed.error.issues[0]!.message}`);
  return provider;
}

const badSecretBody = () => httpError("invalid_credential");

/**
 * The secret of a PUT body. No error message repeats any part of the body: a mistyped body
 * is still somebody's key.
 */
async function readSecret(c: AdminContext): Promise<string> {
  if (!JSON_MEDIA_TYPE.test(c.req.header("Content-Type") ?? "")) {
    throw httpError("unsupported_media_type", 'the body must be JSON (Content-Type: application/json): {"secret": "…"}');
  }
  const tooLarge = () => httpError("payload_too_large", `a credential body is limited to ${MAX_CREDENTIAL_BODY_BYTES} bytes`);
  if (Number(c.req.header("Content-Length") ?? 0) > MAX_CREDENTIAL_BODY_BYTES) throw tooLarge();
  const bytes = new Uint8Array(await c.req.arrayBuffer());
  let body: unknown;
  try {
    if (bytes.byteLength > MAX_CREDENTIAL_BODY_BYTES) throw tooLarge();
    body = JSON.parse(new TextDecoder().decode(bytes));
  } catch (error) {
    if (error instanceof HTTPException) throw error;
    throw badSecretBody();
  } finally {
    bytes.fill(0);
  }
  const parsed = credentialSecretSchema.safeParse(body);
  if (!parsed.success) throw badSecretBody();
  const problem = secretProblem(parsed.data.secret);
  if (problem) throw httpError("invalid_credential", problem);
  return parsed.data.secret;
}

async function list(c: AdminContext) {
  const tenant = tenantOf(c);
  return c.json({ tenant, credentials: await vault(c, () => listCredentials(c.env.DB, tenant)) });
}

async function get(c: AdminContext) {
  const tenant = tenantOf(c);
  const provider = providerOf(c);
  const info = await vault(c, () => credentialInfo(c.env.DB, tenant, provider));
  if (!info) throw notFound(`the ${provider} credential of tenant "${tenant}"`);
  return c.json(info);
}

async function put(c: AdminContext) {
  const tenant = tenantOf(c);
  const provider = providerOf(c);
  const secret = await readSecret(c);
  const { info, created } = await vault(c, () => putCredential(c.env, changeAuthor(c), tenant, provider, secret));
  if (created) c.header("Location", c.req.path);
  return c.json(info, created ? 201 : 200);
}

async function remove(c: AdminContext) {
  const tenant = tenantOf(c);
  const provider = providerOf(c);
  const deleted = await vault(c, () => deleteCredential(c.env, changeAuthor(c), tenant, provider));
  if (!deleted) throw notFound(`the ${provider} credential of tenant "${tenant}"`);
  return c.json({ tenant, provider, deleted: true });
}

async function status(c: AdminContext) {
  return vault(c, async () => {
    const ring = await loadKeyRing(c.env);
    const { results } = await c.env.DB.prepare(
      "SELECT root_key_id, count(*) AS credentials FROM credentials GROUP BY root_key_id ORDER BY root_key_id",
    ).all<{
      root_key_id: string;
      credentials: number;
    }>();
    const total = results.reduce((sum, row) => sum + row.credentials, 0);
    const current = results.find((row) => row.root_key_id === ring.current.id)?.credentials ?? 0;
    return c.json({
      root_key_id: ring.current.id,
      previous_root_key_id: ring.previous?.id ?? null,
      credentials: total,
      pending_rotation: total - current,
      by_root: results,
    });
  });
}

async function rotate(c: AdminContext) {
  const text = await readBodyText(c);
  let body: unknown = {};
  if (text.trim() !== "") {
    try {
      body = JSON.parse(text);
    } catch {
      throw httpError("invalid_request", 'the body must be JSON, e.g. {"batch_size": 25}, or empty');
    }
  }
  const parsed = vaultRotateRequestSchema.safeParse(body);
  if (!parsed.success) throw httpError("invalid_request", `the body must be {"batch_size": 1-100} or empty`);
  return c.json(await vault(c, () => rotateBatch(c.env, changeAuthor(c), parsed.data.batch_size)));
}

const TENANT_PATH = "/tenants/:tenant/credentials";
const CREDENTIAL_PATH = `${TENANT_PATH}/:provider`;

const unavailable = {
  description:
    "VAULT_ROOT_KEY (or VAULT_ROOT_KEY_PREVIOUS) unset or unusable (`vault_unavailable`, naming the variable), D1 unreachable, or the audit log cannot be written; nothing changed.",
  schema: "Error",
} as const;
const badName = { description: "A tenant or provider name that is not allowed.", schema: "Error" } as const;

export const credentialEndpoints: AdminEndpoint[] = [
  {
    method: "GET",
    path: TENANT_PATH,
    summary: "A tenant's credentials (metadata only)",
    responses: {
      200: { description: "Every provider the tenant stored a credential for; never a secret.", schema: "CredentialList" },
      400: badName,
      503: unavailable,
    },
    handler: list,
  },
  {
    method: "GET",
    path: CREDENTIAL_PATH,
    summary: "One credential (metadata only)",
    responses: {
      200: { description: "Version, dates, root key id, last 4 characters; never the secret.", schema: "CredentialInfo" },
      400: badName,
      404: { description: "Not stored.", schema: "Error" },
      503: unavailable,
    },
    handler: get,
  },
  {
    method: "PUT",
    path: CREDENTIAL_PATH,
    summary: "Store or replace a credential",
    description:
      "Encrypts the secret (AES-256-GCM under the tenant's key derived from VAULT_ROOT_KEY) and stores it; a replacement gets the next key_version. Audited as credential_change (credential_create / credential_replace), without the secret. Routes with `credential: <provider>` use it for this tenant's consumers at once.",
    body: { schema: "CredentialSecret", mediaTypes: ["application/json"] },
    responses: {
      200: { description: "Replaced.", schema: "CredentialInfo" },
      201: { description: "Created.", schema: "CredentialInfo" },
      400: { description: "A bad tenant or provider name, or a body that is not {secret} with a visible-ASCII secret.", schema: "Error" },
      409: { description: "Changed by another request at the same moment; nothing stored.", schema: "Error" },
      413: { description: `Body larger than ${MAX_CREDENTIAL_BODY_BYTES} bytes.`, schema: "Error" },
      415: { description: "Not JSON.", schema: "Error" },
      503: unavailable,
    },
    handler: put,
  },
  {
    method: "DELETE",
    path: CREDENTIAL_PATH,
    summary: "Delete a credential",
    description:
      "Audited as credential_change (credential_delete). Routes that use it answer 403 credential_missing for this tenant afterwards.",
    responses: {
      200: { description: "Deleted.", schema: "CredentialDeleted" },
      400: badName,
      404: { description: "Not stored.", schema: "Error" },
      503: unavailable,
    },
    handler: remove,
  },
  {
    method: "GET",
    path: "/vault",
    summary: "The vault's root keys (ids only) and rotation progress",
    responses: { 200: { description: "Root key ids and credential counts per root.", schema: "VaultStatus" }, 503: unavailable },
    handler: status,
  },
  {
    method: "POST",
    path: "/vault/rotate",
    summary: "Re-encrypt one batch of credentials under VAULT_ROOT_KEY",
    description:
      "After setting VAULT_ROOT_KEY_PREVIOUS to the old root and VAULT_ROOT_KEY to a new one, call this until `done` is true, then remove VAULT_ROOT_KEY_PREVIOUS. Rows already under VAULT_ROOT_KEY are skipped, so the rotation can be resumed at any time. Each batch that changes rows is audited as credential_change (credential_reencrypt).",
    body: { schema: "VaultRotateRequest", mediaTypes: ["application/json"], optional: true },
    responses: {
      200: { description: "How many rows this call re-encrypted and how many remain.", schema: "VaultRotateResult" },
      400: { description: "A body that is not {batch_size: 1-100}.", schema: "Error" },
      409: {
        description: "`rotation_blocked`: a row no configured root can decrypt (named in the answer); nothing of this batch was written.",
        schema: "Error",
      },
      503: unavailable,
    },
    handler: rotate,
  },
];
