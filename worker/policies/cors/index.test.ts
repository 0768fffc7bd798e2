import { Hono, type MiddlewareHandler } from "hono";
import { every } from "hono/combine";
import { describe, expect, it } from "vitest";
import type { AppEnv } from "../../env";
import { errorHandler } from "../../http/error-handler";
import { httpError } from "../../http/errors";
import type { MatchedRoute } from "../../env";
import { preflightMethod } from "../../http/preflight";
import { log } from "../../observability/logger";
import { cors, corsRouteIds } from ".";
import { corsSchema } from "./schema";

type CorsInput = Parameters<typeof corsSchema.parse>[0];

/**
 * Route id = first path segment. The "upstream" counts its calls, sets its own CORS headers
 * (which the policy must replace) and refuses `/…/secret` with 401 from an inner middleware,
 * as authentication would. `combined` mirrors the lead's pipeline, where the steps run inside
 * one `every(...)` and errors travel as exceptions instead of through app.onError.
 */
function gateway(config: { cors?: CorsInput; routes?: Record<string, CorsInput | undefined> }, combined = false) {
  const upstream = { calls: 0 };
  const options = {
    cors: config.cors === undefined ? undefined : corsSchema.parse(config.cors),
    routes: Object.entries(config.routes ?? {}).map(([id, block]) => ({
      id,
      cors: block === undefined ? undefined : corsSchema.parse(block),
    })),
  };
  const policy = cors(options);
  const corsRoutes = corsRouteIds(options);
  const authLike: MiddlewareHandler<AppEnv> = async (c, next) => {
    if (c.req.path.endsWith("/secret"))
      throw httpError("unauthorized", "valid credentials are required for this route", {
        headers: { "WWW-Authenticate": 'Bearer realm="x"' },
      });
    await next();
  };
  const origin: MiddlewareHandler<AppEnv> = async (c) => {
    upstream.calls++;
    return c.text("from upstream", 200, {
      "Access-Control-Allow-Origin": "*",
      "Access-Control-Allow-Methods": "DELETE",
      Vary: "Accept-Encoding",
    });
  };
  const app = new Hono<AppEnv>();
  app.onError(errorHandler(log.error));
  // As routeMatch does: a preflight only where a policy applies (routes the options list, or any with a global block).
  app.use(async (c, next) => {
    const id = c.req.path.split("/")[1]!;
    c.set("route", { id } as MatchedRoute);
    const policyApplies =
      corsRoutes.has(id) ||
      (options.cors?.enabled !== false && options.cors !== undefined && !options.routes.some((route) => route.id === id));
    if (preflightMethod(c.req.raw) !== undefined && policyApplies) c.set("preflight", true);
    await next();
  });
  if (combined) app.all("*", every(policy, authLike, origin));
  else app.use(policy, authLike).all("*", origin);
  return { upstream, fetch: (path: string, init?: RequestInit) => app.request(`https://gw.test${path}`, init) };
}

const preflight = (origin: string, method = "PUT", headers?: string): RequestInit => ({
  method: "OPTIONS",
  headers: { Origin: origin, "Access-Control-Request-Method": method, ...(headers ? { "Access-Control-Request-Headers": headers } : {}) },
});

const site = {
  origins: ["https://app.example.com", "https://*.example.org", "http://localhost:5173"],
  methods: ["GET", "POST", "PUT"] as const,
  headers: ["Content-Type", "Authorization", "X-Request-Id"],
  expose_headers: ["X-Request-Id", "RateLimit-Remaining"],
  credentials: true,
  max_age: "1h",
};

describe("cors schema", () => {
  it.each([
    ["`*` with credentials", { origins: ["*"], credentials: true }],
    ["an origin with a path", { origins: ["https://app.example.com/"] }],
    ["the null origin", { origins: ["null"] }],
    ["a wildcard that is not the first label", { origins: ["https://app.*.example.com"] }],
    ["a bare wildcard host", { origins: ["https://*"] }],
    ["no origins", {}],
    ["a max_age beyond a day", { origins: ["*"], max_age: "48h" }],
  ])("refuses %s", (_name, block) => {
    expect(corsSchema.safeParse(block).success).toBe(false);
  });

  it("accepts a disabled block without origins, and lower-cases origins", () => {
    expect(corsSchema.parse({ enabled: false }).enabled).toBe(false);
    expect(corsSchema.parse({ origins: ["https://App.Example.COM:8443"] }).origins).toEqual(["https://app.example.com:8443"]);
  });
});

