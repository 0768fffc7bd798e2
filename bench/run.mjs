// `npm run bench`: the gateway against a bare pass-through worker, same origin, same load, and
// against a pass-through doing only the work every gateway response needs (passthrough-required.js).
//
// Each worker runs in its own Miniflare instance, so in its own workerd process, whose CPU time
// (utime + stime from /proc/<pid>/stat) is read before and after every round. Each round starts
// with another target (A B C, B C A, ...) so that drift on this shared 2-core machine hits all alike.
// Everything listens on 127.0.0.1; the run is bounded and kills what it started, also on error.
//
//   npm run bench                      gateway vs pass-through, then N isolates on one key
//   npm run bench -- --only main       gateway vs pass-through only
//   npm run bench -- --only isolates   N isolates sharing one rate-limited key (ratelimit-isolates.mjs)
//   npm run bench -- --only cold-start what an isolate evaluates and spends before its first proxied request (cold-start.mjs)
//   npm run bench -- --self-check      pass-through vs a second pass-through (noise floor)
//   npm run bench -- --profile         where the gateway's CPU goes (profile.mjs)
//   npm run bench -- --scenarios GET,POST  measure only these scenarios
//   npm run bench -- --rounds 6 --duration 4 --connections 16 --config bench/gateway-config.yaml
import { execFileSync, fork, spawn } from "node:child_process";
import { randomBytes, randomUUID } from "node:crypto";
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import { cpus, tmpdir } from "node:os";
import { dirname, join, relative, resolve as resolvePath } from "node:path";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import { exportJWK, generateKeyPair, SignJWT } from "jose";
import { uploadModuleNames, uploadModules } from "../test/support/upload.mjs";
import { cpuMs, machineBusyMs, workerdChildren } from "./proc.mjs";
import { freePort, profileWorker } from "./profile.mjs";

const BENCH = dirname(fileURLToPath(import.meta.url));
const ROOT = dirname(BENCH);
const DEFAULT_CONFIG = join(BENCH, "gateway-config.yaml");
const require = createRequire(import.meta.url);

const TARGETS = { cpuRatioMax: 1.3, throughputRatioMin: 0.8 };
// The machine may be shared (other test runs). Before each round the harness waits, at most
// QUIET_WAIT_MS in a whole run, until processes it did not start use at most DISTURBED_CORES;
// a round during which they used more is measured again, at most MAX_RERUNS times per run.
const DISTURBED_CORES = 0.25;
const QUIET_WAIT_MS = 30_000;
const MAX_RERUNS = 4;

const { values: args } = parseArgs({
  options: {
    rounds: { type: "string", default: "6" },
    duration: { type: "string", default: "4" },
    connections: { type: "string", default: "16" },
    config: { type: "string", default: DEFAULT_CONFIG },
    "self-check": { type: "boolean", default: false },
    profile: { type: "boolean", default: false },
    only: { type: "string" },
    scenarios: { type: "string" },
  },
});
const ROUNDS = positiveInt(args.rounds, "--rounds");
const DURATION_S = positiveInt(args.duration, "--duration");
const CONNECTIONS = positiveInt(args.connections, "--connections");
const SELF_CHECK = args["self-check"];
const PROFILE = args.profile;
if (SELF_CHECK && PROFILE) fail("--profile profiles the gateway; it does not go with --self-check");
if (ROUNDS < 2) fail("--rounds must be at least 2: the first round is a discarded warm-up");
if (args.only !== undefined && !["main", "isolates", "cold-start"].includes(args.only)) fail("--only takes main, isolates or cold-start");
const RUN_MAIN = args.only === undefined || args.only === "main";
const RUN_ISOLATES = (args.only === undefined || args.only === "isolates") && !SELF_CHECK && !PROFILE;
const RUN_COLD_START = (args.only === undefined || args.only === "cold-start") && !SELF_CHECK && !PROFILE;

const TEMP = mkdtempSync(join(tmpdir(), "loom-bench-"));
// The JWKS is served over HTTPS (the gateway accepts no other jwks_uri) with a self-signed
// certificate for 127.0.0.1, which workerd trusts through NODE_EXTRA_CA_CERTS: Miniflare reads
// it when it is first imported, hence the dynamic imports below.
const JWKS_TLS = selfSignedCertificate(TEMP);
process.env.NODE_EXTRA_CA_CERTS = JWKS_TLS.certFile;
const { convertV4MiniflareOptions, Log, LogLevel, Miniflare } = await import("miniflare");
const { unstable_getMiniflareWorkerOptions, unstable_splitSqlQuery } = await import("wrangler");
const { benchIsolates, ISOLATES_DEADLINE_MS } = await import("./ratelimit-isolates.mjs");
const { benchColdStart, COLD_START_DEADLINE_MS } = await import("./cold-start.mjs");
const JWT = await jwtCredentials();

