/**
 * The normal form of a saved config: the schema's output (defaults applied, sizes in bytes,
 * durations in milliseconds, host names in lower case) as the admin API validated it, stored in
 * the version record beside the operator's document. An isolate compiles its config from it
 * without evaluating zod's schemas, which are most of the code an isolate would otherwise load
 * before its first proxied request (README, "What a cold isolate loads"; bench/README.md, "Part 3: cold start").
 *
 * KV is written only by the admin API, after validation; the normal form is used only when it
 * names the schema this deploy runs (`NORMAL_FORM`) and was made from the very document beside
 * it (`document_sha256`). Any other record, one written before normal forms existed, one from a
 * deploy with another schema, or a document edited in KV by hand, is validated again from its
 * document, with the schema imported then; a document that fails that check throws, and the
 * config cache fails closed on it as before.
 */
import { sha256Hex } from "../audit/chain";
import type { NormalForm, VersionRecord } from "./kv";
import type { Config } from "./schema";
import type { LoadedConfig } from "./resolved-config";
import { valueReferences } from "./variable-fields";

/**
 * Names the schema whose output a normal form is: `<revision>-<fingerprint>`. The fingerprint
 * is a hash of the shape of the schema's output, pinned by normal-form.test.ts, which fails
 * until it is updated here when that shape changes. Raise the revision when only a rule or a
 * unit changes meaning (a refinement, a transform): stored versions are then validated again
 * by the new rules, as a deploy before normal forms did on every load.
 */
export const NORMAL_FORM = "2-27de248d3fc4c480";

/** The config before the first save, as `configSchema.parse({})` gives it (pinned by normal-form.test.ts). */
export const EMPTY_CONFIG: Config = {
  listeners: [],
  auth_failure_limit: { enabled: true, max_failures: 100, window: 60_000, block_for: 60_000 },
  middleware: {},
  routes: [],
  upstreams: [],
  plugins: [],
};

/**
 * Validates `document` with the config schema (imported on first use) and returns its normal
 * form; none for a document with `${VAR}` references outside endpoints and secret fields, whose
 * config depends on each isolate's environment and must not be stored (a value may be a secret).
 */
export async function normalForm(document: Record<string, unknown>): Promise<NormalForm | undefined> {
  if (valueReferences(document).length > 0) return undefined;
  const { configSchema } = await import("./schema");
  return { form: NORMAL_FORM, document_sha256: await documentHash(document), config: configSchema.parse(document) };
}

/**
 * The config of a stored version: its normal form when the record has one of this schema made
 * from its document, else the document validated again (throws when it is no longer valid);
 * a document with value references is resolved with `env` first (config/resolved-config.ts,
 * imported on first use with the schema).
 */
export async function storedConfig(record: VersionRecord, env: Record<string, unknown>): Promise<LoadedConfig> {
  const normal = record.normal;
  if (normal?.form === NORMAL_FORM && normal.document_sha256 === (await documentHash(record.document))) {
    return { config: normal.config, unresolved: [], variables: [] };
  }
  if (valueReferences(record.document).length > 0) {
    const { resolvedConfig } = await import("./resolved-config");
    return resolvedConfig(record.document, env);
  }
  const { configSchema } = await import("./schema");
  return { config: configSchema.parse(record.document), unresolved: [], variables: [] };
}

/** The document's hash as stored: KV returns the JSON it was given, keys in the same order. */
function documentHash(document: Record<string, unknown>): Promise<string> {
  return sha256Hex(JSON.stringify(document));
}
