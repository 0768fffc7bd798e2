/**
 * The modules of a `wrangler deploy --dry-run --outdir` upload, for Miniflare's `modules` option
 * (with `modulesRoot: outdir`): the main module first, then the chunks scripts/build.mjs splits
 * off, which Miniflare does not find by itself.
 */
import { readdirSync, statSync } from "node:fs";
import { join, posix } from "node:path";

export const UPLOAD_MAIN = "index.js";

/**
 * Every JavaScript module under `dir`, as upload-relative paths.
 * @param {string} dir
 * @returns {string[]}
 */
export function uploadModuleNames(dir, prefix = "") {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) return uploadModuleNames(path, posix.join(prefix, name));
    return /\.m?js$/.test(name) ? [posix.join(prefix, name)] : [];
  });
}

export function uploadModules(outdir) {
  const names = uploadModuleNames(outdir).filter((name) => name !== UPLOAD_MAIN);
  return [UPLOAD_MAIN, ...names].map((name) => ({ type: "ESModule", path: join(outdir, name) }));
}
