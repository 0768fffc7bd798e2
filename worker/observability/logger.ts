/**
 * The one structured logger for everything but the access log line: `log.error(event, fields)`
 * writes one JSON line `{ level, event, ...fields }` to the console (Workers Logs and `wrangler
 * tail` collect it, at the console method's level).
 *
 * Nothing a caller passes can put a credential in a line: every string, at any depth, goes
 * through the access log's redaction (redactText: Bearer/Basic credentials, JWTs, provider key
 * formats, PEM private keys, `token=…` parameters), and a field named like a credential
 * (SENSITIVE_NAME, as the audit log's scrubbing reads it) is written as REDACTED whole, unless it
 * is a number or a flag. A name that ends in `_id` (`root_key_id`, `key_id`) identifies a key and
 * holds none: it is kept.
 *
 * The access log (access-log.ts) writes its own line: it redacts only the fields a client
 * controls, once per request, and runs on every request; this logger is for the rare events.
 */
import { redactText, REDACTED, SENSITIVE_NAME } from "./redact";

export type LogFields = Record<string, unknown>;

const CONSOLE = { error: "error", warn: "warn", info: "info" } as const;
type Level = keyof typeof CONSOLE;

const IDENTIFIER = /_id$/i;

/** A credential is text (or a structure holding text); a number or a flag (`serving_cached_keys`) is none. */
const mayHoldText = (value: unknown): boolean => typeof value === "string" || (typeof value === "object" && value !== null);

/** JSON.stringify's replacer: the redaction above, field by field. */
function redactField(key: string, value: unknown): unknown {
  if (key !== "" && SENSITIVE_NAME.test(key) && !IDENTIFIER.test(key) && mayHoldText(value)) return REDACTED;
  return typeof value === "string" ? redactText(value) : value;
}

function write(level: Level, event: string, fields: LogFields): void {
  console[CONSOLE[level]](JSON.stringify({ level, event, ...fields }, redactField));
}

export const log = {
  error: (event: string, fields: LogFields = {}) => write("error", event, fields),
  warn: (event: string, fields: LogFields = {}) => write("warn", event, fields),
  info: (event: string, fields: LogFields = {}) => write("info", event, fields),
};

/** What a log line says of a caught error: its class name only, since a message can quote a secret or an address. */
export const errorName = (error: unknown): string => (error instanceof Error ? error.name : typeof error);
