/** Request bodies and the error answers shared by the admin endpoints. */
import { bodyLimit } from "hono/body-limit";
import type { MiddlewareHandler } from "hono";
import { parseDocument, type ConfigIssue } from "../config/parse";
import { versionTag } from "../config/version-tag";
import { httpError } from "../http/errors";
import type { ErrorCode } from "../http/error-catalogue";
import type { AdminContext, AdminEnv } from "./context";

/** Largest admin request body: a config, one route or upstream, or a document. */
export const MAX_BODY_BYTES = 1024 * 1024;

/** 413 above MAX_BODY_BYTES, whether or not the request declares a Content-Length. */
export const limitBody: MiddlewareHandler<AdminEnv> = bodyLimit({
  maxSize: MAX_BODY_BYTES,
  onError: () => {
    throw httpError("payload_too_large", `admin request bodies are limited to ${MAX_BODY_BYTES} bytes`);
  },
});

export const YAML_MEDIA_TYPES = ["application/yaml", "text/yaml", "application/x-yaml"];

/** `code` (400, or 409 `conflict`) listing every issue; nothing was changed. */
export function invalid(code: ErrorCode, issues: ConfigIssue[]) {
  const count = issues.length === 1 ? "1 problem" : `${issues.length} problems`;
  return httpError(code, `${count}; nothing was changed`, { extra: { issues } });
}

/** The body as UTF-8 text. Decoded here: workerd warns about `.text()` on YAML media types. */
export async function readBodyText(c: AdminContext): Promise<string> {
  return new TextDecoder().decode(await c.req.arrayBuffer());
}

/** The body as JSON (`application/json`) or YAML (the YAML media types), or 400 `code`; the endpoint's media-type guard (csrf.ts) let no other type through. */
export async function readStructuredBody(c: AdminContext, code: ErrorCode): Promise<unknown> {
  const parsed = parseDocument(await readBodyText(c), c.req.header("Content-Type"));
  if (!parsed.ok) throw invalid(code, parsed.issues);
  return parsed.document;
}

export function notFound(what: string) {
  return httpError("not_found", `${what} does not exist`);
}

/** `ETag: "N"` (strong: a version never changes) and `X-Config-Version: N`. */
export function setVersionHeaders(c: AdminContext, version: number): void {
  c.header("ETag", versionTag(version));
  c.header("X-Config-Version", String(version));
}
