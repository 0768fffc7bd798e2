/**
 * The Worker's build (wrangler.toml `[build]`, run by `wrangler deploy` and `wrangler dev`):
 * esbuild with code splitting, so that what only the admin API, the queue consumer or the cron
 * trigger needs (zod's schemas, the YAML parser, the admin routes, the audit archive) sits in
 * modules of their own that an isolate evaluates on first use, not at startup (README, "What a
 * cold isolate loads"). Wrangler's own bundler puts every dynamic `import()` into the one file.
 *
 *   node scripts/build.mjs [outdir]     (default dist/; prints nothing unless it fails)
 *
 * Several `wrangler dev` may build into dist/ at once (the e2e files run side by side): every
 * file is written under a temporary name and renamed, and the output is deterministic, so a
 * reader never sees half a module.
 */
import { build } from "esbuild";
import { mkdirSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync } from "node:fs";
import { dirname, join, relative } from "node:path";
import { fileURLToPath } from "node:url";

const ROOT = join(dirname(fileURLToPath(import.meta.url)), "..");

/** esbuild options shared with the cold-start measurement (bench/cold-start.mjs). */
export const BUILD_OPTIONS = {
  entryPoints: { index: join(ROOT, "worker", "index.ts") },
  bundle: true,
  splitting: true,
  format: "esm",
  // What wrangler's bundler uses for Workers: the `workerd`/`worker` builds of packages.
  platform: "neutral",
  conditions: ["workerd", "worker", "browser"],
  mainFields: ["browser", "module", "main"],
  target: "es2024",
  external: ["cloudflare:*", "node:*"],
  chunkNames: "chunks/[name]-[hash]",
  sourcemap: "linked",
  // As `keep_names = false` did for wrangler's bundler: no `__name()` call per closure created.
  keepNames: false,
  metafile: true,
  write: false,
  logLevel: "silent",
};

function sameContents(path, contents) {
  try {
    return Buffer.compare(readFileSync(path), contents) === 0;
  } catch {
    return false; // not there yet
  }
}

export async function buildWorker(outdir = join(ROOT, "dist")) {
  const result = await build({ ...BUILD_OPTIONS, outdir });
  mkdirSync(join(outdir, "chunks"), { recursive: true });
  const written = new Set();
  for (const file of result.outputFiles) {
    written.add(relative(outdir, file.path));
    // An unchanged module is not rewritten: a running `wrangler dev` reloads its Worker when its
    // upload changes, and another one's build of the same source must not make it do so (a
    // reload mid-request can answer without the run's secrets).
    if (sameContents(file.path, file.contents)) continue;
    mkdirSync(dirname(file.path), { recursive: true });
    const temporary = `${file.path}.${process.pid}.tmp`;
    writeFileSync(temporary, file.contents);
    renameSync(temporary, file.path);
  }
  // Chunks of earlier builds (their names carry a content hash); a concurrent build writes the
  // same names, so only files of no current build are removed.
  for (const name of readdirSync(join(outdir, "chunks"))) {
    if (!written.has(join("chunks", name)) && !name.endsWith(".tmp")) rmSync(join(outdir, "chunks", name), { force: true });
  }
  return result;
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  try {
    await buildWorker(process.argv[2]);
  } catch (error) {
    console.error(error.message);
    process.exit(1);
  }
}
