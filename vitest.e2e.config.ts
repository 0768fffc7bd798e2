import { defineConfig } from "vitest/config";

// End-to-end tests: plain Node, real HTTP. Each test file starts its own origin server and
// `wrangler dev` (test/e2e/harness.ts), so files are independent and may run side by side.
//
// Files that measure behaviour in real time (admissions per second across isolates) run alone:
// beside another file's workerd on a 2-core machine their requests bunch up, and a bucket that
// admits 0.8x its rate refuses some. `npm test` runs E2E_PART=shared, then E2E_PART=alone;
// unset, every file runs (npm run test:e2e).
// bulkhead-isolates asserts only a hard bound, but the utilisation it reports is a measurement.
const ALONE = ["test/e2e/ratelimit-isolates.test.ts", "test/e2e/bulkhead-isolates.test.ts"];
const part = process.env.E2E_PART;

export default defineConfig({
  test: {
    include: part === "alone" ? ALONE : ["test/e2e/**/*.test.ts"],
    exclude: part === "shared" ? ["**/node_modules/**", ...ALONE] : ["**/node_modules/**"],
    environment: "node",
    // Starting wrangler dev (build, workerd, migrations) takes seconds, more on a cold machine.
    hookTimeout: 120_000,
    testTimeout: 30_000,
    teardownTimeout: 20_000,
    maxWorkers: 2,
  },
});
