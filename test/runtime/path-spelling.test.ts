/**
 * One route per resource, whatever the spelling (issue 12, SECURITY.md "Requests"): the issue's
 * own routes, through the whole worker to the echo origin. Upstreams drop `;` parameters
 * (Tomcat, Jetty, Spring), match case-insensitively (ASP.NET, IIS) and ignore a trailing slash
 * (Express), so each spelling below must reach the protected route, never the open `/api/*`.
 * Also: preflight-shaped OPTIONS requests are preflights only where a CORS policy answers them.
 */
import { beforeAll, describe, expect, it } from "vitest";
import { admin, json, putConfig, send } from "./admin-harness";

const KEY = { "X-API-Key": "demo-key-123" };

const config = {
  middleware: { request_validation: { allowed_methods: ["GET", "HEAD", "POST", "OPTIONS"] } },
  routes: [
    { id: "admin-area", path: "/api/admin/*", upstream: "echo", auth: { type: "api_key", keys: ["${DEMO_API_KEY}"] } },
    { id: "settings", path: "/api/settings", upstream: "echo", auth: { type: "api_key", keys: ["${DEMO_API_KEY}"] } },
    { id: "open", path: "/api/*", upstream: "echo", auth: "none" },
    { id: "docs", path: "/docs/*", upstream: "echo", auth: "none" },
    { id: "public-get", path: "/public/*", methods: ["GET"], upstream: "echo", auth: "none" },
    { id: "keyed-get", path: "/keyed/*", methods: ["GET"], upstream: "echo", auth: { type: "api_key", keys: ["${DEMO_API_KEY}"] } },
    {
      id: "browser",
      path: "/browser/*",
      methods: ["GET"],
      upstream: "echo",
      auth: { type: "api_key", keys: ["${DEMO_API_KEY}"] },
      cors: { origins: ["https://app.example.com"], methods: ["GET"], headers: ["X-API-Key"] },
    },
  ],
  upstreams: [{ name: "echo", endpoints: ["https://origin.test/echo"] }],
};

interface Echo {
  method: string;
  url: string;
}

/** The path the origin received, without the upstream's `/echo` base. */
async function forwarded(res: Response): Promise<string> {
  expect(res.status).toBe(200);
  const echo = await res.json<Echo>();
  return new URL(echo.url).pathname.replace(/^\/echo/, "");
}

beforeAll(async () => {
  await putConfig(config);
});

describe("paths: a spelling never reaches a route weaker than the one its loosest reading matches", () => {
  it.each(["/api/ADMIN/users", "/API/Admin/users", "/api/admin/users/", "/api/settings/", "/api/SETTINGS", "/Api/Settings/"])(
    "%s needs the key (401 without it)",
    async (path) => {
      const res = await send(path);
      expect(res.status).toBe(401);
      expect(await res.json()).toMatchObject({ error: "unauthorized" });
    },
  );

  it.each(["/api/admin;x/users", "/api/settings;x", "/api/settings;jsessionid=1/", "/api/admin%3Bx/users", "/api/open;x"])(
    "%s is refused 400 bad_path: `;` parameters are not accepted by default",
    async (path) => {
      const res = await send(path, { headers: KEY });
      expect(res.status).toBe(400);
      expect(await res.json()).toMatchObject({ error: "bad_path", message: expect.stringContaining("; path parameter") });
    },
  );

  it.each([
    ["/api/ADMIN/users", "/api/admin/users"],
    ["/API/Admin/Users", "/api/admin/Users"],
    ["/api/settings/", "/api/settings"],
    ["/Api/SETTINGS/", "/api/settings"],
    ["/api/admin/users/", "/api/admin/users/"],
    ["/docs/", "/docs/"],
    ["/DOCS/Guide/", "/docs/Guide/"],
  ])("with the key, %s reaches the upstream as the matched spelling %s", async (path, upstreamPath) => {
    expect(await forwarded(await send(path, { headers: KEY }))).toBe(upstreamPath);
  });

  it("leaves the open route open and forwards it as sent", async () => {
    expect(await forwarded(await send("/api/anything/Else"))).toBe("/api/anything/Else");
  });

  it("treats an admin prefix in any case as the admin API, never proxied", async () => {
    const res = await send("/ADMIN/config");
    expect(res.status).toBe(404);
    expect(await res.json()).toMatchObject({ error: "not_found" });
  });
});

