import { describe, expect, it } from "vitest";
import { configSchema } from "../config/schema";
import { withLongestRouteTimeout } from "./compile";

describe("withLongestRouteTimeout", () => {
  const config = configSchema.parse({
    routes: [
      { id: "slow", path: "/slow/*", upstream: "origin", timeout: "45s" },
      { id: "quick", path: "/quick/*", upstream: "origin", timeout: "2s" },
      { id: "plain", path: "/plain/*", upstream: "origin" },
      { id: "other", path: "/other/*", upstream: "elsewhere", timeout: "90s" },
    ],
    upstreams: [
      { name: "origin", endpoints: ["https://origin.example.com"], timeout: "10s" },
      { name: "elsewhere", endpoints: ["https://elsewhere.example.com"] },
      { name: "idle", endpoints: ["https://idle.example.com"], timeout: "5s" },
    ],
  });
  const [origin, elsewhere, idle] = config.upstreams.map((upstream) => withLongestRouteTimeout(upstream, config.routes).timeout);

  it("gives the circuit's probe the longest timeout a route of the upstream sets, when longer than the upstream's", () => {
    expect(origin).toBe(45_000);
    expect(elsewhere).toBe(90_000);
  });

  it("keeps the upstream's own timeout when no route sets a longer one", () => {
    expect(idle).toBe(5_000);
  });
});
