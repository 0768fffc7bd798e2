/**
 * Searches the D1 database files of the running Miniflare instances for byte strings, for
 * tests that must prove a value never reaches storage (the vault's plaintext). Runtime tests
 * run inside workerd and cannot read the host's files, but Miniflare's `outboundService` runs
 * here in Node: vitest.config.ts routes `http://d1-files.test/search` to this function.
 *
 * Miniflare keeps each instance's local D1 databases as SQLite files (with their -wal and -shm
 * companions) under `<os tmpdir>/miniflare-<random>/d1/`; `wrangler dev` keeps them under
 * `.wrangler/state/v3/d1/`. Every file there is read whole, so a value in a page not yet
 * checkpointed from the write-ahead log is found too.
 *
 *   POST { "needles": ["…", …] }  →  { "files": <count>, "found": [<files containing needle i>, …] }
 */
import { readdir, readFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";

export const D1_FILES_HOST = "d1-files.test";

async function filesUnder(directory: string): Promise<string[]> {
  const entries = await readdir(directory, { withFileTypes: true }).catch(() => []);
  const nested = await Promise.all(
    entries.map((entry) => {
      const path = join(directory, entry.name);
      return entry.isDirectory() ? filesUnder(path) : Promise.resolve(entry.isFile() ? [path] : []);
    }),
  );
  return nested.flat();
}

async function d1Files(): Promise<string[]> {
  const root = tmpdir();
  const instances = (await readdir(root).catch(() => [])).filter((name) => name.startsWith("miniflare-"));
  const files = await Promise.all(instances.map((name) => filesUnder(join(root, name, "d1"))));
  return files.flat();
}

export async function searchD1Files(request: Request): Promise<Response> {
  const { needles } = (await request.json()) as { needles: string[] };
  const files = await d1Files();
  const found = needles.map(() => 0);
  for (const file of files) {
    const bytes = await readFile(file).catch(() => undefined);
    if (!bytes) continue; // removed meanwhile (another test file's instance ended)
    needles.forEach((needle, index) => {
      if (bytes.includes(Buffer.from(needle, "utf8"))) found[index]! += 1;
    });
  }
  return Response.json({ files: files.length, found });
}
