/**
 * What a proxied request's isolate evaluates at startup: the Worker as scripts/build.mjs builds
 * it for `wrangler deploy` and `wrangler dev`, the main module and what it imports statically.
 * A Node test of the build (no wrangler dev), here because the e2e config runs tests in Node.
 * The startup CPU this saves is measured by `npm run bench -- --only cold-start`.
 */
import { execFile } from "node:child_process";
import { mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join, posix, relative } from "node:path";
import { promisify } from "node:util";
import { gzipSync } from "node:zlib";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { buildWorker } from "../../scripts/build.mjs";
import { UPLOAD_MAIN, uploadModuleNames } from "../support/upload.mjs";

const STARTUP_GZIP_TARGET = 150 * 1024;

interface Output {
  imports: { path: string; kind: string; external?: boolean }[];
  inputs: Record<string, unknown>;
}

let outdir: string;
let outputs: Record<string, Output>;
let files: { path: string; contents: Uint8Array }[];
let startup: Set<string>;

beforeAll(async () => {
  outdir = await mkdtemp(join(tmpdir(), "loom-build-"));
  const result = await buildWorker(outdir);
  outputs = result.metafile!.outputs as Record<string, Output>;
  files = result.outputFiles!;
  const main = Object.keys(outputs).find((name) => name.endsWith("/index.js"))!;
  startup = new Set();
  const pending = [main];
  while (pending.length > 0) {
    const name = pending.pop()!;
    if (startup.has(name)) continue;
    startup.add(name);
    for (const imported of outputs[name]!.imports)
      if (imported.kind === "import-statement" && !imported.external) pending.push(imported.path);
  }
});

afterAll(() => rm(outdir, { recursive: true, force: true }));

const sourcesAtStartup = () => [...startup].flatMap((name) => Object.keys(outputs[name]!.inputs));

describe("the modules evaluated before the first proxied request", () => {
  it("hold neither zod, nor the YAML parser, nor the admin API", () => {
    const sources = sourcesAtStartup();
    expect(sources).toContain("worker/app.ts");
    expect(
      sources.filter((source) =>
        /^node_modules\/(zod|yaml)\/|^worker\/admin\/(?!context\.ts$)|^worker\/config\/(schema|resolved-config)\.ts$/.test(source),
      ),
    ).toEqual([]);
  });

  it("hold neither the audit archive nor the retention job, which only the cron trigger runs", () => {
    expect(sourcesAtStartup().filter((source) => /^worker\/audit\/(archive|retention)\.ts$/.test(source))).toEqual([]);
  });

  it(`are at most ${STARTUP_GZIP_TARGET / 1024} KB gzip`, () => {
    // The metafile names outputs relative to the working directory; the files carry absolute paths.
    const atStartup = files.filter((file) => startup.has(relative(process.cwd(), file.path)));
    expect(atStartup.length).toBe(startup.size);
    const gzipBytes = atStartup.reduce((sum, file) => sum + gzipSync(file.contents, { level: 9 }).length, 0);
    expect(gzipBytes).toBeLessThanOrEqual(STARTUP_GZIP_TARGET);
  });
});

describe("the modules imported on first use", () => {
  it("are the admin API, the config schema (zod) and the cron jobs", () => {
    const lazy = Object.entries(outputs)
      .filter(([name]) => name.endsWith(".js") && !startup.has(name))
      .flatMap(([, output]) => Object.keys(output.inputs));
    for (const source of ["worker/admin/index.ts", "worker/config/schema.ts", "worker/audit/archive.ts", "worker/audit/retention.ts"]) {
      expect(lazy).toContain(source);
    }
    expect(lazy.some((source) => source.startsWith("node_modules/zod/"))).toBe(true);
    expect(lazy.some((source) => source.startsWith("node_modules/yaml/"))).toBe(true);
  });
});

describe("wrangler deploy", () => {
  it("uploads the main module and every module it imports, statically or on first use", async () => {
    const uploadDir = await mkdtemp(join(tmpdir(), "loom-upload-"));
    try {
      const wrangler = join(process.cwd(), "node_modules", "wrangler", "bin", "wrangler.js");
      await promisify(execFile)(process.execPath, [wrangler, "deploy", "--dry-run", "--outdir", uploadDir], {
        env: { ...process.env, WRANGLER_SEND_METRICS: "false" },
      });
      const uploaded = new Set(uploadModuleNames(uploadDir));
      expect(uploaded).toContain(UPLOAD_MAIN);
      const missing: string[] = [];
      for (const name of uploaded) {
        const text = await readFile(join(uploadDir, name), "utf8");
        for (const [, specifier] of text.matchAll(/(?:\bfrom\s*|\bimport\s*\(?\s*)["'](\.{1,2}\/[^"']+)["']/g)) {
          const target = posix.normalize(posix.join(posix.dirname(name), specifier!));
          if (!uploaded.has(target)) missing.push(`${name} -> ${target}`);
        }
      }
      expect(missing).toEqual([]);
      expect(uploaded.size).toBeGreaterThan(1);
    } finally {
      await rm(uploadDir, { recursive: true, force: true });
    }
  });
});
