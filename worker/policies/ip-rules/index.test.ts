import { Hono } from "hono";
import { describe, expect, it } from "vitest";
import type { AppEnv } from "../../env";
import { errorHandler } from "../../gateway/error-handler";
import type { MatchedRoute } from "../../gateway/router";
import { ipRules } from ".";
import { log } from "../../observability/logger";
import { contains, parseCidr, parseIp } from "./cidr";
import { ipRulesSchema } from "./schema";

type RulesInput = Parameters<typeof ipRulesSchema.parse>[0];

/**
 * The policy reads `c.var.clientIp`, which requestContext fills from CF-Connecting-IP. Here the
 * test's own first middleware does the same from the request header: on Cloudflare the edge
 * sets that header, under `wrangler dev` a client could; either way X-Forwarded-For is ignored.
 */
function gateway(config: { rules?: RulesInput; routes?: Record<string, RulesInput> }) {
  const app = new Hono<AppEnv>();
  app.onError(errorHandler(log.error));
  app.use(async (c, next) => {
    c.set("clientIp", c.req.header("CF-Connecting-IP") ?? "");
    c.set("route", { id: c.req.path.split("/")[1]! } as MatchedRoute);
    await next();
  });
  app.use(
    ipRules({
      rules: config.rules === undefined ? undefined : ipRulesSchema.parse(config.rules),
      routes: Object.entries(config.routes ?? {}).map(([id, rules]) => ({ id, ip_rules: ipRulesSchema.parse(rules) })),
    }),
  );
  app.all("*", (c) => c.text("ok"));
  return (path: string, clientIp?: string, headers: Record<string, string> = {}) =>
    app.request(`https://gw.test${path}`, { headers: { ...headers, ...(clientIp === undefined ? {} : { "CF-Connecting-IP": clientIp }) } });
}

const cidr = (text: string) => {
  const parsed = parseCidr(text);
  if (!parsed.ok) throw new Error(parsed.message);
  return parsed.cidr;
};
const inBlock = (block: string, address: string) => contains(cidr(block), parseIp(address)!);

describe("addresses and blocks", () => {
  it.each([
    ["192.0.2.1", "192.0.2.1"],
    ["::ffff:192.0.2.1", "192.0.2.1"],
    ["::ffff:c000:201", "192.0.2.1"],
    ["0:0:0:0:0:ffff:192.0.2.1", "192.0.2.1"],
    ["2001:DB8::1", "2001:db8:0:0:0:0:0:1"],
    ["2001:db8::", "2001:db8:0::0"],
    ["::", "0:0:0:0:0:0:0:0"],
    ["1:2:3:4:5:6:7::", "1:2:3:4:5:6:7:0"],
    ["::2:3:4:5:6:7:8", "0:2:3:4:5:6:7:8"],
    ["1:2:3:4:5:6:1.2.3.4", "1:2:3:4:5:6:102:304"],
  ])("reads %s as %s", (a, b) => {
    expect(parseIp(a)).toBeDefined();
    expect(parseIp(a)).toBe(parseIp(b));
  });

  it.each([
    "",
    "1.2.3",
    "1.2.3.4.5",
    "256.1.1.1",
    "01.2.3.4",
    "1.2.3.-4",
    "1::2::3",
    ":::",
    "1:2:3:4:5:6:7:8:9",
    "1:2:3:4:5:6:7",
    "12345::",
    "fe80::1%eth0",
    "::ffff:1.2.3",
    "::ffff:1.2.3.4.5",
    "1.2.3.4::",
    "g::1",
    "localhost",
    " 1.2.3.4",
  ])("refuses %j as an address", (text) => {
    expect(parseIp(text)).toBeUndefined();
  });

  it("matches IPv4 blocks, IPv4-mapped clients included", () => {
    expect(inBlock("10.0.0.0/8", "10.255.1.2")).toBe(true);
    expect(inBlock("10.0.0.0/8", "11.0.0.1")).toBe(false);
    expect(inBlock("10.0.0.0/8", "::ffff:10.1.2.3")).toBe(true);
    expect(inBlock("192.0.2.7", "192.0.2.7")).toBe(true);
    expect(inBlock("192.0.2.7", "192.0.2.8")).toBe(false);
    expect(inBlock("0.0.0.0/0", "203.0.113.9")).toBe(true);
    expect(inBlock("0.0.0.0/0", "2001:db8::1")).toBe(false);
  });

  it("matches IPv6 blocks", () => {
    expect(inBlock("2001:db8::/32", "2001:db8:ffff::1")).toBe(true);
    expect(inBlock("2001:db8::/32", "2001:db9::1")).toBe(false);
    expect(inBlock("::/0", "192.0.2.1")).toBe(true);
    expect(inBlock("2001:db8::1/128", "2001:db8::1")).toBe(true);
    expect(inBlock("2001:db8::1/128", "2001:db8::2")).toBe(false);
  });

  it.each([
    ["10.0.0.1/8", "host bits"],
    ["10.0.0.0/33", "0-32"],
    ["2001:db8::/129", "0-128"],
    ["10.0.0.0/08", "0-32"],
    ["10.0.0.0/", "0-32"],
    ["10.0.0.0/8/8", "CIDR"],
    ["example.com/24", "CIDR"],
  ])("refuses the block %s", (text, message) => {
    const parsed = parseCidr(text);
    expect(parsed.ok).toBe(false);
    expect(!parsed.ok && parsed.message).toContain(message);
    expect(ipRulesSchema.safeParse({ deny: [text] }).success).toBe(false);
  });
});

