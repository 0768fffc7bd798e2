// The third part of `npm run bench` (alone: `npm run bench -- --only cold-start`): what an
// isolate evaluates before its first proxied request, and what starting one costs.
//
//   1. The upload, as `wrangler deploy --dry-run --outdir` leaves it (after scripts/build.mjs):
//      every module's size and gzip size; the modules evaluated at startup, which are the main
//      module and what it imports statically, transitively (a dynamic `import()` is evaluated on
//      first use); the whole upload's gzip size. Target: startup modules <= 150 KB gzip.
//   2. Startup CPU: RUNS times each, each run starting with another target, a fresh workerd (a
//      Miniflare instance of its own) with the bare pass-through worker (passthrough.js), with
//      the same pass-through given the gateway's bindings (KV, D1, R2, queues, the Durable Object
//      classes, which Miniflare sets up as services in the same workerd), and with the gateway,
//      whose KV and D1 already hold the benchmark config (saved once through PUT /admin/config
//      into a persisted state directory, as another isolate would have). The CPU time of the
//      workerd process (utime + stime, /proc) from its start until Miniflare reports it ready
//      and until the first proxied GET is answered; medians, the gateway's ratios to both, and
//      its difference to the one with bindings: what the gateway's own code costs a fresh
//      isolate (evaluating its modules; loading, compiling and applying its config once).
//
// Output: tables on stdout and bench/results/cold-start.json.
import { fork, spawn } from "node:child_process";
import { randomBytes } from "node:crypto";
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import { tmpdir } from "node:os";
import { dirname, join, posix, relative } from "node:path";
import { fileURLToPath } from "node:url";
import { gzipSync } from "node:zlib";
import { localWorkerOptions } from "../test/support/local-worker-options.mjs";
import { UPLOAD_MAIN, uploadModuleNames, uploadModules } from "../test/support/upload.mjs";
import { cpuMs, workerdChildren } from "./proc.mjs";

const BENCH = dirname(fileURLToPath(import.meta.url));
const ROOT = dirname(BENCH);
const require = createRequire(import.meta.url);
const WRANGLER = join(dirname(require.resolve("wrangler/package.json")), "bin", "wrangler.js");

const RUNS = 9;
const LABELS = ["pass-through", "pass-through + bindings", "gateway"];
const TARGET_STARTUP_GZIP_BYTES = 150 * 1024;
const PROXIED = "/api/v1/items/42";
/** A build, the config's setup and RUNS starts of each target, with room to spare. */
export const COLD_START_DEADLINE_MS = (60 + RUNS * LABELS.length * 10) * 1000;

const { Log, LogLevel } = await import("miniflare");
/** What both workers run with: the same fixed `request.cf` as run.mjs (no fetch of one), logs dropped. */
const COMMON_OPTIONS = {
  host: "127.0.0.1",
  port: 0,
  cf: { colo: "LOC", country: "XX", httpProtocol: "HTTP/1.1", tlsVersion: "TLSv1.3", tlsCipher: "AEAD-AES128-GCM-SHA256" },
  log: new Log(LogLevel.WARN),
  handleStructuredLogs() {},
};

const gzipBytes = (file) => gzipSync(readFileSync(file), { level: 9 }).length;
const median = (values) => {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
};
const kb = (bytes) => `${(bytes / 1024).toFixed(1)} KB`;

// ------------------------------------------------------------------ the upload

/**
 * The specifiers a module imports statically: `import … from "./x.js"`, `import "./x.js"` and
 * `export … from "./x.js"` at the start of a line, as esbuild writes them; `import("…")` is not one.
 */
