/**
 * Validation as the admin API applies it: the one config schema (worker/config/parse.ts), its
 * edge warnings, and one warning per referenced document that has not been uploaded yet.
 */
import { compileConfig, ConfigCompileError, documentPaths } from "../pipeline/compile";
import { KEYS } from "../config/kv";
import { validateConfig } from "../config/parse";
import type { Config } from "../config/schema";
import type { Env } from "../env";
import type { ErrorCode } from "../http/error-catalogue";
import { adminPrefix } from "./context";
import { invalid } from "./http";

export interface ValidConfig {
  document: Record<string, unknown>;
  config: Config;
  warnings: string[];
}

/** Validates a whole document; 400 `invalid_config` (or `failure`) listing every issue. */
export async function validateForSave(env: Env, document: unknown, failure: ErrorCode = "invalid_config"): Promise<ValidConfig> {
  const result = validateConfig(document, env);
  if (!result.ok) throw invalid(failure, result.issues);
  const documents = await referencedDocuments(env, result.config);
  assertCompiles(env, result.config, documents, failure);
  const missing = documentPaths(result.config).filter((path) => !documents.has(path));
  const prefix = adminPrefix(env);
  const warnings = [
    ...result.warnings,
    ...missing.map(
      (path) =>
        `document ${path} has not been uploaded (PUT ${prefix}/documents${path}); routes that validate with it answer 503 until it is`,
    ),
  ];
  return { document: result.document, config: result.config, warnings };
}

/** The uploaded documents a config references, by path (absent ones left out). */
export async function referencedDocuments(env: Env, config: Config): Promise<Map<string, unknown>> {
  const paths = documentPaths(config);
  const documents = new Map<string, unknown>();
  if (paths.length === 0) return documents;
  const values = await env.CONFIG.get(paths.map(KEYS.document), "json");
  for (const path of paths) {
    const value = values.get(KEYS.document(path));
    if (value != null) documents.set(path, value);
  }
  return documents;
}

/**
 * Builds every policy as the gateway will, so options only a factory can judge (a JSON Schema,
 * a header value) are refused now, with their path, instead of failing at the edge later.
 */
export function assertCompiles(
  env: Env,
  config: Config,
  documents: ReadonlyMap<string, unknown>,
  failure: ErrorCode = "invalid_config",
): void {
  try {
    compileConfig(0, config, documents, env);
  } catch (error) {
    if (error instanceof ConfigCompileError) throw invalid(failure, [{ path: error.path, message: error.message }]);
    throw error;
  }
}