describe("actual requests", () => {
  it("echoes an allowed origin with credentials and exposed headers, replacing the upstream's CORS headers", async () => {
    const gw = gateway({ cors: site });
    const response = await gw.fetch("/api/x", { headers: { Origin: "https://app.example.com" } });
    expect(response.status).toBe(200);
    expect(response.headers.get("Access-Control-Allow-Origin")).toBe("https://app.example.com");
    expect(response.headers.get("Access-Control-Allow-Credentials")).toBe("true");
    expect(response.headers.get("Access-Control-Expose-Headers")).toBe("X-Request-Id, RateLimit-Remaining");
    expect(response.headers.get("Access-Control-Allow-Methods")).toBeNull();
    expect(response.headers.get("Vary")).toBe("Accept-Encoding, Origin");
  });

  it.each([
    ["an unlisted origin", "https://evil.test"],
    ["a look-alike domain", "https://evil-example.org"],
    ["the wildcard's suffix inside another domain", "https://example.org.evil.test"],
    ["the wildcard's apex", "https://example.org"],
    ["another scheme", "http://app.example.com"],
    ["another port", "https://app.example.com:8443"],
    ["a malformed port", "https://app.example.com:443x"],
    ["the null origin", "null"],
    ["an origin with a path", "https://app.example.com/path"],
    ["a literal wildcard", "https://*.example.org"],
  ])("gives %s no CORS headers, but still Vary: Origin and no upstream CORS headers", async (_name, origin) => {
    const gw = gateway({ cors: site });
    const response = await gw.fetch("/api/x", { headers: { Origin: origin } });
    expect(response.status).toBe(200);
    expect(response.headers.get("Access-Control-Allow-Origin")).toBeNull();
    expect(response.headers.get("Access-Control-Allow-Methods")).toBeNull();
    expect(response.headers.get("Vary")).toBe("Accept-Encoding, Origin");
  });

  it.each(["https://a.example.org", "https://a.b.example.org", "https://A.Example.ORG"])(
    "matches %s against https://*.example.org",
    async (origin) => {
      const response = await gateway({ cors: site }).fetch("/api/x", { headers: { Origin: origin } });
      expect(response.headers.get("Access-Control-Allow-Origin")).toBe(origin);
    },
  );

  it("matches an explicit port, and a default port given in the config", async () => {
    expect(
      (await gateway({ cors: site }).fetch("/api/x", { headers: { Origin: "http://localhost:5173" } })).headers.get(
        "Access-Control-Allow-Origin",
      ),
    ).toBe("http://localhost:5173");
    const gw = gateway({ cors: { origins: ["https://app.example.com:443"] } });
    expect((await gw.fetch("/api/x", { headers: { Origin: "https://app.example.com" } })).headers.get("Access-Control-Allow-Origin")).toBe(
      "https://app.example.com",
    );
  });

  it("answers `*` when any origin may read and no credentials are involved", async () => {
    const response = await gateway({ cors: { origins: ["*"] } }).fetch("/api/x", { headers: { Origin: "https://anyone.test" } });
    expect(response.headers.get("Access-Control-Allow-Origin")).toBe("*");
    expect(response.headers.get("Access-Control-Allow-Credentials")).toBeNull();
  });

  it.each([false, true])("puts CORS headers on errors thrown further in (combined pipeline: %s)", async (combined) => {
    const response = await gateway({ cors: site }, combined).fetch("/api/secret", { headers: { Origin: "https://app.example.com" } });
    expect(response.status).toBe(401);
    expect(response.headers.get("WWW-Authenticate")).toBe('Bearer realm="x"');
    expect(response.headers.get("Access-Control-Allow-Origin")).toBe("https://app.example.com");
    expect(response.headers.get("Vary")).toBe("Origin");
  });

  it("leaves requests without Origin alone apart from Vary", async () => {
    const response = await gateway({ cors: site }).fetch("/api/x");
    expect(response.headers.get("Access-Control-Allow-Origin")).toBeNull();
    expect(response.headers.get("Vary")).toBe("Accept-Encoding, Origin");
  });
});