function staticImports(text) {
  const specifiers = [];
  for (const match of text.matchAll(/^(?:import|export)(?!\s*\()(?:[^"';]*?\sfrom)?\s*["']([^"']+)["']/gm)) specifiers.push(match[1]);
  return specifiers.filter((specifier) => specifier.startsWith("."));
}

/** The main module and every module it imports statically, transitively: what startup evaluates. */
function evaluatedAtStartup(outdir, main) {
  const seen = new Set();
  const pending = [main];
  while (pending.length > 0) {
    const module = pending.pop();
    if (seen.has(module)) continue;
    seen.add(module);
    const text = readFileSync(join(outdir, module), "utf8");
    for (const specifier of staticImports(text)) pending.push(posix.normalize(posix.join(posix.dirname(module), specifier)));
  }
  return seen;
}

function run(argv) {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, argv, {
      cwd: ROOT,
      env: { ...process.env, WRANGLER_SEND_METRICS: "false" },
      stdio: ["ignore", "pipe", "pipe"],
    });
    let output = "";
    child.stdout.on("data", (chunk) => (output += chunk));
    child.stderr.on("data", (chunk) => (output += chunk));
    child.on("error", reject);
    child.on("close", (code) => (code === 0 ? resolve(output) : reject(new Error(`${argv.join(" ")} exited ${code}:\n${output}`))));
  });
}

async function measureUpload(outdir) {
  await run([WRANGLER, "deploy", "--dry-run", "--outdir", outdir, "--config", join(ROOT, "wrangler.toml")]);
  const startup = evaluatedAtStartup(outdir, UPLOAD_MAIN);
  const modules = uploadModuleNames(outdir)
    .map((name) => ({
      name,
      bytes: statSync(join(outdir, name)).size,
      gzipBytes: gzipBytes(join(outdir, name)),
      atStartup: startup.has(name),
    }))
    .sort((a, b) => Number(b.atStartup) - Number(a.atStartup) || b.gzipBytes - a.gzipBytes);
  const total = (list) => ({ bytes: list.reduce((s, m) => s + m.bytes, 0), gzipBytes: list.reduce((s, m) => s + m.gzipBytes, 0) });
  return { main: UPLOAD_MAIN, modules, startup: total(modules.filter((m) => m.atStartup)), upload: total(modules) };
}

// ------------------------------------------------------------------ startup CPU

/** workerd processes started here and maybe still running: killed if this process leaves early. */
const running = new Set();
process.on("exit", () => {
  for (const pid of running) {
    try {
      process.kill(pid, "SIGKILL");
    } catch {
      // already gone
    }
  }
});

async function startWorkerd(Miniflare, options) {
  const before = workerdChildren();
  const mf = new Miniflare(options);
  try {
    const url = await mf.ready;
    const started = [...workerdChildren()].filter((pid) => !before.has(pid));
    if (started.length !== 1) throw new Error(`expected one new workerd child process, found ${started.length}`);
    running.add(started[0]);
    const dispose = mf.dispose.bind(mf);
    mf.dispose = () => dispose().finally(() => running.delete(started[0]));
    return { mf, url, pid: started[0] };
  } catch (error) {
    await mf.dispose().catch(() => {});
    throw error;
  }
}

/** Starts a fresh workerd, sends the first proxied request, returns its CPU times; always disposes. */
async function coldStart(Miniflare, options, originBody) {
  const { mf, url, pid } = await startWorkerd(Miniflare, options);
  try {
    const readyMs = cpuMs(pid);
    const res = await fetch(new URL(PROXIED, url));
    const text = await res.text();
    if (res.status !== 200 || text !== originBody)
      throw new Error(`GET ${PROXIED} did not reach the origin: ${res.status} ${text.slice(0, 300)}`);
    return { readyMs, firstResponseMs: cpuMs(pid) };
  } finally {
    await mf.dispose();
  }
}

/**
 * The bare pass-through with the gateway's bindings (KV, D1, R2, queues, the three Durable Object
 * classes, which Miniflare sets up as services of their own in the same workerd): the gateway
 * minus this is what the gateway's own code costs a fresh isolate.
 */
const PASS_THROUGH_WITH_BINDINGS = `
import { DurableObject } from "cloudflare:workers";
export class RateLimiter extends DurableObject {}
export class CircuitBreaker extends DurableObject {}
export class Bulkhead extends DurableObject {}
export default {
  fetch(request, env) {
    const url = new URL(request.url);
    return fetch(new Request(env.ORIGIN + url.pathname + url.search, request));
  },
  queue() {},
};
`;

/** Miniflare options of the three targets; the two with bindings keep KV, D1 and the objects in `stateDir`. */
async function targetOptions(outdir, originHostPort, stateDir) {
  const { convertV4MiniflareOptions } = await import("miniflare");
  const workerOptions = await localWorkerOptions(join(ROOT, "wrangler.toml"));
  const adminToken = randomBytes(24).toString("hex");
  const origin = `http://${originHostPort}`;
  const withBindings = (options) => ({
    ...convertV4MiniflareOptions({ ...COMMON_OPTIONS, ...workerOptions, ...options }),
    // On disk, so that every fresh workerd finds the config saved before.
    resourcePersistencePath: stateDir,
  });
  return {
    adminToken,
    originHostPort,
    "pass-through": convertV4MiniflareOptions({
      ...COMMON_OPTIONS,
      name: "passthrough",
      modules: true,
      scriptPath: join(BENCH, "passthrough.js"),
      compatibilityDate: workerOptions.compatibilityDate,
      compatibilityFlags: ["nodejs_compat"],
      bindings: { ORIGIN: origin },
    }),
    "pass-through + bindings": withBindings({
      name: "loom-edge",
      modules: true,
      script: PASS_THROUGH_WITH_BINDINGS,
      bindings: { ...workerOptions.bindings, ORIGIN: origin },
    }),
    gateway: withBindings({
      name: "loom-edge",
      modules: uploadModules(outdir),
      // Module names are paths relative to this root; one outside it (../../tmp/...) fails to load.
      modulesRoot: outdir,
      bindings: { ...workerOptions.bindings, ADMIN_TOKEN: adminToken },
    }),
  };
}

/** Saves the benchmark config into the persisted state once, as an earlier isolate would have. */
async function saveConfig(Miniflare, targets) {
  const { unstable_splitSqlQuery } = await import("wrangler");
  const { mf, url } = await startWorkerd(Miniflare, targets.gateway);
  try {
    const db = await mf.getD1Database("DB");
    for (const name of readdirSync(join(ROOT, "migrations"))
      .filter((file) => file.endsWith(".sql"))
      .sort()) {
      const statements = unstable_splitSqlQuery(readFileSync(join(ROOT, "migrations", name), "utf8"));
      await db.batch(statements.map((sql) => db.prepare(sql)));
    }
    // The JWT route's key set is fetched on the first JWT request only; this part sends none.
    const yaml = readFileSync(join(BENCH, "gateway-config.yaml"), "utf8")
      .replaceAll("{{ORIGIN}}", targets.originHostPort)
      .replaceAll("{{JWKS}}", "127.0.0.1:9");
    const put = await fetch(new URL("/admin/config", url), {
      method: "PUT",
      headers: { authorization: `Bearer ${targets.adminToken}`, "content-type": "application/yaml" },
      body: yaml,
    });
    if (put.status !== 200) throw new Error(`PUT /admin/config answered ${put.status}: ${(await put.text()).slice(0, 800)}`);
  } finally {
    await mf.dispose();
  }
}

async function measureStartup(outdir, stateDir) {
  const { Miniflare } = await import("miniflare");
  const origin = fork(join(BENCH, "origin.mjs"), [], { stdio: ["ignore", "ignore", "inherit", "ipc"] });
  try {
    const { port } = await new Promise((resolve, reject) => {
      origin.once("message", resolve);
      origin.once("exit", (code) => reject(new Error(`origin.mjs exited ${code}`)));
    });
    const originHostPort = `127.0.0.1:${port}`;
    const originBody = await (await fetch(`http://${originHostPort}/`)).text();
    const targets = await targetOptions(outdir, originHostPort, stateDir);
    await saveConfig(Miniflare, targets);
    const runs = Object.fromEntries(LABELS.map((label) => [label, []]));
    for (let i = 0; i < RUNS; i++) {
      // Each run starts with another target, so drift on a shared machine hits all alike.
      const order = LABELS.map((_, k) => LABELS[(i + k) % LABELS.length]);
      for (const label of order) runs[label].push(await coldStart(Miniflare, targets[label], originBody));
    }
    return runs;
  } finally {
    origin.kill("SIGKILL");
  }
}

// ------------------------------------------------------------------ report

function printUpload(upload) {
  console.log("\n## Cold start: the upload (`wrangler deploy --dry-run --outdir`)\n");
  console.log("| module | bytes | gzip | evaluated at startup |");
  console.log("|---|---|---|---|");
  for (const m of upload.modules)
    console.log(`| ${m.name} | ${m.bytes.toLocaleString("en-US")} | ${kb(m.gzipBytes)} | ${m.atStartup ? "yes" : "on first use"} |`);
  const meets = upload.startup.gzipBytes <= TARGET_STARTUP_GZIP_BYTES;
  console.log(
    `\nEvaluated before the first proxied request: ${kb(upload.startup.gzipBytes)} gzip (${upload.startup.bytes.toLocaleString("en-US")} bytes) ` +
      `of ${upload.modules.length} modules; target <= ${kb(TARGET_STARTUP_GZIP_BYTES)}: ${meets ? "met" : "NOT met"}. ` +
      `Whole upload: ${kb(upload.upload.gzipBytes)} gzip (${upload.upload.bytes.toLocaleString("en-US")} bytes).`,
  );
  return meets;
}

function summarise(runs) {
  const medians = (field) => Object.fromEntries(LABELS.map((label) => [label, median(runs[label].map((r) => r[field]))]));
  const ratios = (baseline) => runs.gateway.map((g, i) => g.firstResponseMs / runs[baseline][i].firstResponseMs);
  return {
    ready: medians("readyMs"),
    firstResponse: medians("firstResponseMs"),
    firstResponseRatios: { "pass-through": ratios("pass-through"), "pass-through + bindings": ratios("pass-through + bindings") },
  };
}

function printStartup(summary) {
  console.log(`\n## Cold start: workerd CPU ms from its start (median of ${RUNS} fresh processes each)\n`);
  const [bare, bound] = LABELS;
  console.log(`| until | ${LABELS.join(" | ")} | gateway / ${bare} | gateway / ${bound} | gateway - ${bound} |`);
  console.log("|---|---|---|---|---|---|---|");
  for (const [name, row] of [
    ["ready", summary.ready],
    ["first proxied response", summary.firstResponse],
  ]) {
    const cells = LABELS.map((label) => row[label].toFixed(0));
    console.log(
      `| ${name} | ${cells.join(" | ")} | ${(row.gateway / row[bare]).toFixed(2)}x | ${(row.gateway / row[bound]).toFixed(2)}x | ${(row.gateway - row[bound]).toFixed(0)} |`,
    );
  }
  for (const [baseline, r] of Object.entries(summary.firstResponseRatios)) {
    console.log(`Per-run ratios of the first proxied response to ${baseline}: ${Math.min(...r).toFixed(2)}–${Math.max(...r).toFixed(2)}x.`);
  }
}

export async function benchColdStart({ resultsDir = join(BENCH, "results") } = {}) {
  const outdir = mkdtempSync(join(tmpdir(), "loom-cold-start-"));
  const stateDir = mkdtempSync(join(tmpdir(), "loom-cold-state-"));
  try {
    const upload = await measureUpload(outdir);
    const meets = printUpload(upload);
    const runs = await measureStartup(outdir, stateDir);
    const summary = summarise(runs);
    printStartup(summary);
    mkdirSync(resultsDir, { recursive: true });
    const file = join(resultsDir, "cold-start.json");
    writeFileSync(
      file,
      `${JSON.stringify({ date: new Date().toISOString(), upload, targetMet: meets, startup: { summary, runs } }, null, 2)}\n`,
    );
    console.log(`\nwritten: ${relative(ROOT, file)}`);
  } finally {
    rmSync(outdir, { recursive: true, force: true });
    rmSync(stateDir, { recursive: true, force: true });
  }
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  setTimeout(() => {
    console.error(`cold-start: still running after ${COLD_START_DEADLINE_MS / 1000} s; giving up`);
    process.exit(1);
  }, COLD_START_DEADLINE_MS).unref();
  await benchColdStart();
}
