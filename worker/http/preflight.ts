/**
 * The shape of a CORS preflight (Fetch standard §3.2.2): OPTIONS with `Origin` and
 * `Access-Control-Request-Method`. The shape alone proves nothing, since any client can send
 * it: routeMatch treats such a request as a preflight (and routes it by the method it asks
 * about) only where the route that method reaches has a CORS policy, which then answers it at
 * the edge; everywhere else it is an ordinary OPTIONS request.
 */

/** The method a preflight-shaped request asks about, upper case; undefined for any other request. */
export function preflightMethod(request: Request): string | undefined {
  if (request.method !== "OPTIONS") return undefined;
  const headers = request.headers;
  if (!headers.has("Origin")) return undefined;
  return headers.get("Access-Control-Request-Method")?.toUpperCase() ?? undefined;
}