const VALID_ORDER = {
  customer_id: "c_7f3k9q2m",
  currency: "EUR",
  note: "leave at the door",
  items: [
    { sku: "widget-blue", quantity: 2 },
    { sku: "gadget-xl", quantity: 1 },
  ],
};
const SCENARIOS = [
  { name: "GET", method: "GET", path: "/api/v1/items/42" },
  {
    name: "POST",
    method: "POST",
    path: "/api/v1/orders",
    headers: { "content-type": "application/json" },
    body: JSON.stringify(VALID_ORDER),
  },
  // JWT ES256 checked against the JWKS (fetched once per isolate, then cached): the cost is the
  // signature verification and claim checks of every request.
  { name: "JWT", method: "GET", path: "/api/v1/me", headers: { authorization: `Bearer ${JWT.token}` } },
];
// `--scenarios GET,POST` measures only those (every scenario is still checked before measuring).
const MEASURED =
  args.scenarios === undefined
    ? SCENARIOS
    : args.scenarios
        .split(",")
        .map(
          (name) =>
            SCENARIOS.find((s) => s.name === name.trim()) ??
            fail(`--scenarios: no scenario ${name}; there are ${SCENARIOS.map((s) => s.name).join(", ")}`),
        );

// A fixed `request.cf`: keeps Miniflare from fetching one from the network and gives the
// gateway what the edge would (TLS 1.3, no client certificate).
const CF = { colo: "LOC", country: "XX", httpProtocol: "HTTP/1.1", tlsVersion: "TLSv1.3", tlsCipher: "AEAD-AES128-GCM-SHA256" };
const COMPATIBILITY_DATE = readFileSync(join(ROOT, "wrangler.toml"), "utf8").match(/^compatibility_date\s*=\s*"([^"]+)"/m)?.[1];
const RATE_LIMIT_COUNTER = "default|127.0.0.1";

// ------------------------------------------------------------------ JWT credentials

/** A self-signed P-256 certificate for IP 127.0.0.1 (openssl), as PEM strings and the cert's file. */
function selfSignedCertificate(dir) {
  const keyFile = join(dir, "jwks-key.pem");
  const certFile = join(dir, "jwks-cert.pem");
  execFileSync(
    "openssl",
    [
      "req",
      "-x509",
      "-newkey",
      "ec",
      "-pkeyopt",
      "ec_paramgen_curve:prime256v1",
      "-nodes",
      "-days",
      "1",
      "-subj",
      "/CN=127.0.0.1",
      "-addext",
      "subjectAltName=IP:127.0.0.1",
      "-keyout",
      keyFile,
      "-out",
      certFile,
    ],
    { stdio: "ignore" },
  );
  return { key: readFileSync(keyFile, "utf8"), cert: readFileSync(certFile, "utf8"), certFile };
}

/** An ES256 key pair made for this run: the public JWK set the origin serves, and a token signed with it. */
async function jwtCredentials() {
  const { publicKey, privateKey } = await generateKeyPair("ES256");
  const kid = randomUUID();
  const jwks = { keys: [{ ...(await exportJWK(publicKey)), kid, alg: "ES256", use: "sig" }] };
  const token = await new SignJWT({ scope: "orders:read" })
    .setProtectedHeader({ alg: "ES256", kid, typ: "JWT" })
    .setSubject("user-4711")
    .setIssuer("https://idp.bench.test")
    .setAudience("loom-bench")
    .setIssuedAt()
    .setExpirationTime("2h")
    .sign(privateKey);
  return { jwks, token };
}

// ------------------------------------------------------------------ cleanup, also on error

const miniflares = [];
const children = [];
const workerdPids = new Set();
const tempDirs = [TEMP];

async function cleanup() {
  for (const mf of miniflares.splice(0)) await mf.dispose().catch(() => {});
  for (const child of children.splice(0)) child.kill("SIGKILL");
  for (const dir of tempDirs.splice(0)) rmSync(dir, { recursive: true, force: true });
}
// Last resort when the process leaves without `cleanup` (hard deadline, uncaught error):
// synchronous kills of everything started here.
process.on("exit", () => {
  for (const child of children) child.kill("SIGKILL");
  for (const pid of workerdPids) {
    try {
      process.kill(pid, "SIGKILL");
    } catch {
      // already gone
    }
  }
});
for (const signal of ["SIGINT", "SIGTERM"]) {
  process.on(signal, () => cleanup().finally(() => process.exit(130)));
}
const WITH_REQUIRED_WORK = !SELF_CHECK && !PROFILE;
const deadlineMs =
  ((ROUNDS * MEASURED.length * (WITH_REQUIRED_WORK ? 3 : 2) + MAX_RERUNS) * (DURATION_S + 2) + 120) * 1000 +
  QUIET_WAIT_MS +
  (RUN_ISOLATES ? ISOLATES_DEADLINE_MS : 0) +
  (RUN_COLD_START ? COLD_START_DEADLINE_MS : 0);
