/**
 * Through the admin API: a config that would send a vault credential over plain http is
 * refused with 400 naming the path, and nothing changes.
 */
import { describe, expect, it } from "vitest";
import { admin, currentVersion, json, putConfig } from "./admin-harness";

describe("PUT /admin/config", () => {
  it("refuses a credential route whose upstream is plain http (not loopback), by path, and keeps the config in force", async () => {
    await putConfig({ routes: [], upstreams: [] });
    const before = await currentVersion();
    const res = await admin(
      "/config",
      json("PUT", {
        routes: [{ id: "llm", path: "/llm/*", upstream: "llm", credential: "openai", auth: { type: "api_key" } }],
        upstreams: [{ name: "llm", endpoints: ["api.example.com:8080"] }],
      }),
    );
    expect(res.status).toBe(400);
    const body = (await res.json()) as { issues: { path: string; message: string }[] };
    expect(body.issues).toEqual([
      { path: "routes[0].credential", message: expect.stringContaining("plain-http endpoint api.example.com:8080") },
    ]);
    expect(await currentVersion()).toBe(before);
  });
});