describe("preflight", () => {
  it("is answered at the edge with 204 and the policy, without touching the upstream", async () => {
    const gw = gateway({ cors: site });
    const response = await gw.fetch("/api/x", preflight("https://a.example.org", "PUT", "content-type, x-request-id"));
    expect(response.status).toBe(204);
    expect(Object.fromEntries(response.headers)).toMatchObject({
      "access-control-allow-origin": "https://a.example.org",
      "access-control-allow-methods": "GET, POST, PUT",
      "access-control-allow-headers": "Content-Type, Authorization, X-Request-Id",
      "access-control-allow-credentials": "true",
      "access-control-max-age": "3600",
      vary: "Origin, Access-Control-Request-Method, Access-Control-Request-Headers",
    });
    expect(await response.text()).toBe("");
    expect(gw.upstream.calls).toBe(0);
  });

  it.each([
    ["a disallowed origin", preflight("https://evil-example.org")],
    ["a disallowed method", preflight("https://app.example.com", "DELETE")],
    ["a method in the wrong case", preflight("https://app.example.com", "put")],
    ["a disallowed request header", preflight("https://app.example.com", "PUT", "content-type, x-debug")],
    ["the null origin", preflight("null")],
  ])("refuses %s with 403, without touching the upstream", async (_name, init) => {
    const gw = gateway({ cors: site });
    const response = await gw.fetch("/api/x", init);
    expect(response.status).toBe(403);
    expect(await response.json()).toMatchObject({ error: "cors_forbidden" });
    expect(response.headers.get("Access-Control-Allow-Origin")).toBeNull();
    expect(gw.upstream.calls).toBe(0);
  });

  it("tells a preflight from a plain OPTIONS request", async () => {
    expect(preflightMethod(new Request("https://gw.test/", preflight("https://app.example.com", "put")))).toBe("PUT");
    expect(
      preflightMethod(new Request("https://gw.test/", { method: "OPTIONS", headers: { Origin: "https://app.example.com" } })),
    ).toBeUndefined();
    expect(
      preflightMethod(
        new Request("https://gw.test/", {
          method: "GET",
          headers: { Origin: "https://app.example.com", "Access-Control-Request-Method": "PUT" },
        }),
      ),
    ).toBeUndefined();
    const gw = gateway({ cors: site });
    expect((await gw.fetch("/api/x", { method: "OPTIONS", headers: { Origin: "https://app.example.com" } })).status).toBe(200);
    expect(gw.upstream.calls).toBe(1);
  });
});

describe("per route", () => {
  it("lets a route's block replace the global one, or switch CORS off", async () => {
    const gw = gateway({
      cors: site,
      routes: { partner: { origins: ["https://partner.test"] }, off: { enabled: false }, inherit: undefined },
    });
    expect(
      (await gw.fetch("/partner/x", { headers: { Origin: "https://app.example.com" } })).headers.get("Access-Control-Allow-Origin"),
    ).toBeNull();
    expect((await gw.fetch("/partner/x", { headers: { Origin: "https://partner.test" } })).headers.get("Access-Control-Allow-Origin")).toBe(
      "https://partner.test",
    );
    expect(
      (await gw.fetch("/inherit/x", { headers: { Origin: "https://app.example.com" } })).headers.get("Access-Control-Allow-Origin"),
    ).toBe("https://app.example.com");
    const off = await gw.fetch("/off/x", preflight("https://app.example.com"));
    expect(off.status).toBe(200); // not answered at the edge: the upstream decides
    expect(off.headers.get("Access-Control-Allow-Origin")).toBe("*"); // the upstream's own header, untouched
  });

  it("does nothing where no policy applies", async () => {
    const gw = gateway({ routes: { partner: { origins: ["https://partner.test"] } } });
    const response = await gw.fetch("/api/x", preflight("https://partner.test"));
    expect(response.status).toBe(200);
    expect(response.headers.get("Vary")).toBe("Accept-Encoding");
  });
});
