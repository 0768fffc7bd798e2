/**
 * Rewrites README's "Loom config reference" table (between <!-- config-reference:start --> and
 * <!-- config-reference:end -->) from the config schema and the key status table, exactly as the
 * admin API's /openapi.json marks them (worker/admin/config-reference.ts). A test fails while
 * README and the OpenAPI document disagree; run this after changing a key:
 *
 *   npm run docs:config
 */
import { build } from "esbuild";
import { readFileSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const ROOT = join(dirname(fileURLToPath(import.meta.url)), "..");
const README = join(ROOT, "README.md");
const BLOCK = /(<!-- config-reference:start -->\n)[\s\S]*?(<!-- config-reference:end -->)/;

const { outputFiles } = await build({
  stdin: {
    contents: `
      import { configSchema } from "./worker/config/schema";
      import { annotateKeyStatus, configReferenceTable, jsonSchemaOf } from "./worker/admin/config-reference";
      const schema = jsonSchemaOf(configSchema);
      annotateKeyStatus(schema);
      export const table = configReferenceTable(schema);
    `,
    resolveDir: ROOT,
    loader: "ts",
  },
  bundle: true,
  format: "esm",
  platform: "node",
  write: false,
  logLevel: "silent",
});
const { table } = await import(`data:text/javascript;base64,${Buffer.from(outputFiles[0].text).toString("base64")}`);
const readme = readFileSync(README, "utf8");
if (!BLOCK.test(readme)) throw new Error("README.md has no <!-- config-reference:start --> … <!-- config-reference:end --> block");
const updated = readme.replace(BLOCK, (_, start, end) => `${start}${table}\n${end}`);
if (updated !== readme) writeFileSync(README, updated);
console.log(updated === readme ? "README's config reference is up to date" : "README's config reference rewritten");
