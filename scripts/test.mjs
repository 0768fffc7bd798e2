/**
 * `npm test`: every test, in runs because they need different hosts. First the runtime tests
 * inside workerd (vitest.config.ts), then the end-to-end tests in Node against `wrangler dev`
 * (vitest.e2e.config.ts): those that may run side by side, then those that measure in real time
 * and run alone (E2E_PART, see the config). Each run starts only when the one before passed.
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

const RUNS = [
  { config: "vitest.config.ts" },
  { config: "vitest.e2e.config.ts", part: "shared" },
  { config: "vitest.e2e.config.ts", part: "alone" },
];

for (const { config, part } of RUNS) {
  const env = part ? { ...process.env, E2E_PART: part } : process.env;
  const run = spawnSync(process.execPath, [VITEST, "run", "-c", config, ...filtered, ...args], {
    cwd: ROOT,
    stdio: "inherit",
    env,
  });
  if (run.status !== 0) process.exit(run.status ?? 1);
}
