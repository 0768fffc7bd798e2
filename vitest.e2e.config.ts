import { defineConfig } from "vitest/config";

// End-to-end tests: plain Node, real HTTP. Each test file starts its own origin server and
// `wrangler dev` (test/e2e/harness.ts), so files are independent and may run side by side.
export default defineConfig({
  test: {
    include: ["test/e2e/**/*.test.ts"],
    environment: "node",
    // Starting wrangler dev (build, workerd, migrations) takes seconds, more on a cold machine.
    hookTimeout: 120_000,
    testTimeout: 30_000,
    teardownTimeout: 20_000,
    maxWorkers: 2,
  },
});