setTimeout(() => {
  console.error(`bench: still running after ${deadlineMs / 1000} s; giving up`);
  process.exit(1);
}, deadlineMs).unref();

// ------------------------------------------------------------------ /proc

function rssMb(pid) {
  const kb = readFileSync(`/proc/${pid}/status`, "utf8").match(/^VmRSS:\s+(\d+)/m)?.[1];
  return Number(kb) / 1024;
}

let quietWaitedMs = 0;

/** Waits until the machine is quiet or the run's waiting budget is spent; returns the cores in use. */
async function waitForQuiet() {
  const windowMs = 300;
  for (;;) {
    // Between rounds nothing this benchmark started is busy, so all busy time is someone else's.
    const before = machineBusyMs();
    const started = performance.now();
    await new Promise((resolve) => setTimeout(resolve, windowMs));
    const cores = (machineBusyMs() - before) / (performance.now() - started);
    if (cores <= DISTURBED_CORES || quietWaitedMs >= QUIET_WAIT_MS) return cores;
    quietWaitedMs += windowMs;
  }
}

// ------------------------------------------------------------------ processes

/** A Miniflare instance with its own workerd; returns its URL, workerd PID and log counter. */
async function startWorkerd(label, workerOptions) {
  const before = workerdChildren();
  const logs = { lines: 0, problems: [] };
  // Miniflare 5 takes a new options shape; wrangler still produces the v4 one, which Miniflare
  // converts (the conversion also keeps the cross-process dev registry off).
  const options = convertV4MiniflareOptions({
    host: "127.0.0.1",
    port: 0,
    cf: CF,
    logRequests: false,
    log: new Log(LogLevel.WARN),
    // workerd's stdout and stderr arrive here through a pipe: counted, never printed, so the
    // access log costs what writing it costs, not what a terminal costs.
    handleStructuredLogs({ level, message }) {
      logs.lines += 1;
      if ((level === "error" || level === "warn") && logs.problems.length < 5) logs.problems.push(message);
    },
    ...workerOptions,
  });
  const mf = new Miniflare(options);
  miniflares.push(mf);
  const url = await mf.ready;
  const started = [...workerdChildren()].filter((pid) => !before.has(pid));
  if (started.length !== 1) throw new Error(`${label}: expected one new workerd child process, found ${started.length}`);
  workerdPids.add(started[0]);
  return { label, mf, url: new URL(url), pid: started[0], logs };
}

function startPassThrough(label, origin, script = join(BENCH, "passthrough.js")) {
  return startWorkerd(label, {
    name: "passthrough",
    modules: true,
    scriptPath: script,
    compatibilityDate: COMPATIBILITY_DATE,
    compatibilityFlags: ["nodejs_compat"],
    bindings: { ORIGIN: origin },
  });
}

function run(command, argv, options) {
  return new Promise((resolve, reject) => {
    const child = spawn(command, argv, { ...options, stdio: ["ignore", "pipe", "pipe"] });
    children.push(child);
    let output = "";
    child.stdout.on("data", (chunk) => (output += chunk));
    child.stderr.on("data", (chunk) => (output += chunk));
    child.on("error", reject);
    child.on("close", (code) => (code === 0 ? resolve(output) : reject(new Error(`${argv.join(" ")} exited ${code}:\n${output}`))));
  });
}

