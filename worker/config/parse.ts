/**
 * From request body to validated config: YAML or JSON text, then the one schema, then the
 * warnings that say what the edge does with fields that have no meaning here.
 */
import { parse as parseYaml } from "yaml";
import type { z } from "zod";
import { configSchema, type Config } from "./schema";
import { edgeWarnings } from "./warnings";
import { formatPath } from "./paths";

export interface ConfigIssue {
  path: string;
  message: string;
}

export type ValidationResult =
  | { ok: true; document: Record<string, unknown>; config: Config; warnings: string[] }
  | { ok: false; issues: ConfigIssue[] };

export function zodIssues(error: z.ZodError): ConfigIssue[] {
  return error.issues.map((issue) => ({ path: formatPath(issue.path), message: issue.message }));
}

/**
 * Parses a body as JSON when the media type says so, else as YAML (a superset of JSON).
 * YAML aliases are capped so a "billion laughs" document cannot blow up memory.
 */
export function parseDocument(text: string, contentType: string | undefined): { ok: true; document: unknown } | { ok: false; issues: ConfigIssue[] } {
  const json = /\bjson\b/i.test(contentType ?? "");
  try {
    const document = json ? JSON.parse(text) : parseYaml(text, { maxAliasCount: 100, prettyErrors: false, uniqueKeys: true });
    return { ok: true, document };
  } catch (error) {
    const message = error instanceof Error ? error.message.split("\n")[0]! : "unreadable document";
    return { ok: false, issues: [{ path: "(root)", message: `${json ? "JSON" : "YAML"} syntax error: ${message}` }] };
  }
}

/** Validates a parsed document; on success also returns the edge warnings for it. */
export function validateConfig(document: unknown, env: Record<string, unknown>): ValidationResult {
  if (document === null || typeof document !== "object" || Array.isArray(document)) {
    return { ok: false, issues: [{ path: "(root)", message: "the config must be a mapping (an object) of blocks" }] };
  }
  const result = configSchema.safeParse(document);
  if (!result.success) return { ok: false, issues: zodIssues(result.error) };
  const record = document as Record<string, unknown>;
  return { ok: true, document: record, config: result.data, warnings: edgeWarnings(record, result.data, env) };
}
