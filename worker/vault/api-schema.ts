/** The shapes of the vault's admin API (worker/admin/credentials.ts), for validation and OpenAPI. */
import { z } from "zod";
import { DEFAULT_ROTATION_BATCH, MAX_ROTATION_BATCH } from "./rotate";
import { MAX_SECRET_LENGTH } from "./store";

const rootKeyId = z.string().describe("Id of a root key: 16 hex digits derived from it (HKDF), which reveal nothing about the key.");
const time = z.iso.datetime();

export const credentialSecretSchema = z
  .strictObject({
    secret: z
      .string()
      .min(1)
      .max(MAX_SECRET_LENGTH)
      .meta({ writeOnly: true })
      .describe("The provider's API key: visible ASCII, no spaces. Stored encrypted, never returned."),
  })
  .describe("A credential to store. Write-only: no answer ever contains it.");

export const credentialInfoSchema = z.object({
  tenant: z.string(),
  provider: z.string(),
  key_version: z.number().int().positive().describe("1 when created, +1 whenever the secret is replaced."),
  root_key_id: rootKeyId.describe("The root key the credential is encrypted under."),
  created_at: time,
  rotated_at: time.nullable().describe("When the secret was last replaced; null if never."),
  last4: z.string().nullable().describe("The secret's last 4 characters, for recognising it; null for secrets shorter than 16 characters."),
});

export const vaultRotateRequestSchema = z.strictObject({
  batch_size: z
    .number()
    .int()
    .min(1)
    .max(MAX_ROTATION_BATCH)
    .default(DEFAULT_ROTATION_BATCH)
    .describe(`Rows re-encrypted by this call; default ${DEFAULT_ROTATION_BATCH}, at most ${MAX_ROTATION_BATCH}.`),
});

export const vaultRotateResultSchema = z.object({
  rotated: z.number().int().describe("Rows re-encrypted by this call."),
  remaining: z.number().int().describe("Rows still under another root key."),
  done: z.boolean().describe("True once every row is under VAULT_ROOT_KEY: VAULT_ROOT_KEY_PREVIOUS can then be removed."),
  root_key_id: rootKeyId.describe("Id of VAULT_ROOT_KEY."),
});

export const vaultStatusSchema = z.object({
  root_key_id: rootKeyId.describe("Id of VAULT_ROOT_KEY."),
  previous_root_key_id: rootKeyId.nullable().describe("Id of VAULT_ROOT_KEY_PREVIOUS; null when unset."),
  credentials: z.number().int().describe("Stored credentials, every tenant."),
  pending_rotation: z.number().int().describe("Credentials under another root than VAULT_ROOT_KEY (0: nothing to rotate)."),
  by_root: z.array(z.object({ root_key_id: rootKeyId, credentials: z.number().int() })).describe("Credentials per root key."),
});