async function startGateway(originHostPort, jwksHostPort, inspectorPort) {
  const outdir = mkdtempSync(join(tmpdir(), "loom-bench-"));
  tempDirs.push(outdir);
  const wrangler = join(dirname(require.resolve("wrangler/package.json")), "bin", "wrangler.js");
  await run(process.execPath, [wrangler, "deploy", "--dry-run", "--outdir", outdir, "--config", join(ROOT, "wrangler.toml")], {
    cwd: ROOT,
    env: { ...process.env, WRANGLER_SEND_METRICS: "false" },
  });

  const adminToken = randomBytes(24).toString("hex");
  // Bindings, vars and compatibility settings from wrangler.toml; the code is the upload's
  // modules, listed (Miniflare cannot take wrangler's rules for finding them).
  const { modulesRules, ...workerOptions } = unstable_getMiniflareWorkerOptions(join(ROOT, "wrangler.toml")).workerOptions;
  const gateway = await startWorkerd("gateway", {
    ...workerOptions,
    name: "loom-edge",
    modules: uploadModules(outdir),
    // Module names are paths relative to this root; one outside it (../../tmp/...) fails to load.
    modulesRoot: outdir,
    inspectorPort,
    bindings: { ...workerOptions.bindings, ADMIN_TOKEN: adminToken },
  });

  const db = await gateway.mf.getD1Database("DB");
  const migrations = readdirSync(join(ROOT, "migrations"))
    .filter((name) => name.endsWith(".sql"))
    .sort();
  for (const name of migrations) {
    const statements = unstable_splitSqlQuery(readFileSync(join(ROOT, "migrations", name), "utf8"));
    await db.batch(statements.map((sql) => db.prepare(sql)));
  }

  const yaml = readFileSync(args.config, "utf8").replaceAll("{{ORIGIN}}", originHostPort).replaceAll("{{JWKS}}", jwksHostPort);
  const put = await fetch(new URL("/admin/config", gateway.url), {
    method: "PUT",
    headers: { authorization: `Bearer ${adminToken}`, "content-type": "application/yaml" },
    body: yaml,
  });
  const answer = await put.text();
  if (put.status !== 200) {
    throw new Error(
      `gateway: PUT /admin/config answered ${put.status}: ${answer.slice(0, 800)}\n(--self-check measures the method without the gateway)`,
    );
  }
  gateway.configAnswer = JSON.parse(answer);
  // RateLimiter calls so far on the counter every benchmark request shares (rate_limit.key
  // `${client_ip}`: Miniflare sets CF-Connecting-IP to the client's address), read between rounds.
  gateway.rateLimiterCalls = async () => {
    const res = await fetch(new URL(`/admin/rate-limits/${encodeURIComponent(RATE_LIMIT_COUNTER)}`, gateway.url), {
      headers: { authorization: `Bearer ${adminToken}` },
    });
    if (res.status === 404) return 0;
    if (res.status !== 200)
      throw new Error(`gateway: GET /admin/rate-limits/${RATE_LIMIT_COUNTER} answered ${res.status}: ${await res.text()}`);
    return (await res.json()).calls;
  };
  gateway.uploadedSources = new Map(uploadModuleNames(outdir).map((name) => [name, readFileSync(join(outdir, name), "utf8")]));
  return gateway;
}

function startChild(file) {
  const child = fork(join(BENCH, file), [], { stdio: ["ignore", "ignore", "inherit", "ipc"], serialization: "advanced" });
  children.push(child);
  return child;
}

function nextMessage(child) {
  return new Promise((resolve, reject) => {
    const onExit = (code) => reject(new Error(`${child.spawnfile} exited ${code}`));
    child.once("exit", onExit);
    child.once("message", (message) => {
      child.off("exit", onExit);
      resolve(message);
    });
  });
}

// ------------------------------------------------------------------ checks before measuring

async function request(target, scenario, body = scenario.body) {
  const response = await fetch(new URL(scenario.path, target.url), { method: scenario.method, headers: scenario.headers, body });
  return { status: response.status, headers: response.headers, text: await response.text() };
}

/**
 * Every scenario must reach the origin through the target; the gateway with the benchmark's own
 * config must also enforce it (another --config may not have those policies).
 */
async function verify(target, originBody, checkPolicies) {
  for (const scenario of SCENARIOS) {
    // The gateway may serve a request or two from the config it had before the PUT.
    let answer;
    for (let attempt = 0; attempt < 20; attempt++) {
      answer = await request(target, scenario);
      if (answer.status === 200 && answer.text === originBody) break;
      await new Promise((resolve) => setTimeout(resolve, 250));
    }
    if (answer.status !== 200 || answer.text !== originBody) {
      throw new Error(
        `${target.label}: ${scenario.method} ${scenario.path} did not reach the origin: ${answer.status} ${answer.text.slice(0, 300)}`,
      );
    }
    if (checkPolicies && !answer.headers.get("strict-transport-security")) {
      throw new Error(`${target.label}: no Strict-Transport-Security header: the benchmark config is not in force`);
    }
  }
  if (checkPolicies) {
    const jwt = SCENARIOS.find((scenario) => scenario.name === "JWT");
    const anonymous = await request(target, { ...jwt, headers: {} });
    if (anonymous.status !== 401) throw new Error(`${target.label}: ${jwt.path} without a token was not refused (${anonymous.status})`);
    if (!(await request(target, jwt)).headers.get("ratelimit-policy"))
      throw new Error(`${target.label}: no RateLimit-Policy header: the rate limit is not in force`);
    const post = SCENARIOS.find((scenario) => scenario.method === "POST");
    const invalid = await request(target, post, JSON.stringify({ ...VALID_ORDER, items: [] }));
    if (invalid.status !== 400)
      throw new Error(`${target.label}: an order with no items was not refused by the JSON Schema check (${invalid.status})`);
  }
}