describe("ip rules", () => {
  it("refuses a denied address with 403 ip_forbidden", async () => {
    const request = gateway({ rules: { deny: ["203.0.113.0/24"] } });
    const refused = await request("/api/x", "203.0.113.50");
    expect(refused.status).toBe(403);
    expect(await refused.json()).toMatchObject({ error: "ip_forbidden" });
    expect((await request("/api/x", "198.51.100.1")).status).toBe(200);
  });

  it("admits only listed addresses when there is an allow list", async () => {
    const request = gateway({ rules: { allow: ["10.0.0.0/8", "2001:db8::/32"] } });
    expect((await request("/api/x", "10.1.2.3")).status).toBe(200);
    expect((await request("/api/x", "::ffff:10.1.2.3")).status).toBe(200);
    expect((await request("/api/x", "2001:db8::7")).status).toBe(200);
    expect((await request("/api/x", "192.0.2.1")).status).toBe(403);
    expect((await request("/api/x", "2001:db9::7")).status).toBe(403);
  });

  it("lets deny win over allow", async () => {
    const request = gateway({ rules: { allow: ["10.0.0.0/8"], deny: ["10.6.6.0/24"] } });
    expect((await request("/api/x", "10.6.6.6")).status).toBe(403);
    expect((await request("/api/x", "10.7.7.7")).status).toBe(200);
  });

  it("applies the route's rules on top of the global ones", async () => {
    const request = gateway({
      rules: { allow: ["10.0.0.0/8"] },
      routes: { admin: { allow: ["10.1.0.0/16"] }, ops: { deny: ["10.2.0.0/16"] } },
    });
    expect((await request("/admin/x", "10.1.0.1")).status).toBe(200);
    expect((await request("/admin/x", "10.3.0.1")).status).toBe(403);
    expect((await request("/ops/x", "10.2.0.1")).status).toBe(403);
    expect((await request("/ops/x", "10.3.0.1")).status).toBe(200);
    expect((await request("/other/x", "192.0.2.1")).status).toBe(403); // the global allow list still applies
    const routeOnly = gateway({ routes: { admin: { allow: ["10.1.0.0/16"] } } });
    expect((await routeOnly("/admin/x", "192.0.2.1")).status).toBe(403);
    expect((await routeOnly("/public/x", "192.0.2.1")).status).toBe(200);
  });

  it("fails closed when the client address is unknown and an allow list exists", async () => {
    const request = gateway({ rules: { allow: ["10.0.0.0/8"] } });
    expect((await request("/api/x")).status).toBe(403);
    expect((await request("/api/x", "not-an-ip")).status).toBe(403);
    const denyOnly = gateway({ rules: { deny: ["10.0.0.0/8"] } });
    expect((await denyOnly("/api/x")).status).toBe(200);
  });

  it("never reads X-Forwarded-For", async () => {
    const allow = gateway({ rules: { allow: ["10.0.0.0/8"] } });
    expect((await allow("/api/x", "192.0.2.1", { "X-Forwarded-For": "10.0.0.1", "X-Real-IP": "10.0.0.1" })).status).toBe(403);
    expect((await allow("/api/x", undefined, { "X-Forwarded-For": "10.0.0.1" })).status).toBe(403);
    const deny = gateway({ rules: { deny: ["192.0.2.0/24"] } });
    expect((await deny("/api/x", "192.0.2.1", { "X-Forwarded-For": "10.0.0.1" })).status).toBe(403);
  });
});
