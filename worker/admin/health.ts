/** Liveness of the two stores the admin API needs; 503 when either is down. */
import { readPointer } from "../config/kv";
import type { AdminContext, AdminEndpoint } from "./context";
import { compiledConfigOf } from "../pipeline/request-context";

async function probe<T>(check: () => Promise<T>): Promise<{ ok: true; value: T } | { ok: false }> {
  try {
    return { ok: true, value: await check() };
  } catch {
    return { ok: false };
  }
}

async function health(c: AdminContext) {
  const [kv, d1] = await Promise.all([probe(() => readPointer(c.env.CONFIG)), probe(() => c.env.DB.prepare("SELECT 1").first())]);
  const healthy = kv.ok && d1.ok;
  return c.json(
    {
      status: healthy ? "ok" : "degraded",
      config_version: kv.ok ? kv.value : null,
      serving_version: compiledConfigOf(c).version,
      kv: kv.ok ? "ok" : "error",
      d1: d1.ok ? "ok" : "error",
    },
    healthy ? 200 : 503,
  );
}

export const healthEndpoint: AdminEndpoint = {
  method: "GET",
  path: "/health",
  summary: "Health of KV and D1",
  responses: { 200: { description: "Both stores answer.", schema: "Health" }, 503: { description: "A store is down.", schema: "Health" } },
  handler: health,
};