// ------------------------------------------------------------------ measuring

async function measureRound(target, scenario, ctx) {
  const callsBefore = await target.rateLimiterCalls?.();
  const othersBefore = await waitForQuiet();
  const before = {
    workerd: cpuMs(target.pid),
    origin: cpuMs(ctx.origin.pid),
    machine: machineBusyMs(),
    harness: process.cpuUsage(),
    logs: target.logs.lines,
  };
  const idleBefore = ctx.targets.filter((other) => other !== target).map((other) => cpuMs(other.pid));
  ctx.loadgen.send({
    url: new URL(scenario.path, target.url).href,
    connections: CONNECTIONS,
    duration: DURATION_S,
    method: scenario.method,
    headers: scenario.headers,
    body: scenario.body,
  });
  const load = await nextMessage(ctx.loadgen);
  const workerdMs = cpuMs(target.pid) - before.workerd;
  const originMs = cpuMs(ctx.origin.pid) - before.origin;
  const machineMs = machineBusyMs() - before.machine;
  const harness = process.cpuUsage(before.harness);
  const harnessMs = (harness.user + harness.system) / 1000;
  const idleMs = ctx.targets.filter((other) => other !== target).reduce((sum, other, i) => sum + cpuMs(other.pid) - idleBefore[i], 0);
  const rateLimiterCalls = callsBefore === undefined ? undefined : (await target.rateLimiterCalls()) - callsBefore;
  const requests = load.requests;
  const latencies = load.latencies.sort();
  const record = {
    scenario: scenario.name,
    target: target.label,
    requests,
    seconds: load.seconds,
    rps: requests / load.seconds,
    p50: percentile(latencies, 50),
    p99: percentile(latencies, 99),
    errors: load.errors,
    non2xx: load.non2xx,
    workerdMs,
    cpuMsPerRequest: workerdMs / requests,
    logLinesPerRequest: (target.logs.lines - before.logs) / requests,
    // Durable Object (RateLimiter) calls the round cost: leases make them a fraction per request.
    rateLimiterCalls,
    originMsPerRequest: originMs / requests,
    loadgenMsPerRequest: load.cpuMs / requests,
    harnessMsPerRequest: harnessMs / requests,
    // CPU used on this machine by anything this benchmark did not start (other helpers' tests...),
    // in cores: 0 is a quiet machine, 2 is both cores taken.
    otherCores: Math.max(0, machineMs - workerdMs - idleMs - originMs - load.cpuMs - harnessMs) / (load.seconds * 1000),
    otherCoresBefore: othersBefore,
    // Resident memory of the target's workerd after the round: steady growth means a leak.
    workerdRssMb: rssMb(target.pid),
  };
  return { record, latencies };
}

/** Nearest-rank percentile of sorted values. */
const percentile = (sorted, p) => sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)] ?? NaN;

function pooledSorted(arrays) {
  const pooled = new Float64Array(sum(arrays.map((a) => a.length)));
  let offset = 0;
  for (const a of arrays) {
    pooled.set(a, offset);
    offset += a.length;
  }
  return pooled.sort();
}

const median = (values) => {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
};
const sum = (values) => values.reduce((a, b) => a + b, 0);

function summarise(rounds, latencies) {
  const pooled = pooledSorted(rounds.map((r) => latencies.get(r)));
  return {
    rounds: rounds.length,
    requests: sum(rounds.map((r) => r.requests)),
    rps: median(rounds.map((r) => r.rps)),
    // Pooled over the measured rounds: one round's p99 rests on a few dozen answers.
    p50Ms: percentile(pooled, 50),
    p99Ms: percentile(pooled, 99),
    // Pooled over all measured rounds: /proc counts in clock ticks (10 ms), pooling keeps that small.
    cpuMsPerRequest: sum(rounds.map((r) => r.workerdMs)) / sum(rounds.map((r) => r.requests)),
    logLinesPerRequest: median(rounds.map((r) => r.logLinesPerRequest)),
    rateLimiterCallsPerRequest:
      rounds[0]?.rateLimiterCalls === undefined
        ? undefined
        : sum(rounds.map((r) => r.rateLimiterCalls)) / sum(rounds.map((r) => r.requests)),
    originCpuMsPerRequest: median(rounds.map((r) => r.originMsPerRequest)),
    loadgenCpuMsPerRequest: median(rounds.map((r) => r.loadgenMsPerRequest)),
    harnessCpuMsPerRequest: median(rounds.map((r) => r.harnessMsPerRequest)),
    workerdRssMbMax: Math.max(...rounds.map((r) => r.workerdRssMb)),
    errors: sum(rounds.map((r) => r.errors)),
    non2xx: sum(rounds.map((r) => r.non2xx)),
  };
}

