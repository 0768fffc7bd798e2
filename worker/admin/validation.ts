/**
 * Validation as the admin API applies it: the one config schema (worker/config/parse.ts), its
 * edge warnings, and one warning per referenced document that has not been uploaded yet.
 */
import { documentPaths } from "../config/compile";
import { KEYS } from "../config/kv";
import { validateConfig } from "../config/parse";
import type { Config } from "../config/schema";
import type { Env } from "../env";
import { adminPrefix } from "./context";
import { invalid } from "./http";

export interface ValidConfig {
  document: Record<string, unknown>;
  config: Config;
  warnings: string[];
}

/** Validates a whole document; 400 `invalid_config` (or `code`/`status`) listing every issue. */
export async function validateForSave(env: Env, document: unknown, failure: { code: string; status: 400 | 409 } = { code: "invalid_config", status: 400 }): Promise<ValidConfig> {
  const result = validateConfig(document, env);
  if (!result.ok) throw invalid(failure.code, result.issues, failure.status);
  const missing = await missingDocuments(env, result.config);
  const prefix = adminPrefix(env);
  const warnings = [
    ...result.warnings,
    ...missing.map((path) => `document ${path} has not been uploaded (PUT ${prefix}/documents${path}); routes that validate with it answer 503 until it is`),
  ];
  return { document: result.document, config: result.config, warnings };
}

async function missingDocuments(env: Env, config: Config): Promise<string[]> {
  const paths = documentPaths(config);
  if (paths.length === 0) return [];
  const values = await env.CONFIG.get(paths.map(KEYS.document), "text");
  return paths.filter((path) => values.get(KEYS.document(path)) == null);
}
