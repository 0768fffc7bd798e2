/**
 * Field types shared by the config schema and the policies' own schemas (policies/<name>/schema.ts).
 * They live apart from schema.ts because schema.ts imports the policy schemas: were the policies
 * to import these from schema.ts, the two modules would import each other and whichever loaded
 * second would read an uninitialised binding.
 */
import { z } from "zod";
import { HTTP_METHODS } from "../methods";
import { normalizePath } from "../normalize";
import { SECRET_REF_PATTERN } from "./secrets";
import { parseDuration, parseSize } from "./units";

/** A reference to a Worker secret. Literal secrets are refused: KV never holds a secret. */
export const secretRef = z
  .string()
  .regex(
    SECRET_REF_PATTERN,
    "must be a ${VAR} reference to a Worker secret (wrangler secret put VAR); the config store never holds a secret",
  )
  .describe("A `${VAR}` reference, resolved from the Worker's secrets when a request needs it.");

export const size = z
  .union([z.string(), z.number()])
  .transform((value, ctx) => {
    const bytes = parseSize(value);
    if (bytes === undefined) {
      ctx.addIssue({ code: "custom", message: `not a size: ${JSON.stringify(value)} (use bytes or a string such as 8KB, 10MB)` });
      return z.NEVER;
    }
    return bytes;
  })
  .describe("A size: bytes, or a string with a binary unit (B, KB, MB, GB; 1KB = 1024 bytes).");

export const duration = z
  .string()
  .transform((value, ctx) => {
    const ms = parseDuration(value);
    if (ms === undefined) {
      ctx.addIssue({
        code: "custom",
        message: `not a duration: ${JSON.stringify(value)} (use a Go duration such as 500ms, 30s, 1h30m, 100us)`,
      });
      return z.NEVER;
    }
    return ms;
  })
  .describe("A Go duration string: ns, us, ms, s, m, h, combined and fractional as in 1h30m or 1.5h; under 1 ms counts as 1 ms.");

/** A duration from `minMs` to `maxMs` inclusive; `bounds` names them for people ("1s and 1h"). */
export function boundedDuration(minMs: number, maxMs: number, bounds: string) {
  return duration.refine((ms) => ms >= minMs && ms <= maxMs, `must be between ${bounds}`);
}

export const httpMethod = z.enum(HTTP_METHODS).describe("An HTTP method, upper case.");

/** An HTTP field name (RFC 9110 §5.1 token), restricted to the characters header names use in practice. */
export const headerName = z
  .string()
  .regex(/^[A-Za-z0-9][A-Za-z0-9-]{0,63}$/, "must be a header name: 1-64 letters, digits or '-'")
  .describe("An HTTP header name (case-insensitive).");

/**
 * 127.0.0.0/8 (RFC 1122 §3.2.1.3), [::1] (RFC 4291 §2.5.3), or localhost and names below it
 * (RFC 6761 §6.3), as a WHATWG URL's `hostname` spells them (lower case, IPv4 normalised: `127.1`
 * is `127.0.0.1`, IPv6 compressed): a host that only reaches the machine the gateway runs on, so
 * plain http to it crosses no network. Cloudflare's network cannot reach it at all.
 */
export function isLoopbackHost(hostname: string): boolean {
  const name = hostname.endsWith(".") ? hostname.slice(0, -1) : hostname;
  return name === "localhost" || name.endsWith(".localhost") || name === "[::1]" || /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(name);
}

/** An order between items (routes, AI providers), from -1000000 to 1000000, default 0; each field says which way it sorts. */
export const priority = z.number().int().min(-1_000_000).max(1_000_000).default(0);

/**
 * A path a check requests after an endpoint's base path (upstreams' `health_check.path`, AI
 * providers' `health_path`): in normal form, so the URL built from it (http/upstream-url.ts) can
 * only follow the endpoint's origin and base path.
 */
export const checkPath = z
  .string()
  .max(1024)
  .refine((path) => {
    const normal = normalizePath(path);
    return normal.ok && normal.path === path;
  }, "must be a path in normal form starting with / (no query, fragment, dot segments or //)");

/** A name: route ids, upstream and listener names, consumer ids and tenants. */
export const identifier = z
  .string()
  .regex(
    /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/,
    "must be 1-64 characters of letters, digits, '.', '_' or '-', starting with a letter or digit",
  );

/** Route path: `/exact`, `/users/:id`, `/api/*` (a final `*` matches the rest of the path). */
export const routePath = z
  .string()
  .max(1024)
  .superRefine((path, ctx) => {
    if (!path.startsWith("/")) ctx.addIssue({ code: "custom", message: "must start with /" });
    const segments = path.split("/").slice(1);
    segments.forEach((segment, index) => {
      if (segment === "*" && index !== segments.length - 1) {
        ctx.addIssue({ code: "custom", message: "`*` is only allowed as the last segment" });
      } else if (segment !== "*" && segment.includes("*")) {
        ctx.addIssue({ code: "custom", message: "`*` must be a whole segment, as in /api/*" });
      } else if (segment.startsWith(":") && !/^:[A-Za-z_][A-Za-z0-9_]*$/.test(segment)) {
        ctx.addIssue({ code: "custom", message: `bad parameter segment ${segment}` });
      } else if (segment === "." || segment === ".." || /%2e|%2f|%5c/i.test(segment)) {
        ctx.addIssue({ code: "custom", message: "must be in normal form (no dot segments or encoded dots/slashes)" });
      }
    });
  })
  .describe("Path pattern: exact segments, `:name` parameters, and a final `*` wildcard.");
