/**
 * `npm run dev`: the whole gateway on this machine, ready to curl.
 *
 *   1. `.dev.vars` with random secrets, created (or completed) if needed; it is gitignored.
 *   2. D1 migrations applied to the local database in .wrangler/state.
 *   3. The demo origin (scripts/demo-origin.mjs) on 127.0.0.1:8788.
 *   4. `wrangler dev` on 127.0.0.1:8787 with local KV, D1 and Durable Objects, persisted in
 *      .wrangler/state so config versions and the audit log survive a restart.
 *   5. The demo config (scripts/demo-config.yaml) saved through PUT /admin/config.
 *   6. The admin token and two curl commands that work as printed.
 * Ctrl-C stops wrangler (its whole process group) and the origin.
 */
import { spawn } from "node:child_process";
import { randomBytes } from "node:crypto";
import { existsSync, readFileSync, writeFileSync, appendFileSync } from "node:fs";
import { createServer } from "node:net";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { DEMO_ORIGIN_PORT, startOrigin } from "./demo-origin.mjs";

const ROOT = join(dirname(fileURLToPath(import.meta.url)), "..");
const WRANGLER = join(ROOT, "node_modules", "wrangler", "bin", "wrangler.js");
const DEV_VARS = join(ROOT, ".dev.vars");
const PERSIST_DIR = ".wrangler/state";
const HOST = "127.0.0.1";
const PORT = 8787;
const BASE = `http://${HOST}:${PORT}`;
const READY_TIMEOUT_MS = 120_000;

/** Secrets the local gateway needs; each gets a random value when `.dev.vars` lacks it. */
const DEV_SECRETS = {
  ADMIN_TOKEN: "bearer token of the admin API",
  ADMIN_PASSWORD: "password of the demo config's admin basic auth (${ADMIN_PASSWORD})",
  DEMO_API_KEY: "an API key for configs that reference ${DEMO_API_KEY}",
  VAULT_ROOT_KEY: "root key of the credential vault (32 random bytes, base64url)",
  AUDIT_HMAC_KEY: "key of the audit chain's keyed heads (32 random bytes, base64url)",
};

const log = (message) => console.log(`[dev] ${message}`);

function fail(message) {
  console.error(`[dev] ${message}`);
  process.exit(1);
}