function compare(scenario, baselineLabel, candidateLabel, measured, latencies) {
  const of = (label) => measured.filter((r) => r.scenario === scenario && r.target === label);
  const base = summarise(of(baselineLabel), latencies);
  const cand = summarise(of(candidateLabel), latencies);
  // Paired per-round ratios: how much one round's ratio differs from the next is the noise.
  const pairs = of(baselineLabel).map((b, i) => ({ base: b, cand: of(candidateLabel)[i] }));
  const cpuRatios = pairs.map(({ base: b, cand: c }) => c.cpuMsPerRequest / b.cpuMsPerRequest);
  const rpsRatios = pairs.map(({ base: b, cand: c }) => c.rps / b.rps);
  const ratios = {
    rps: cand.rps / base.rps,
    p50: cand.p50Ms / base.p50Ms,
    p99: cand.p99Ms / base.p99Ms,
    cpuPerRequest: cand.cpuMsPerRequest / base.cpuMsPerRequest,
  };
  const valid = base.errors + base.non2xx + cand.errors + cand.non2xx === 0;
  const meets = ratios.cpuPerRequest <= TARGETS.cpuRatioMax && ratios.rps >= TARGETS.throughputRatioMin;
  return {
    [baselineLabel]: base,
    [candidateLabel]: cand,
    ratios,
    noise: {
      cpuRatioPerRound: { min: Math.min(...cpuRatios), max: Math.max(...cpuRatios) },
      rpsRatioPerRound: { min: Math.min(...rpsRatios), max: Math.max(...rpsRatios) },
      otherCoresMedian: median(measured.filter((r) => r.scenario === scenario).map((r) => r.otherCores)),
      disturbedRoundsKept: measured.filter((r) => r.scenario === scenario && r.otherCores > DISTURBED_CORES).length,
    },
    verdict: !valid ? "invalid (errors or non-2xx answers)" : meets ? "meets targets" : "misses targets",
  };
}

// ------------------------------------------------------------------ report

const fmt = (value, digits = 2) => value.toLocaleString("en-US", { minimumFractionDigits: digits, maximumFractionDigits: digits });

function printTable(report, labels) {
  const rows = [["scenario", "target", "req/s", "p50 ms", "p99 ms", "CPU ms/req", "DO calls/req"]];
  for (const [name, result] of Object.entries(report.scenarios)) {
    for (const label of labels) {
      const s = result[label];
      rows.push([
        name,
        label,
        fmt(s.rps, 0),
        fmt(s.p50Ms, 1),
        fmt(s.p99Ms, 1),
        fmt(s.cpuMsPerRequest, 3),
        s.rateLimiterCallsPerRequest === undefined ? "-" : fmt(s.rateLimiterCallsPerRequest, 5),
      ]);
    }
    const ratioRow = (label, r) =>
      rows.push([name, label, `${fmt(r.rps)}x`, `${fmt(r.p50)}x`, `${fmt(r.p99)}x`, `${fmt(r.cpuPerRequest)}x`, ""]);
    ratioRow(`ratio to ${labels[0]}`, result.ratios);
    if (result.overRequiredWork) ratioRow("ratio to required-work", result.overRequiredWork.ratios);
  }
  const widths = rows[0].map((_, col) => Math.max(...rows.map((row) => row[col].length)));
  for (const row of rows) console.log(row.map((cell, col) => (col < 2 ? cell.padEnd(widths[col]) : cell.padStart(widths[col]))).join("  "));
  console.log();
  for (const [name, result] of Object.entries(report.scenarios)) {
    const n = result.noise;
    console.log(
      `${name}: ${result.verdict}  (per-round ratios: CPU ${fmt(n.cpuRatioPerRound.min)}-${fmt(n.cpuRatioPerRound.max)}x, ` +
        `req/s ${fmt(n.rpsRatioPerRound.min)}-${fmt(n.rpsRatioPerRound.max)}x; other load on the machine ${fmt(n.otherCoresMedian)} cores, ` +
        `${n.disturbedRoundsKept} disturbed rounds kept)`,
    );
    const own = result.overRequiredWork;
    if (own) {
      console.log(
        `${name}: over the required work alone, CPU ${fmt(own.ratios.cpuPerRequest)}x (per round ${fmt(own.noise.cpuRatioPerRound.min)}-${fmt(own.noise.cpuRatioPerRound.max)}x), ` +
          `req/s ${fmt(own.ratios.rps)}x: what routing, validation, auth, rate limit and circuit add`,
      );
    }
  }
  const m = report.method;
  console.log(`machine: waited ${fmt(m.quietWaitSeconds, 1)} s for other processes to quiet down, measured ${m.reruns} rounds again`);
  console.log(`targets: CPU per request <= ${TARGETS.cpuRatioMax}x and req/s >= ${TARGETS.throughputRatioMin}x the pass-through`);
}

