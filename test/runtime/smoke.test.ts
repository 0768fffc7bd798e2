import { exports, env } from "cloudflare:workers";
import { expect, it } from "vitest";

it("answers and has bindings", async () => {
  const res = await exports.default.fetch("http://gw.test/__ping");
  expect(await res.text()).toBe("ok");
  const row = await env.DB.prepare("select count(*) as n from audit_log").first<{ n: number }>();
  expect(row?.n).toBe(0);
  await expect(env.DB.prepare("delete from audit_log").run()).resolves.toBeTruthy();
});
