/**
 * One pass over the client's request headers, shared by the steps that need more than a lookup
 * by name: request validation (the size of the header section) and the proxy (which of the
 * headers it must remove are present, so it deletes only those). Walking a `Headers` object
 * costs a runtime call and an allocation per field; a request pays for it once.
 */
import type { Context } from "hono";
import type { AppEnv } from "../env";

export interface HeaderScan {
  /** The object scanned: a policy that rebuilds the request gives it new headers, and a new scan. */
  headers: Headers;
  /** The field names, lower case, each once (the runtime combines repeated fields). */
  names: string[];
  /**
   * Size of the header section as on the HTTP/1.1 wire (RFC 9112 §5: `name: value` CRLF per
   * field), of what the Worker sees: the few headers Cloudflare's edge adds count too.
   */
  size: number;
}

export function scanHeaders(headers: Headers): HeaderScan {
  const names: string[] = [];
  let size = 0;
  for (const [name, value] of headers) {
    names.push(name);
    size += name.length + value.length + 4;
  }
  return { headers, names, size };
}

/** The scan of the current request's headers (`c.req.raw.headers`), made on first use. */
export function headerScan(c: Context<AppEnv>): HeaderScan {
  const headers = c.req.raw.headers;
  let scan = c.get("headerScan");
  if (scan?.headers !== headers) {
    scan = scanHeaders(headers);
    c.set("headerScan", scan);
  }
  return scan;
}