// ------------------------------------------------------------------ main

function positiveInt(text, name) {
  const value = Number(text);
  if (!Number.isInteger(value) || value < 1) fail(`${name} must be a positive integer`);
  return value;
}

function fail(message) {
  console.error(`bench: ${message}`);
  process.exit(2);
}

async function main() {
  if (RUN_MAIN) await gatewayVsPassThrough();
  await cleanup();
  if (RUN_ISOLATES) await benchIsolates({ resultsDir: join(BENCH, "results") });
  if (RUN_COLD_START) await benchColdStart({ resultsDir: join(BENCH, "results") });
}

async function gatewayVsPassThrough() {
  const origin = startChild("origin.mjs");
  const { port } = await nextMessage(origin);
  const originHostPort = `127.0.0.1:${port}`;
  const originBody = await (await fetch(`http://${originHostPort}/`)).text();
  origin.send({ jwks: JWT.jwks, tls: { key: JWKS_TLS.key, cert: JWKS_TLS.cert } });
  const { jwksPort } = await nextMessage(origin);

  const baseline = await startPassThrough("pass-through", `http://${originHostPort}`);
  // The features the benchmark config turns on for every response, done by hand: what they cost
  // by themselves, measured in the same rounds (not with --self-check or --profile).
  const required = WITH_REQUIRED_WORK
    ? await startPassThrough("required-work", `http://${originHostPort}`, join(BENCH, "passthrough-required.js"))
    : undefined;
  const inspectorPort = PROFILE ? await freePort() : undefined;
  const candidate = SELF_CHECK
    ? await startPassThrough("pass-through-2", `http://${originHostPort}`)
    : await startGateway(originHostPort, `127.0.0.1:${jwksPort}`, inspectorPort);
  await verify(baseline, originBody, false);
  if (required) await verify(required, originBody, false);
  await verify(candidate, originBody, !SELF_CHECK && resolvePath(args.config) === DEFAULT_CONFIG);

  const loadgen = startChild("load.mjs");
  const targets = [baseline, ...(required ? [required] : []), candidate];
  const ctx = { origin, loadgen, targets };
  if (PROFILE) return profile(candidate, inspectorPort, loadgen);
  console.log(
    `bench: ${targets.map((target) => `${target.label} (workerd ${target.pid})`).join(" vs ")}, origin ${originHostPort}; ` +
      `${ROUNDS} rounds x ${MEASURED.length} scenarios x ${targets.length} targets x ${DURATION_S} s, ${CONNECTIONS} connections; round 1 is warm-up`,
  );

  const all = [];
  const latencies = new Map();
  let reruns = 0;
  for (let round = 0; round < ROUNDS; round++) {
    for (const [i, scenario] of MEASURED.entries()) {
      // Each round starts with another target, so that drift hits them all alike.
      const shift = (round + i) % targets.length;
      const order = [...targets.slice(shift), ...targets.slice(0, shift)];
      for (const target of order) {
        const name = `round ${round + 1}${round === 0 ? " (warm-up)" : ""} ${scenario.name} ${target.label}`;
        let measurement = await measureRound(target, scenario, ctx);
        while (round > 0 && measurement.record.otherCores > DISTURBED_CORES && reruns < MAX_RERUNS) {
          reruns += 1;
          process.stderr.write(`  ${name}: other processes used ${fmt(measurement.record.otherCores)} cores; measuring again\n`);
          measurement = await measureRound(target, scenario, ctx);
        }
        const record = { round, ...measurement.record };
        all.push(record);
        latencies.set(record, measurement.latencies);
        process.stderr.write(`  ${name}: ${fmt(record.rps, 0)} req/s, ${fmt(record.cpuMsPerRequest, 3)} CPU ms/req\n`);
      }
    }
  }
  const measured = all.filter((r) => r.round > 0);

  const report = {
    date: new Date().toISOString(),
    mode: SELF_CHECK ? "self-check: pass-through vs pass-through" : "gateway vs pass-through",
    machine: { cores: cpus().length, cpu: cpus()[0]?.model, node: process.version, miniflare: require("miniflare/package.json").version },
    method: {
      rounds: ROUNDS,
      warmupRounds: 1,
      roundSeconds: DURATION_S,
      connections: CONNECTIONS,
      loadGenerator: `autocannon ${require("autocannon/package.json").version}`,
      cpu: "workerd utime+stime from /proc/<pid>/stat, pooled over measured rounds / requests",
      aggregation: "req/s: median of measured rounds; latency: percentiles of all measured rounds' answers",
      disturbedCores: DISTURBED_CORES,
      reruns,
      quietWaitSeconds: quietWaitedMs / 1000,
    },
    targets: TARGETS,
    gatewayConfig: SELF_CHECK
      ? undefined
      : {
          file: relative(ROOT, resolvePath(args.config)),
          version: candidate.configAnswer.version,
          warnings: candidate.configAnswer.warnings,
        },
    scenarios: Object.fromEntries(
      MEASURED.map((s) => {
        const result = compare(s.name, baseline.label, candidate.label, measured, latencies);
        if (required) {
          const own = compare(s.name, required.label, candidate.label, measured, latencies);
          Object.assign(result, { [required.label]: own[required.label], overRequiredWork: { ratios: own.ratios, noise: own.noise } });
        }
        return [s.name, result];
      }),
    ),
    workerdProblems: Object.fromEntries(targets.map((t) => [t.label, t.logs.problems])),
    rounds: all,
  };
  mkdirSync(join(BENCH, "results"), { recursive: true });
  const file = join(BENCH, "results", SELF_CHECK ? "self-check.json" : "latest.json");
  writeFileSync(file, `${JSON.stringify(report, null, 2)}\n`);

  console.log();
  printTable(
    report,
    targets.map((target) => target.label),
  );
  for (const [name, result] of Object.entries(report.scenarios)) {
    console.log(
      `${name}: workerd wrote ${fmt(result[candidate.label].logLinesPerRequest)} log lines per request through ${candidate.label} (drained from a pipe)`,
    );
  }
  for (const target of targets) {
    if (target.logs.problems.length > 0) console.log(`${target.label} logged problems: ${target.logs.problems.join(" | ")}`);
  }
  console.log(`written: ${file.slice(ROOT.length + 1)}`);
}