describe("paths: allow_semicolons", () => {
  it("matches without the parameters, so the stronger route decides, and forwards them as sent", async () => {
    await putConfig({ ...config, middleware: { request_validation: { allow_semicolons: true } } });
    try {
      expect((await send("/api/admin;x/users")).status).toBe(401);
      expect((await send("/api/settings;x")).status).toBe(401);
      expect((await send("/api/ADMIN%3Bx/users")).status).toBe(401);
      expect(await forwarded(await send("/api/settings;jsessionid=1", { headers: KEY }))).toBe("/api/settings;jsessionid=1");
      expect(await forwarded(await send("/api/Admin;v=2/users", { headers: KEY }))).toBe("/api/admin;v=2/users");
    } finally {
      await putConfig(config);
    }
  });
});

describe("preflights", () => {
  const preflightOf = (method: string, origin = "https://app.example.com"): RequestInit => ({
    method: "OPTIONS",
    headers: { Origin: origin, "Access-Control-Request-Method": method },
  });

  it("routes OPTIONS as OPTIONS where no CORS policy applies: a GET-only public route answers 405, never the upstream", async () => {
    const res = await send("/public/x", preflightOf("GET"));
    expect(res.status).toBe(405);
    expect(res.headers.get("Allow")).toBe("GET, HEAD");
  });

  it("authenticates a preflight-shaped OPTIONS as OPTIONS where no CORS policy applies", async () => {
    // `/api/*` admits every method and is open; `/api/admin/*` needs a key for OPTIONS too.
    expect((await send("/api/admin/users", preflightOf("GET"))).status).toBe(401);
    const res = await send("/api/admin/users", { ...preflightOf("GET"), headers: { ...preflightOf("GET").headers, ...KEY } });
    expect(res.status).toBe(200);
    expect((await res.json<Echo>()).method).toBe("OPTIONS");
  });

  it("keeps a GET-only keyed route closed to preflight-shaped OPTIONS", async () => {
    expect((await send("/keyed/x", preflightOf("GET"))).status).toBe(405);
  });

  it("answers a real preflight at the edge where the route has a CORS policy, without credentials", async () => {
    const res = await send("/browser/x", preflightOf("GET"));
    expect(res.status).toBe(204);
    expect(res.headers.get("Access-Control-Allow-Origin")).toBe("https://app.example.com");
    expect(res.headers.get("Access-Control-Allow-Methods")).toBe("GET");
  });

  it("refuses a preflight for an origin the policy does not allow, at the edge", async () => {
    const res = await send("/browser/x", preflightOf("GET", "https://evil.example"));
    expect(res.status).toBe(403);
    expect(await res.json()).toMatchObject({ error: "cors_forbidden" });
  });

  it("checks allowed_methods on OPTIONS that is not a preflight", async () => {
    await putConfig({ ...config, middleware: { request_validation: { allowed_methods: ["GET", "HEAD", "POST"] } } });
    try {
      const res = await send("/api/open", preflightOf("GET"));
      expect(res.status).toBe(405);
      expect(res.headers.get("Allow")).toBe("GET, HEAD, POST");
      // Where a CORS policy answers it, the preflight is still answered.
      expect((await send("/browser/x", preflightOf("GET"))).status).toBe(204);
    } finally {
      await putConfig(config);
    }
  });
});

describe("config: routes that differ only in spelling", () => {
  it.each([
    ["/Orders", "/orders"],
    ["/orders/", "/orders"],
  ])("refuses %s beside %s (one of them could never match)", async (a, b) => {
    const res = await admin(
      "/config/validate",
      json("POST", {
        routes: [
          { id: "a", path: a, upstream: "echo" },
          { id: "b", path: b, upstream: "echo" },
        ],
        upstreams: config.upstreams,
      }),
    );
    expect(res.status).toBe(400);
    expect(JSON.stringify(await res.json())).toContain("could never match");
  });
});
