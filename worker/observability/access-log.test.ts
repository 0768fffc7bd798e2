import { afterEach, beforeEach, describe, expect, it, vi, type MockInstance } from "vitest";
import { Hono, type Handler } from "hono";
import { configSchema, routeSchema } from "../config/schema";
import { ACCESS_LOG_FIELDS } from "./schema";
import type { AppEnv } from "../env";
import { httpError } from "../http/errors";
import { accessLog, isoTimestamp } from "./access-log";
import { appWithRequestContext } from "./request-context.test-helper";
import type { AccessLogOptions } from "./schema";

const allFields = configSchema.parse({ logging: { access_log: { fields: [...ACCESS_LOG_FIELDS] } } }).logging!.access_log!;
const route = routeSchema.parse({ id: "api", path: "/api/*", upstream: "backend" });

/** requestContext and a proxy that found `terminal`'s answer, stood in for. */
function app(options: AccessLogOptions | undefined, terminal: Handler<AppEnv> = (c) => c.text("hello")) {
  const hono = appWithRequestContext();
  hono.use(accessLog(options));
  hono.all("*", async (c, next) => {
    c.set("route", { id: route.id, config: route, params: {}, path: c.req.path, forwardPath: c.req.path });
    c.set("upstream", "backend");
    c.set("upstreamMs", 12);
    return terminal(c, next);
  });
  return hono;
}

let log: MockInstance<typeof console.log>;
beforeEach(() => {
  log = vi.spyOn(console, "log").mockImplementation(() => {});
});
afterEach(() => {
  vi.restoreAllMocks();
});

function lines(): Record<string, unknown>[] {
  return log.mock.calls.map(([line]) => JSON.parse(String(line)) as Record<string, unknown>);
}

describe("accessLog", () => {
  it("writes one JSON line with the configured fields, in order", async () => {
    const response = await app(allFields).request("https://api.example.com/api/items?page=2", {
      headers: { "User-Agent": "curl/8.5", Referer: "https://example.com/list" },
    });
    expect(response.status).toBe(200);
    expect(log).toHaveBeenCalledTimes(1);
    const [line] = lines();
    expect(Object.keys(line!)).toEqual([...ACCESS_LOG_FIELDS]);
    expect(line).toMatchObject({
      timestamp: "2026-05-01T10:00:00.000Z",
      request_id: "req-1",
      client_ip: "203.0.113.7",
      method: "GET",
      host: "api.example.com",
      path: "/api/items",
      query: "page=2",
      status: 200,
      route: "api",
      upstream: "backend",
      upstream_duration_ms: 12,
      bytes_sent: null,
      user_agent: "curl/8.5",
      referer: "https://example.com/list",
    });
    expect(typeof line!.duration_ms).toBe("number");
  });

  it("writes only the fields asked for, null where there is no value", async () => {
    const some = configSchema.parse({ logging: { access_log: { fields: ["method", "status", "bytes_sent", "referer"] } } }).logging!
      .access_log!;
    await app(some, (c) => c.body("12345", 200, { "Content-Length": "5" })).request("https://gw.test/");
    expect(lines()).toEqual([{ method: "GET", status: 200, bytes_sent: 5, referer: null }]);
  });

  it("never writes secrets from the query, the path or the headers", async () => {
    const secrets = ["k-4f8a9c2e", "t-77d1e0b3", "pw-hunter2", "sk-proj-AbCdEfGhIjKlMnOpQrSt", "bearer-3c9e1a"];
    await app(allFields).request(
      `https://gw.test/api/items/${secrets[3]}?api_key=${secrets[0]}&token=${secrets[1]}&password=${secrets[2]}&page=1`,
      {
        headers: {
          Authorization: `Bearer ${secrets[4]}`,
          Referer: `https://example.com/?access_token=${secrets[1]}`,
          "User-Agent": `bot Bearer ${secrets[4]}`,
        },
      },
    );
    const written = String(log.mock.calls[0]![0]);
    for (const secret of secrets) expect(written).not.toContain(secret);
    expect(lines()[0]).toMatchObject({ query: "api_key=[REDACTED]&token=[REDACTED]&password=[REDACTED]&page=1" });
  });

  it("logs gateway errors with their status", async () => {
    await app(allFields, () => {
      throw httpError("payload_too_large", "too big");
    }).request("https://gw.test/api/upload", { method: "POST", body: "x" });
    expect(lines()[0]).toMatchObject({ method: "POST", status: 413 });
  });

  it("logs unexpected failures as the 500 the error handler made of them", async () => {
    vi.spyOn(console, "error").mockImplementation(() => {});
    const response = await app(allFields, () => {
      throw new Error("bug");
    }).request("https://gw.test/api/x");
    expect(response.status).toBe(500);
    expect(lines()[0]).toMatchObject({ status: 500 });
  });

  it("logs a throw that escapes every error handler as 500, and rethrows it", async () => {
    const failing = app(allFields, () => {
      throw "not an Error"; // Hono's error handlers only take Error instances
    });
    await expect(failing.request("https://gw.test/api/x")).rejects.toBe("not an Error");
    expect(lines()).toHaveLength(1);
    expect(lines()[0]).toMatchObject({ status: 500, route: "api" });
  });

  it("removes the values of the referenced and the gateway's own secrets from every field", async () => {
    const hono = new Hono<AppEnv>();
    hono.use(accessLog(allFields, { secretVariables: ["PARTNER_KEY"] }));
    hono.all("*", (c) => c.text("ok"));
    const env = {
      PARTNER_KEY: "partner-value-42",
      ADMIN_TOKEN: "admin-token-value",
      VAULT_ROOT_KEY: "vault-root-value",
      UNREFERENCED: "kept-value-7",
    };
    await hono.request(
      "https://gw.test/a/partner-value-42/b?q=vault-root-value&r=kept-value-7",
      { headers: { "User-Agent": "bot admin-token-value", Referer: "https://x.test/?p=partner-value-42" } },
      env,
    );
    const line = JSON.stringify(lines()[0]);
    for (const secret of ["partner-value-42", "admin-token-value", "vault-root-value"]) expect(line).not.toContain(secret);
    expect(lines()[0]).toMatchObject({ path: "/a/[REDACTED]/b", query: "q=[REDACTED]&r=kept-value-7", user_agent: "bot [REDACTED]" });
  });

  it("writes nothing when disabled or not configured", async () => {
    const disabled = configSchema.parse({ logging: { access_log: { enabled: false } } }).logging!.access_log!;
    await app(disabled).request("https://gw.test/");
    await app(undefined).request("https://gw.test/");
    expect(log).not.toHaveBeenCalled();
  });
});

describe("isoTimestamp", () => {
  it("is toISOString, within a second, across seconds, and for every millisecond width", () => {
    const base = Date.parse("2026-11-26T01:59:59.000Z");
    for (const ms of [0, 1, 9, 10, 99, 100, 999, 1000, 1001, 61_005, -1, 86_400_000 * 365]) {
      expect(isoTimestamp(base + ms)).toBe(new Date(base + ms).toISOString());
    }
    // The same second again, after another one was formatted.
    expect(isoTimestamp(base + 7)).toBe(new Date(base + 7).toISOString());
  });

  it("formats years outside 0000-9999 whole", () => {
    for (const ms of [Date.parse("+010000-01-01T00:00:00.123Z"), Date.parse("-000001-06-01T00:00:00.005Z"), 0]) {
      expect(isoTimestamp(ms)).toBe(new Date(ms).toISOString());
    }
  });
});