async function profile(gateway, inspectorPort, loadgen) {
  const runLoad = (scenario, duration) => {
    loadgen.send({
      url: new URL(scenario.path, gateway.url).href,
      connections: CONNECTIONS,
      duration,
      method: scenario.method,
      headers: scenario.headers,
      body: scenario.body,
    });
    return nextMessage(loadgen);
  };
  const results = {};
  for (const scenario of MEASURED) {
    await runLoad(scenario, 2); // warm-up: JIT, connection pools
    const result = await profileWorker({
      inspectorPort,
      workerName: "loom-edge",
      uploadedSources: gateway.uploadedSources,
      runLoad: () => runLoad(scenario, DURATION_S),
    });
    results[scenario.name] = result;
    console.log(
      `\n${scenario.name} ${scenario.path}: ${result.requests} requests, ${fmt(result.sampledMsPerRequest, 3)} ms sampled per request (profiler on)`,
    );
    console.log("  self ms/req  module");
    for (const row of result.byModule) console.log(`  ${fmt(row.msPerRequest, 4).padStart(11)}  ${row.name}`);
    console.log("  self ms/req  function");
    for (const row of result.byFunction) console.log(`  ${fmt(row.msPerRequest, 4).padStart(11)}  ${row.name}`);
    console.log("  total ms/req  function (self and callees)");
    for (const row of result.inclusive) console.log(`  ${fmt(row.msPerRequest, 4).padStart(12)}  ${row.name}`);
  }
  mkdirSync(join(BENCH, "results"), { recursive: true });
  const file = join(BENCH, "results", "profile.json");
  writeFileSync(
    file,
    `${JSON.stringify({ date: new Date().toISOString(), config: relative(ROOT, resolvePath(args.config)), scenarios: results }, null, 2)}\n`,
  );
  console.log(`\nwritten: ${relative(ROOT, file)}`);
}

try {
  await main();
} catch (error) {
  console.error(`bench: ${error.stack ?? error}`);
  process.exitCode = 1;
} finally {
  await cleanup();
}
process.exit(process.exitCode ?? 0);
