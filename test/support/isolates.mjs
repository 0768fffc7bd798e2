/**
 * Several gateway isolates sharing one set of Durable Objects, in workerd (runs in Node; used by
 * test/e2e/ratelimit-isolates.test.ts and bench/ratelimit-isolates.mjs):
 *
 *   one Miniflare; N gateway workers (gw0..gwN-1) running the same bundle (`wrangler deploy
 *   --dry-run`), each a separate isolate on its own socket; their RATE_LIMITER and
 *   CIRCUIT_BREAKER bindings point at the classes of one home worker (`scriptName: "home"`),
 *   so every isolate calls the same objects; all share the KV namespace and the D1 database
 *   (same ids); every outbound fetch of a gateway goes to an origin worker, or, with
 *   `network: true`, to the network (a real origin on 127.0.0.1).
 *
 * The home worker's main module is HOME_MODULE, not the bundle: it re-exports the bundle and
 * wraps RateLimiter so that `objectDelayMs` can put an artificial round trip (half before, half
 * after the object decides) on every `acquire`, as for an object a continent away. The delay
 * lives here only, never in production code.
 */
import { execFile } from "node:child_process";
import { randomBytes } from "node:crypto";
import { mkdtemp, readdir, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { convertV4MiniflareOptions, Log, LogLevel, Miniflare } from "miniflare";
import { unstable_getMiniflareWorkerOptions, unstable_splitSqlQuery } from "wrangler";
import { uploadModules } from "./upload.mjs";

const ROOT = join(dirname(fileURLToPath(import.meta.url)), "..", "..");
const WRANGLER = join(ROOT, "node_modules", "wrangler", "bin", "wrangler.js");
// A fixed request.cf: keeps Miniflare from fetching one from the network.
const CF = { colo: "LOC", country: "XX", httpProtocol: "HTTP/1.1", tlsVersion: "TLSv1.3", tlsCipher: "AEAD-AES128-GCM-SHA256" };
const ORIGIN_SCRIPT = `export default { fetch() { return new Response("origin"); } };`;
const HOME_MODULE = `
import worker, { Bulkhead, CircuitBreaker, RateLimiter as BundledRateLimiter } from "./index.js";

const pause = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

export class RateLimiter extends BundledRateLimiter {
  async acquire(request) {
    const delayMs = Number(this.env.OBJECT_DELAY_MS ?? 0);
    if (delayMs > 0) await pause(delayMs / 2);
    const result = super.acquire(request);
    if (delayMs > 0) await pause(delayMs / 2);
    return result;
  }
}

export { Bulkhead, CircuitBreaker };
export default worker;
`;

export const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * Builds the bundle, starts `isolates` gateways and the home and origin workers, applies the D1
 * migrations and saves `config` through gw0's admin API; resolves once every gateway serves it
 * (`GET /api/ready` answers 200). `dispose()` stops everything and removes the build.
 *
 * `secrets`: Worker secrets the config references (`${NAME}`), set on every worker.
 *
 * `network`: the gateways' fetches leave workerd (to an origin the test runs), rather than going
 * to the origin worker.
 *
 * @param {{ isolates: number, config: unknown, objectDelayMs?: number, secrets?: Record<string, string>, network?: boolean }} options
 */
export async function startIsolates({ isolates, config, objectDelayMs = 0, secrets = {}, network = false }) {
  const dir = await mkdtemp(join(tmpdir(), "loom-isolates-"));
  const adminToken = randomBytes(24).toString("hex");
  /** The Workers' console: errors kept to explain a failure, never printed. */
  const problems = [];
  let mf;
  const dispose = async () => {
    await mf?.dispose();
    await rm(dir, { recursive: true, force: true });
  };
  try {
    await promisify(execFile)(
      process.execPath,
      [WRANGLER, "deploy", "--dry-run", "--outdir", dir, "--config", join(ROOT, "wrangler.toml")],
      {
        cwd: ROOT,
        env: { ...process.env, WRANGLER_SEND_METRICS: "false" },
      },
    );
    await writeFile(join(dir, "home.mjs"), HOME_MODULE);
    mf = new Miniflare(workerOptions(dir, isolates, { ...secrets, ADMIN_TOKEN: adminToken }, objectDelayMs, problems, network));
    await mf.ready;
    const urls = await Promise.all(
      Array.from({ length: isolates }, async (_, index) => (await mf.unsafeGetDirectURL(`gw${index}`)).origin),
    );
    await applyMigrations(mf);
    const adminFetch = (path, init = {}) =>
      fetch(`${urls[0]}/admin${path}`, {
        ...init,
        headers: { Authorization: `Bearer ${adminToken}`, "Content-Type": "application/json", ...init.headers },
      });
    const put = await adminFetch("/config", { method: "PUT", body: JSON.stringify(config) });
    if (put.status !== 200) throw new Error(`PUT /admin/config answered ${put.status}: ${await put.text()}`);
    await waitForConfig(urls, problems);
    /** `calls` of a RateLimiter counter, from GET /admin/rate-limits/:key. */
    const counterCalls = async (name) => {
      const res = await adminFetch(`/rate-limits/${encodeURIComponent(name)}`);
      if (res.status !== 200) throw new Error(`GET /admin/rate-limits/${name} answered ${res.status}: ${await res.text()}`);
      return (await res.json()).calls;
    };
    return { mf, urls, adminFetch, counterCalls, problems, dispose };
  } catch (error) {
    await dispose();
    throw error;
  }
}

function workerOptions(outdir, isolates, secrets, objectDelayMs, problems, network) {
  // Bindings, vars and compatibility settings from wrangler.toml; the code is the upload's modules,
  // listed (Miniflare cannot take wrangler's rules for finding them). (wrangler's types describe
  // the Miniflare it bundles; this one takes the same v4 shape.)
  const fromWrangler = unstable_getMiniflareWorkerOptions(join(ROOT, "wrangler.toml")).workerOptions;
  const { modulesRules: _rules, queueConsumers, cronTriggers: _crons, ...fromToml } = fromWrangler;
  const common = {
    ...fromToml,
    modules: uploadModules(outdir),
    modulesRoot: outdir,
    // The config is re-read once a second: the gateways follow a saved version within that.
    bindings: { ...fromToml.bindings, ...secrets, CONFIG_CACHE_TTL_MS: "1000" },
    ...(network ? {} : { outboundService: "origin" }),
  };
  const durableObjects = Object.fromEntries(
    Object.entries(fromToml.durableObjects ?? {}).map(([binding, object]) => [
      binding,
      { ...(typeof object === "string" ? { className: object } : object), scriptName: "home" },
    ]),
  );
  const gateways = Array.from({ length: isolates }, (_, index) => ({
    ...common,
    name: `gw${index}`,
    durableObjects,
    unsafeDirectSockets: [{ host: "127.0.0.1", port: 0 }],
  }));
  return convertV4MiniflareOptions({
    host: "127.0.0.1",
    port: 0,
    cf: CF,
    log: new Log(LogLevel.WARN),
    handleStructuredLogs({ level, message }) {
      if (level === "error" && problems.length < 20) problems.push(message);
    },
    workers: [
      // The home of the objects (and the audit queue's consumer); it serves no gateway traffic.
      {
        ...common,
        name: "home",
        // The wrapper first: it is the main module, and imports the upload's.
        modules: [{ type: "ESModule", path: join(outdir, "home.mjs") }, ...uploadModules(outdir)],
        bindings: { ...common.bindings, OBJECT_DELAY_MS: String(objectDelayMs) },
        queueConsumers,
      },
      ...gateways,
      { name: "origin", modules: true, script: ORIGIN_SCRIPT, compatibilityDate: fromToml.compatibilityDate },
    ],
  });
}

async function applyMigrations(instance) {
  const db = await instance.getD1Database("DB", "home");
  const names = (await readdir(join(ROOT, "migrations"))).filter((name) => name.endsWith(".sql")).sort();
  for (const name of names) {
    const statements = unstable_splitSqlQuery(await readFile(join(ROOT, "migrations", name), "utf8"));
    await db.batch(statements.map((sql) => db.prepare(sql)));
  }
}

/** Waits until every gateway serves the saved config (a bounded number of tries). */
async function waitForConfig(urls, problems) {
  for (const [index, url] of urls.entries()) {
    let status = 0;
    for (let attempt = 0; attempt < 50 && status !== 200; attempt++) {
      status = (await fetch(`${url}/api/ready`, { headers: { "X-Tenant": `ready-${index}` } })).status;
      if (status !== 200) await sleep(100);
    }
    if (status !== 200) throw new Error(`gw${index} does not serve the saved config: ${status}\n${problems.join("\n")}`);
  }
}

/**
 * `total` requests to `path` with `X-Tenant: tenant`, the i-th sent at start + i / pace seconds
 * (or at once when the run is behind, at most `maxInFlight` at a time), to `urls[pick(i)]`.
 * Resolves with one sample per request: `{ worker, sentAt, doneAt, status, retryAfter }` (ms
 * from performance.now()).
 *
 * @param {{ urls: string[], path: string, tenant: string, pace: number, total: number, pick: (i: number) => number, maxInFlight?: number }} options
 */
export async function drive({ urls, path, tenant, pace, total, pick, maxInFlight = 64 }) {
  const samples = [];
  const inFlight = new Set();
  const start = performance.now();
  for (let i = 0; i < total; i++) {
    const wait = start + (i * 1000) / pace - performance.now();
    if (wait >= 1) await sleep(wait);
    while (inFlight.size >= maxInFlight) await Promise.race(inFlight);
    const worker = pick(i);
    const sentAt = performance.now();
    const request = fetch(`${urls[worker]}${path}`, { headers: { "X-Tenant": tenant } }).then(async (res) => {
      await res.arrayBuffer();
      samples.push({ worker, sentAt, doneAt: performance.now(), status: res.status, retryAfter: res.headers.get("Retry-After") });
    });
    const tracked = request.finally(() => inFlight.delete(tracked));
    inFlight.add(tracked);
  }
  await Promise.all(inFlight);
  return samples;
}
