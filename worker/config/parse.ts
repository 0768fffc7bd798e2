/**
 * From request body to validated config: YAML or JSON text, then the one schema, then the
 * warnings that say what the edge does with fields that have no meaning here.
 */
import { parse as parseYaml } from "yaml";
import type { z } from "zod";
import { configSchema, type Config } from "./schema";
import { resolveForSave } from "./resolved-config";
import { maskValues, valueReferences } from "./variable-fields";
import { edgeWarnings, variableWarnings } from "./warnings";
import { formatPath } from "../http/schema-kit/paths";
import { resolveUpstreams } from "../gateway/endpoint-variables";

export interface ConfigIssue {
  path: string;
  message: string;
}

export type ValidationResult =
  { ok: true; document: Record<string, unknown>; config: Config; warnings: string[] } | { ok: false; issues: ConfigIssue[] };

export function zodIssues(error: z.ZodError): ConfigIssue[] {
  return error.issues.map((issue) => ({ path: formatPath(issue.path), message: issue.message }));
}

/**
 * Parses a body as JSON when the media type says so, else as YAML (a superset of JSON).
 * YAML merge keys (`<<: *defaults`, `<<: [*a, *b]`, from YAML 1.1's merge type) are accepted
 * because Loom's own YAML library (go-yaml) accepts them, so Loom configs use them; keys written
 * in the mapping win over merged ones, and an earlier source over a later one. A merged alias
 * counts against the same alias cap as any other, so a "billion laughs" document built from
 * merges cannot blow up memory either.
 */
export function parseDocument(
  text: string,
  contentType: string | undefined,
): { ok: true; document: unknown } | { ok: false; issues: ConfigIssue[] } {
  const json = /\bjson\b/i.test(contentType ?? "");
  try {
    const document = json ? JSON.parse(text) : parseYaml(text, { maxAliasCount: 100, merge: true, prettyErrors: false, uniqueKeys: true });
    return { ok: true, document };
  } catch (error) {
    const message = error instanceof Error ? error.message.split("\n")[0]! : "unreadable document";
    return { ok: false, issues: [{ path: "(root)", message: `${json ? "JSON" : "YAML"} syntax error: ${message}` }] };
  }
}

/**
 * Endpoints whose `${VAR}` references are all set in the save's environment, the deployment's,
 * but make no valid endpoint: refused now, where the operator sees it (an unset one is a warning).
 */
function invalidEndpoints(config: Config, env: Record<string, unknown>): ConfigIssue[] {
  return resolveUpstreams(config.upstreams, env).unresolved.flatMap(({ path, message, unset }) => (unset ? [] : [{ path, message }]));
}

/**
 * Validates a parsed document; on success also returns the edge warnings for it. A document with
 * `${VAR}` references outside endpoints and secret fields is validated resolved with `env`, the
 * environment of the deployment it is saved to (config/resolved-config.ts); `config` is then
 * what its isolates serve, and must not be shown (it holds the values).
 */
export function validateConfig(document: unknown, env: Record<string, unknown>): ValidationResult {
  if (document === null || typeof document !== "object" || Array.isArray(document)) {
    return { ok: false, issues: [{ path: "(root)", message: "the config must be a mapping (an object) of blocks" }] };
  }
  const record = document as Record<string, unknown>;
  if (valueReferences(record).length > 0) {
    const resolution = resolveForSave(record, env);
    if (!resolution.ok) return resolution;
    const invalid = invalidEndpoints(resolution.config, env);
    if (invalid.length > 0) return { ok: false, issues: invalid };
    const warnings = [...edgeWarnings(record, resolution.config, env), ...variableWarnings(resolution.unset)];
    return {
      ok: true,
      document: record,
      config: resolution.config,
      warnings: warnings.map((warning) => maskValues(warning, resolution.values)),
    };
  }
  const result = configSchema.safeParse(document);
  if (!result.success) return { ok: false, issues: zodIssues(result.error) };
  const invalid = invalidEndpoints(result.data, env);
  if (invalid.length > 0) return { ok: false, issues: invalid };
  return { ok: true, document: record, config: result.data, warnings: edgeWarnings(record, result.data, env) };
}
