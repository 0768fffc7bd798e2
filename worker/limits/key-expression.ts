/**
 * Key expressions (`rate_limit.key`; also the key of an AI token budget without a consumer):
 * text with `${client_ip}`, `${consumer}`, `${tenant}`, `${route}`, `${method}`, `${host}`,
 * `${jwt.CLAIM}` (dotted for nested claims) and
 * `${header.NAME}`, compiled once into a function of the request. `${header.NAME}` of an identity
 * header the gateway asserts (a claim, consumer or certificate header) is the verified value
 * authentication found, never the client's copy: the value the upstream receives.
 *
 * A value the request does not carry (no consumer, no such claim or header) becomes
 * `ip:<client address>`, as Kong's limit_by falls back to the IP: anonymous requests are then
 * limited per address instead of all sharing one counter. Client-supplied values (headers,
 * claims) are percent-encoded so that they cannot spell the separators of another key.
 */
import type { Context } from "hono";
import type { AppEnv } from "../env";

type Part = (c: Context<AppEnv>) => string | undefined;

const PLACEHOLDER = /\$\{([^}]+)\}/g;

function claim(payload: unknown, path: string): string | undefined {
  let value = payload;
  for (const name of path.split(".")) {
    if (value === null || typeof value !== "object") return undefined;
    value = (value as Record<string, unknown>)[name];
  }
  return typeof value === "string" || typeof value === "number" || typeof value === "boolean" ? String(value) : undefined;
}

function present(value: string | undefined): string | undefined {
  return value === undefined || value === "" ? undefined : value;
}

/** The verified value of identity header `name` (lower case), as the proxy will send it. */
function identityValue(c: Context<AppEnv>, name: string): string | undefined {
  let value: string | undefined;
  for (const [header, headerValue] of c.get("identityHeaders") ?? []) if (header.toLowerCase() === name) value = headerValue;
  return value;
}

function variable(name: string, identityHeaders: ReadonlySet<string>): Part {
  if (name.startsWith("jwt.")) {
    const path = name.slice(4);
    return (c) => {
      const value = present(claim(c.get("jwt"), path));
      return value === undefined ? undefined : encodeURIComponent(value);
    };
  }
  if (name.startsWith("header.")) {
    const header = name.slice(7);
    const identity = identityHeaders.has(header.toLowerCase());
    return (c) => {
      const value = present(identity ? identityValue(c, header.toLowerCase()) : c.req.header(header));
      return value === undefined ? undefined : encodeURIComponent(value);
    };
  }
  switch (name) {
    case "client_ip":
      return (c) => present(c.get("clientIp"));
    case "consumer":
      return (c) => present(c.get("consumer"));
    case "tenant":
      return (c) => present(c.get("tenant"));
    case "route":
      return (c) => c.get("route")?.id;
    case "method":
      return (c) => c.req.method;
    case "host":
      return (c) => new URL(c.req.url).hostname.toLowerCase();
    default:
      throw new Error(`rate_limit.key: unknown variable \${${name}}`);
  }
}

/** Compiles `expression`; throws on an unknown variable (the schema refuses those first). */
export function compileKey(expression: string, identityHeaders: readonly string[] = []): (c: Context<AppEnv>) => string {
  const identity = new Set(identityHeaders.map((name) => name.toLowerCase()));
  const parts: (string | Part)[] = [];
  let last = 0;
  for (const match of expression.matchAll(PLACEHOLDER)) {
    if (match.index > last) parts.push(expression.slice(last, match.index));
    parts.push(variable(match[1]!, identity));
    last = match.index + match[0].length;
  }
  if (last < expression.length) parts.push(expression.slice(last));
  return (c) => parts.map((part) => (typeof part === "string" ? part : (part(c) ?? `ip:${c.get("clientIp") || "unknown"}`))).join("");
}
