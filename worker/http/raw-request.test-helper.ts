/**
 * For tests: a request whose `url` is exactly the given raw string. The runtime hands the worker
 * the raw request target (`request.url` keeps `..`, `%2e` and `\` as the client sent them), but
 * `new Request(url)` in a test would normalise it first (WHATWG URL parsing).
 */
export function rawRequest(rawUrl: string, init?: RequestInit): Request {
  const request = new Request("http://placeholder.invalid/", init);
  return new Proxy(request, {
    get(target, property) {
      if (property === "url") return rawUrl;
      const value: unknown = Reflect.get(target, property, target);
      return typeof value === "function" ? value.bind(target) : value;
    },
  });
}
