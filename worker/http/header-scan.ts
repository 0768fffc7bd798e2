/**
 * One pass over the client's request headers, shared by the steps that need more than a lookup
 * by name: request validation (the size of the header section) and the proxy (which of the
 * headers it must remove are present, so it deletes only those). Walking a `Headers` object
 * costs a runtime call and an allocation per field; a request pays for it once.
 */
import type { Context } from "hono";
import type { AppEnv, HeaderScan } from "../env";

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
