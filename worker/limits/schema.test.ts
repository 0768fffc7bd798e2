import { describe, expect, it } from "vitest";
import { configSchema } from "../config/schema";

const limitOf = (auth_failure_limit?: unknown) => configSchema.safeParse(auth_failure_limit === undefined ? {} : { auth_failure_limit });

describe("auth_failure_limit", () => {
  it("is on by default: 100 failures a minute block a client for a minute", () => {
    expect(limitOf().data?.auth_failure_limit).toEqual({ enabled: true, max_failures: 100, window: 60_000, block_for: 60_000 });
    expect(limitOf({ enabled: false }).data?.auth_failure_limit).toEqual({
      enabled: false,
      max_failures: 100,
      window: 60_000,
      block_for: 60_000,
    });
    expect(limitOf({ max_failures: 10, window: "30s", block_for: "15m" }).data?.auth_failure_limit).toEqual({
      enabled: true,
      max_failures: 10,
      window: 30_000,
      block_for: 900_000,
    });
  });

  it.each([
    [{ max_failures: 0 }, "max_failures"],
    [{ max_failures: 1.5 }, "max_failures"],
    [{ max_failures: 100_001 }, "max_failures"],
    [{ window: "500ms" }, "window"],
    [{ window: "2h" }, "window"],
    [{ window: "soon" }, "window"],
    [{ block_for: "0s" }, "block_for"],
    [{ block_for: "25h" }, "block_for"],
    [{ enabled: "yes" }, "enabled"],
    [{ max: 3 }, ""],
  ])("refuses %j at its path", (limit, key) => {
    const result = limitOf(limit);
    expect(result.success).toBe(false);
    expect(result.error!.issues.map((issue) => issue.path.join("."))).toEqual([key ? `auth_failure_limit.${key}` : "auth_failure_limit"]);
  });
});
