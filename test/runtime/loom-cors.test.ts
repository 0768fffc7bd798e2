/**
 * Loom's top-level `cors` block (its code's dialect) through the whole request path: saved
 * through the admin API, then a preflight and a request to the fake origin; and the rule that
 * the two dialects may not both state the global policy.
 */
import { beforeAll, describe, expect, it } from "vitest";
import { admin, json, putConfig, send } from "./admin-harness";

const loomCors = {
  enabled: true,
  allow_origins: ["https://app.example.com", "https://*.example.org"],
  allow_methods: ["GET", "POST", "PUT"],
  allow_headers: ["Content-Type", "X-Trace"],
  expose_headers: ["X-Request-Id"],
  max_age: 600,
  allow_credentials: true,
};

const base = {
  routes: [
    { id: "api", path: "/api/*", upstream: "origin" },
    { id: "own", path: "/own/*", upstream: "origin", cors: { origins: ["https://own.example.net"] } },
  ],
  upstreams: [{ name: "origin", endpoints: ["https://origin.test"] }],
};

describe("Loom's top-level cors", () => {
  beforeAll(async () => {
    await putConfig({ ...base, cors: loomCors });
  });

  it("answers a preflight at the edge with Loom's allow_* values", async () => {
    const res = await send("https://gw.test/api/items", {
      method: "OPTIONS",
      headers: { Origin: "https://app.example.com", "Access-Control-Request-Method": "PUT", "Access-Control-Request-Headers": "x-trace" },
    });
    expect(res.status).toBe(204);
    expect(res.headers.get("Access-Control-Allow-Origin")).toBe("https://app.example.com");
    expect(res.headers.get("Access-Control-Allow-Credentials")).toBe("true");
    expect(res.headers.get("Access-Control-Max-Age")).toBe("600");
    expect(res.headers.get("Access-Control-Allow-Methods")).toMatch(/PUT/);
  });

  it("admits a subdomain of a https://*.example.org origin, and not the parent domain", async () => {
    const sub = await send("https://gw.test/api/items", { headers: { Origin: "https://a.b.example.org" } });
    expect(sub.headers.get("Access-Control-Allow-Origin")).toBe("https://a.b.example.org");
    expect(sub.headers.get("Access-Control-Expose-Headers")).toMatch(/X-Request-Id/i);
    const parent = await send("https://gw.test/api/items", { headers: { Origin: "https://example.org" } });
    expect(parent.headers.get("Access-Control-Allow-Origin")).toBeNull();
  });

  it("yields to a route's own cors block on that route", async () => {
    const res = await send("https://gw.test/own/x", { headers: { Origin: "https://app.example.com" } });
    expect(res.headers.get("Access-Control-Allow-Origin")).toBeNull();
    const own = await send("https://gw.test/own/x", { headers: { Origin: "https://own.example.net" } });
    expect(own.headers.get("Access-Control-Allow-Origin")).toBe("https://own.example.net");
  });
});

describe("Loom's top-level cors when saved", () => {
  const issuesOf = async (document: unknown) => {
    const res = await admin("/config/validate", json("POST", document));
    expect(res.status).toBe(400);
    return ((await res.json()) as { issues: { path: string; message: string }[] }).issues;
  };

  it("does nothing unless enabled, as in Loom", async () => {
    await putConfig({ ...base, cors: { allow_origins: ["https://app.example.com"] } });
    const res = await send("https://gw.test/api/items", { headers: { Origin: "https://app.example.com" } });
    expect(res.headers.get("Access-Control-Allow-Origin")).toBeNull();
  });

  it("is refused beside middleware.cors, naming both", async () => {
    const issues = await issuesOf({ ...base, cors: loomCors, middleware: { cors: { origins: ["https://app.example.com"] } } });
    expect(issues).toContainEqual({ path: "cors", message: expect.stringMatching(/cors and middleware\.cors/) });
  });

  it("refuses `*` with allow_credentials, at allow_origins (Fetch standard)", async () => {
    const issues = await issuesOf({ ...base, cors: { enabled: true, allow_origins: ["*"], allow_credentials: true } });
    expect(issues).toContainEqual({ path: "cors.allow_origins", message: expect.stringMatching(/credentials/) });
  });

  it("refuses enabled without an origin, and an unknown key, by path", async () => {
    expect(await issuesOf({ ...base, cors: { enabled: true } })).toContainEqual({
      path: "cors.allow_origins",
      message: expect.any(String),
    });
    const unknown = await issuesOf({ ...base, cors: { enabled: true, allow_origins: ["*"], allow_origin: ["*"] } });
    expect(unknown.map((issue) => issue.path)).toContain("cors");
  });
});
