/**
 * `npm test`: every test, in two runs because they need different hosts. First the runtime
 * tests inside workerd (vitest.config.ts), then the end-to-end tests in Node against
 * `wrangler dev` (vitest.e2e.config.ts); the second runs only when the first passed.
 *
 * Arguments go to both runs, so `npm test -- worker/policies/x/index.test.ts` still runs that
 * one file: the run whose config has no matching file then passes with no tests.
 */
import { spawnSync } from "node:child_process";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const ROOT = join(dirname(fileURLToPath(import.meta.url)), "..");
const VITEST = join(ROOT, "node_modules", "vitest", "vitest.mjs");
const args = process.argv.slice(2);
const filtered = args.length > 0 ? ["--passWithNoTests"] : [];

for (const config of ["vitest.config.ts", "vitest.e2e.config.ts"]) {
  const run = spawnSync(process.execPath, [VITEST, "run", "-c", config, ...filtered, ...args], { cwd: ROOT, stdio: "inherit" });
  if (run.status !== 0) process.exit(run.status ?? 1);
}