/** KEY=VALUE lines of a dotenv file (quotes removed); comments and blank lines ignored. */
function parseDotenv(text) {
  const vars = {};
  for (const line of text.split(/\r?\n/)) {
    const match = /^\s*(?:export\s+)?([A-Za-z_][A-Za-z0-9_]*)\s*=\s*(.*?)\s*$/.exec(line);
    if (match) vars[match[1]] = match[2].replace(/^(['"])(.*)\1$/, "$2");
  }
  return vars;
}

/** Creates `.dev.vars`, or appends the secrets it lacks; never rewrites what is there. */
function ensureDevVars() {
  const existing = existsSync(DEV_VARS) ? parseDotenv(readFileSync(DEV_VARS, "utf8")) : undefined;
  const missing = Object.keys(DEV_SECRETS).filter((name) => !existing?.[name]);
  if (missing.length > 0) {
    const lines = missing.map((name) => `# ${DEV_SECRETS[name]}\n${name}=${randomBytes(32).toString("base64url")}\n`).join("");
    if (existing) {
      const text = readFileSync(DEV_VARS, "utf8");
      appendFileSync(DEV_VARS, `${text.endsWith("\n") || text === "" ? "" : "\n"}${lines}`);
      log(`added ${missing.join(", ")} to .dev.vars`);
    } else {
      writeFileSync(DEV_VARS, `# Local secrets for wrangler dev (never committed; see .gitignore).\n${lines}`, { mode: 0o600 });
      log("created .dev.vars with random secrets");
    }
  }
  return parseDotenv(readFileSync(DEV_VARS, "utf8"));
}

/** Resolves when 127.0.0.1:`port` can be bound, fails with a readable message when not. */
function ensurePortFree(port, what) {
  return new Promise((resolve) => {
    const probe = createServer();
    probe.once("error", () => fail(`port ${port} (${what}) is already in use; is another \`npm run dev\` running?`));
    probe.listen(port, HOST, () => probe.close(resolve));
  });
}

/** Environment of every wrangler child: no metrics, no fetch of the Request.cf object. */
const wranglerEnv = { ...process.env, WRANGLER_SEND_METRICS: "false", CLOUDFLARE_CF_FETCH_ENABLED: "false" };

function applyMigrations() {
  return new Promise((resolve) => {
    // No stdin: wrangler then takes "yes" for its confirmation prompt instead of waiting.
    const child = spawn(process.execPath, [WRANGLER, "d1", "migrations", "apply", "DB", "--local", "--persist-to", PERSIST_DIR], {
      cwd: ROOT,
      env: wranglerEnv,
      stdio: ["ignore", "pipe", "pipe"],
    });
    let output = "";
    child.stdout.on("data", (chunk) => (output += chunk));
    child.stderr.on("data", (chunk) => (output += chunk));
    child.on("close", (code) => {
      if (code !== 0) fail(`wrangler d1 migrations apply failed (exit ${code}):\n${output}`);
      log(/No migrations to apply/i.test(output) ? "D1 migrations: up to date" : "D1 migrations applied to the local database");
      resolve();
    });
  });
}

/** Forwards a child's output line by line with a prefix, so the two logs stay readable. */
function prefixLines(stream, prefix, sink) {
  let partial = "";
  stream.on("data", (chunk) => {
    const lines = (partial + chunk).split("\n");
    partial = lines.pop();
    for (const line of lines) sink.write(`${prefix}${line}\n`);
  });
  stream.on("end", () => partial && sink.write(`${prefix}${partial}\n`));
}

function startWrangler() {
  // Its own process group, so Ctrl-C is handled here and the whole tree (wrangler, workerd)
  // is stopped together.
  const child = spawn(
    process.execPath,
    // --local: Workers AI and Vectorize (wrangler.toml) run only on Cloudflare; without it wrangler
    // would open a remote session, which needs an account.
    [WRANGLER, "dev", "--local", "--ip", HOST, "--port", String(PORT), "--persist-to", PERSIST_DIR, "--show-interactive-dev-session=false"],
    { cwd: ROOT, env: wranglerEnv, stdio: ["ignore", "pipe", "pipe"], detached: true },
  );
  prefixLines(child.stdout, "[wrangler] ", process.stdout);
  prefixLines(child.stderr, "[wrangler] ", process.stderr);
  return child;
}

const running = (child) => child.exitCode === null && child.signalCode === null;

/**
 * Any HTTP answer from the Worker means wrangler has built and started it. False when wrangler
 * exited or stayed silent (a build error, for instance, which wrangler has printed).
 */
async function waitUntilReady(wrangler, token) {
  const deadline = Date.now() + READY_TIMEOUT_MS;
  while (Date.now() < deadline && running(wrangler)) {
    try {
      await fetch(`${BASE}/admin/health`, { headers: { Authorization: `Bearer ${token}` }, signal: AbortSignal.timeout(5_000) });
      return true;
    } catch {
      await new Promise((resolve) => setTimeout(resolve, 250));
    }
  }
  return false;
}

/** Saves the demo config as a new version; a failure is reported but leaves the gateway up. */
async function loadDemoConfig(token) {
  const yaml = readFileSync(join(ROOT, "scripts", "demo-config.yaml"), "utf8");
  let res;
  let text;
  try {
    res = await fetch(`${BASE}/admin/config`, {
      method: "PUT",
      headers: { Authorization: `Bearer ${token}`, "Content-Type": "application/yaml" },
      body: yaml,
    });
    text = await res.text();
  } catch (error) {
    console.error(`[dev] loading scripts/demo-config.yaml failed: ${error.message}`);
    return false;
  }
  if (!res.ok) {
    console.error(`[dev] loading scripts/demo-config.yaml failed: ${res.status}\n${text}`);
    return false;
  }
  const { version, warnings = [] } = JSON.parse(text);
  log(`demo config saved as version ${version}`);
  for (const warning of warnings) log(`  warning: ${warning}`);
  return true;
}

function banner(token, loaded) {
  const lines = [
    "",
    `Loom Edge is running on ${BASE} (demo origin on http://${HOST}:${DEMO_ORIGIN_PORT}).`,
    "",
    `Admin token (from .dev.vars): ${token}`,
    "",
    "Try:",
    `  curl -i ${BASE}/demo/hello`,
    `  curl -s -H "Authorization: Bearer ${token}" ${BASE}/admin/config`,
    "",
    ...(loaded ? [] : ["(the demo config was not saved, see the error above, so the first command answers 404)", ""]),
    "Ctrl-C stops everything.",
    "",
  ];
  console.log(lines.join("\n"));
}

function stopGroup(child, signal) {
  try {
    process.kill(-child.pid, signal);
  } catch {
    // Already gone.
  }
}

async function main() {
  const [major, minor] = process.versions.node.split(".").map(Number);
  if (major < 22 || (major === 22 && minor < 12)) {
    fail(`Node ${process.versions.node} is too old for wrangler; run this through \`npm run dev\`, which uses the project's Node 24`);
  }
  if (!existsSync(WRANGLER)) fail("wrangler is not installed; run `npm install` first");
  process.chdir(ROOT);

  const token = ensureDevVars().ADMIN_TOKEN;
  await ensurePortFree(PORT, "gateway");
  await ensurePortFree(DEMO_ORIGIN_PORT, "demo origin");
  await applyMigrations();
  const origin = await startOrigin(DEMO_ORIGIN_PORT, {
    onRequest: (record) => console.log(`[origin] ${record.method} ${record.url}`),
  });
  log(`demo origin listening on http://${HOST}:${DEMO_ORIGIN_PORT}`);

  const wrangler = startWrangler();
  let stopping = false;
  const shutdown = (code) => {
    if (stopping) return;
    stopping = true;
    log("stopping");
    stopGroup(wrangler, "SIGTERM");
    const force = setTimeout(() => stopGroup(wrangler, "SIGKILL"), 5_000);
    force.unref();
    origin.close();
    origin.closeAllConnections();
    // wrangler stops workerd before it exits; the SIGKILL only catches a straggler.
    const exit = () => {
      stopGroup(wrangler, "SIGKILL");
      process.exit(code);
    };
    if (running(wrangler)) wrangler.once("exit", exit);
    else exit();
  };
  process.on("SIGINT", () => shutdown(0));
  process.on("SIGTERM", () => shutdown(0));
  process.on("SIGHUP", () => shutdown(0));
  wrangler.on("exit", (code) => {
    if (!stopping) {
      console.error(`[dev] wrangler dev exited (code ${code})`);
      shutdown(code ?? 1);
    }
  });

  if (!(await waitUntilReady(wrangler, token))) {
    if (!stopping) {
      console.error(`[dev] wrangler dev did not answer on ${BASE} within ${READY_TIMEOUT_MS / 1000}s`);
      shutdown(1);
    }
    return;
  }
  banner(token, await loadDemoConfig(token));
}

await main();
