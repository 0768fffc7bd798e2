/**
 * One JSON line per request (`console.log`, which Workers Logs and `wrangler tail` collect),
 * with the fields `logging.access_log.fields` lists, in that order, written after the response
 * is known: also for errors, which Hono has turned into `c.res` by then, and for a throw that
 * escaped every error handler (logged as 500, the runtime's answer, then rethrown).
 *
 * Values the client controls and that can carry credentials (path, query, referer, user agent)
 * go through redactText, which also removes the values of the gateway's secrets and of the
 * `${VAR}` secrets the config references (`secretVariables`). A field without a value (no route matched, no upstream called, a
 * response of unknown length) is null, so every line has the same keys.
 *
 * Times are wall clock. Inside a Worker the clock advances only while waiting on I/O, so
 * `duration_ms` measures waiting (mostly the upstream), not CPU time.
 */
import type { Context, MiddlewareHandler } from "hono";
import type { AppEnv, RequestTarget } from "../env";
import { contentLength } from "../http/body";
import { targetOf } from "../http/request-target";
import { redactText, secretsOfEnv } from "./redact";
import type { ACCESS_LOG_FIELDS, AccessLogOptions } from "./schema";

type Field = (typeof ACCESS_LOG_FIELDS)[number];

interface Exchange {
  c: Context<AppEnv>;
  target: RequestTarget;
  startedAt: number;
  finishedAt: number;
  status: number;
  /** Literal secret values to remove from every field. */
  secrets: string[];
}

function requestHeader(x: Exchange, name: string): string | undefined {
  const value = x.c.req.header(name);
  return value === undefined ? undefined : redactText(value, x.secrets);
}

/** The second of the last timestamp written, and its ISO 8601 form up to the dot before the milliseconds. */
let lastSecond = Number.NaN;
let lastSecondPrefix = "";

/**
 * `new Date(ms).toISOString()`, formatting the date and time only when the second changes: a
 * Worker's clock stands still while it runs, so a busy isolate logs many lines per second.
 */
export function isoTimestamp(ms: number): string {
  const second = Math.floor(ms / 1000);
  if (second !== lastSecond) {
    const iso = new Date(second * 1000).toISOString();
    // Years outside 0000-9999 have a sign and six digits: format those whole.
    if (iso.length !== 24) return new Date(ms).toISOString();
    lastSecond = second;
    lastSecondPrefix = iso.slice(0, 20);
  }
  const millis = ms - second * 1000;
  return `${lastSecondPrefix}${millis < 10 ? "00" : millis < 100 ? "0" : ""}${millis}Z`;
}

const FIELDS: Record<Field, (x: Exchange) => string | number | undefined> = {
  timestamp: (x) => isoTimestamp(x.startedAt),
  request_id: (x) => x.c.get("requestId"),
  client_ip: (x) => x.c.get("clientIp"),
  method: (x) => x.c.req.method,
  host: (x) => x.target.authority,
  path: (x) => redactText(x.target.path, x.secrets),
  query: (x) => redactText(x.target.query.slice(1), x.secrets),
  status: (x) => x.status,
  route: (x) => x.c.get("route")?.id,
  upstream: (x) => x.c.get("upstream"),
  duration_ms: (x) => x.finishedAt - x.startedAt,
  upstream_duration_ms: (x) => x.c.get("upstreamMs"),
  bytes_sent: (x) => contentLength(x.c.res.headers),
  user_agent: (x) => requestHeader(x, "user-agent"),
  referer: (x) => requestHeader(x, "referer"),
  // With token_counting: a JSON answer's usage is read before this line; a stream's comes after it (null here).
  ai_input_tokens: (x) => x.c.get("aiUsage")?.inputTokens,
  ai_output_tokens: (x) => x.c.get("aiUsage")?.outputTokens,
  ai_cost: (x) => {
    const usage = x.c.get("aiUsage");
    return usage && usage.costMicros / 1_000_000;
  },
};

export interface AccessLogSecrets {
  /** The `${VAR}` names the config references; their values never appear in a line. */
  secretVariables?: readonly string[];
}

export const accessLog = (
  options: AccessLogOptions | undefined,
  { secretVariables = [] }: AccessLogSecrets = {},
): MiddlewareHandler<AppEnv> => {
  const fields = options?.enabled ? options.fields.map((name) => [name, FIELDS[name]] as const) : [];
  const secretsOf = secretsOfEnv(secretVariables);

  function write(c: Context<AppEnv>, startedAt: number, status: number): void {
    const secrets = secretsOf(c.env ?? {});
    const x: Exchange = { c, target: targetOf(c), startedAt, finishedAt: Date.now(), status, secrets };
    const line: Record<string, string | number | null> = {};
    for (const [name, value] of fields) line[name] = value(x) ?? null;
    console.log(JSON.stringify(line));
  }

  return async function accessLog(c, next) {
    if (fields.length === 0) return next();
    // requestContext sets startedAt first; without it (tests, another app), time from here.
    const startedAt = c.get("startedAt") ?? Date.now();
    try {
      await next();
    } catch (error) {
      write(c, startedAt, 500);
      throw error;
    }
    write(c, startedAt, c.res.status);
  };
};
