/**
 * End-to-end harness: a real origin HTTP server and a real `wrangler dev` (workerd with local
 * KV, D1 and Durable Objects), both on 127.0.0.1 on free ports, talked to over HTTP.
 *
 * Each test file starts its own pair in `beforeAll` (a few seconds) and stops it in `afterAll`,
 * so files never share config state and may run side by side. Everything a run writes (the
 * secrets file, local storage) lives in a temporary directory removed on stop; wrangler runs in
 * its own process group, which is killed as a whole.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { randomBytes } from "node:crypto";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { request as httpRequest, type IncomingHttpHeaders } from "node:http";
import { createServer as createNetServer, type AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { startOrigin as listenOrigin } from "../../scripts/demo-origin.mjs";

const ROOT = join(dirname(fileURLToPath(import.meta.url)), "..", "..");
const WRANGLER = join(ROOT, "node_modules", "wrangler", "bin", "wrangler.js");
const HOST = "127.0.0.1";
const READY_TIMEOUT_MS = 90_000;
const STOP_GRACE_MS = 3_000;

// ------------------------------------------------------------------ small utilities

/** `count` distinct TCP ports on 127.0.0.1 that nothing listens on right now. */
export async function freePorts(count: number): Promise<number[]> {
  // All held open at once, so the system cannot hand out the same port twice.
  const servers = await Promise.all(
    Array.from({ length: count }, async () => {
      const server = createNetServer();
      await new Promise<void>((resolve, reject) => {
        server.once("error", reject);
        server.listen(0, HOST, resolve);
      });
      return server;
    }),
  );
  const ports = servers.map((server) => (server.address() as AddressInfo).port);
  await Promise.all(servers.map((server) => new Promise<void>((resolve) => server.close(() => resolve()))));
  return ports;
}

export const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

const randomSecret = () => randomBytes(24).toString("base64url");

/** Reads a response body to the end, or to the point where the connection was cut. */
export async function readBody(res: Response): Promise<{ bytes: number; text: string; cut: boolean }> {
  const chunks: Uint8Array[] = [];
  let bytes = 0;
  let cut = false;
  const reader = res.body?.getReader();
  try {
    while (reader) {
      const { done, value } = await reader.read();
      if (done) break;
      chunks.push(value);
      bytes += value.byteLength;
    }
  } catch {
    cut = true;
  }
  return { bytes, text: Buffer.concat(chunks).toString("utf8"), cut };
}

// ------------------------------------------------------------------ raw HTTP

export interface RawResponse {
  status: number;
  headers: IncomingHttpHeaders;
  text: string;
  json<T = Record<string, unknown>>(): T;
}

export interface RawRequest {
  method?: string;
  /** Sent exactly as given: no URL parsing, so `%2e%2e` and `//` reach the gateway as written. */
  path: string;
  headers?: Record<string, string>;
  body?: string | Buffer;
  /** Written one by one without a Content-Length, so the body goes out chunked. */
  chunks?: (string | Buffer)[];
}

/**
 * One HTTP/1.1 request through node:http, for what `fetch` would not send as written: raw
 * request targets (fetch normalises `%2e%2e` and dot segments), hop-by-hop headers, chunked
 * bodies without Content-Length.
 */
export function rawRequest(baseUrl: string, request: RawRequest): Promise<RawResponse> {
  const base = new URL(baseUrl);
  return new Promise((resolve, reject) => {
    const req = httpRequest({
      host: base.hostname,
      port: base.port,
      method: request.method ?? "GET",
      path: request.path,
      headers: request.headers,
      agent: false,
    });
    req.on("error", reject);
    req.on("response", (res) => {
      const chunks: Buffer[] = [];
      res.on("data", (chunk: Buffer) => chunks.push(chunk));
      res.on("error", reject);
      res.on("end", () => {
        const text = Buffer.concat(chunks).toString("utf8");
        resolve({ status: res.statusCode ?? 0, headers: res.headers, text, json: () => JSON.parse(text) });
      });
    });
    if (request.chunks) {
      for (const chunk of request.chunks) req.write(chunk);
      req.end();
    } else {
      req.end(request.body);
    }
  });
}

// ------------------------------------------------------------------ the origin

/** What the origin received (scripts/demo-origin.mjs), once the body was read or abandoned. */
export interface OriginRequest {
  method: string;
  /** The request target exactly as received. */
  url: string;
  path: string;
  query: Record<string, string>;
  headers: IncomingHttpHeaders;
  /** The body as text, when it was at most 64 KB. */
  body: string | undefined;
  bodyBytes: number;
  /** False when the sender gave up before the end of the body. */
  complete: boolean;
}

export interface Origin {
  /** `127.0.0.1:<port>`, the form an upstream endpoint takes in a config. */
  endpoint: string;
  url: string;
  requests: OriginRequest[];
  /** Requests whose target contains `marker`; tests mark requests to find their own. */
  received(marker: string): OriginRequest[];
  stop(): Promise<void>;
}

/**
 * The origin of scripts/demo-origin.mjs (echo, /status/:code, /slow?ms=, /bytes?n=,
 * /stream?n=, /reset, /hop) on a free port, recording every request it receives.
 */
export async function startOrigin(): Promise<Origin> {
  const requests: OriginRequest[] = [];
  const server = await listenOrigin(0, { onRequest: (record: OriginRequest) => requests.push(record) });
  const { port } = server.address() as AddressInfo;
  return {
    endpoint: `${HOST}:${port}`,
    url: `http://${HOST}:${port}`,
    requests,
    received: (marker) => requests.filter((record) => record.url.includes(marker)),
    stop: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

// ------------------------------------------------------------------ wrangler

function runWrangler(args: string[], options: { detached?: boolean } = {}): ChildProcess {
  return spawn(process.execPath, [WRANGLER, ...args], {
    cwd: ROOT,
    // No metrics, and no fetch of the Request.cf object from the internet (it falls back to a
    // placeholder anyway, after a timeout when there is no network).
    env: { ...process.env, WRANGLER_SEND_METRICS: "false", CLOUDFLARE_CF_FETCH_ENABLED: "false" },
    stdio: ["ignore", "pipe", "pipe"],
    detached: options.detached ?? false,
  });
}

/** Keeps a child's output; `E2E_VERBOSE=1` also shows it live, to see why a test failed. */
function collectOutput(child: ChildProcess): { text: () => string } {
  let output = "";
  const keep = (chunk: Buffer) => {
    output += chunk;
    if (process.env.E2E_VERBOSE) process.stderr.write(chunk);
  };
  child.stdout?.on("data", keep);
  child.stderr?.on("data", keep);
  return { text: () => output };
}

function applyMigrations(persistDir: string): Promise<void> {
  // No stdin: wrangler takes "yes" for its confirmation prompt.
  const child = runWrangler(["d1", "migrations", "apply", "DB", "--local", "--persist-to", persistDir]);
  const output = collectOutput(child);
  return new Promise((resolve, reject) => {
    child.on("error", reject);
    child.on("close", (code) =>
      code === 0 ? resolve() : reject(new Error(`wrangler d1 migrations apply failed (${code}):\n${output.text()}`)),
    );
  });
}

const tail = (text: string, lines = 40) => text.split("\n").slice(-lines).join("\n");

export interface Gateway {
  /** `http://127.0.0.1:<port>` */
  url: string;
  adminToken: string;
  /** The Worker secrets of this run (ADMIN_TOKEN, ADMIN_PASSWORD, DEMO_API_KEY, AUDIT_HMAC_KEY). */
  secrets: Readonly<Record<string, string>>;
  /** Everything wrangler (and so the Worker's console, the access log) printed so far. */
  logs(): string;
  /** `fetch` relative to the gateway, never following redirects. */
  fetch(path: string, init?: RequestInit): Promise<Response>;
  /** `fetch` to the admin API with the bearer token (unless `init.headers` sets Authorization). */
  admin(path: string, init?: RequestInit): Promise<Response>;
  /** `PUT /admin/config`: a string is sent as YAML, an object as JSON. */
  putConfig(config: string | object, headers?: Record<string, string>): Promise<Response>;
  /** Runs SQL on the local D1 database the running Worker uses (`wrangler d1 execute`). */
  d1(sql: string): Promise<D1Result>;
  stop(): Promise<void>;
}

export type D1Result = { ok: true; rows: Record<string, unknown>[] } | { ok: false; output: string };

/**
 * A statement run by a second process on the SQLite file the running `wrangler dev` writes to
 * (its audit queue consumer commits in the background) can meet the file locked, which
 * wrangler reports as an internal error: such a run is tried again, at most D1_ATTEMPTS times.
 * A statement the database refuses (a trigger, a constraint) is answered at once.
 */
const D1_ATTEMPTS = 3;
const LOCKED = /internal error|SQLITE_BUSY|database is locked/i;

async function executeD1(persistDir: string, sql: string): Promise<D1Result> {
  for (let attempt = 1; ; attempt++) {
    const result = await executeD1Once(persistDir, sql);
    if (result.ok || !LOCKED.test(result.output) || attempt === D1_ATTEMPTS) return result;
    await sleep(500 * attempt);
  }
}

function executeD1Once(persistDir: string, sql: string): Promise<D1Result> {
  const child = runWrangler(["d1", "execute", "DB", "--local", "--persist-to", persistDir, "--json", "--command", sql]);
  let stdout = "";
  child.stdout?.on("data", (chunk) => (stdout += chunk));
  const output = collectOutput(child);
  return new Promise((resolve, reject) => {
    child.on("error", reject);
    child.on("close", (code) => {
      if (code !== 0) return resolve({ ok: false, output: output.text() });
      const [first] = JSON.parse(stdout) as { results: Record<string, unknown>[] }[];
      resolve({ ok: true, rows: first?.results ?? [] });
    });
  });
}

/**
 * Starts `wrangler dev` on a free port with a fresh local persistence directory (migrations
 * applied) and random secrets, and waits until the Worker answers. The temporary directory is
 * removed on stop, and when starting fails.
 */
export async function startGateway(options: GatewayOptions = {}): Promise<Gateway> {
  for (let attempt = 1; ; attempt++) {
    const dir = await mkdtemp(join(tmpdir(), "loom-e2e-"));
    try {
      return await launchGateway(dir, options);
    } catch (error) {
      await rm(dir, { recursive: true, force: true });
      if (!(error instanceof PortTakenError) || attempt === PORT_ATTEMPTS) throw error;
    }
  }
}

/** How often a gateway is started on fresh ports when another server took the one it was given. */
const PORT_ATTEMPTS = 3;

/**
 * The free port went to another server between freePorts() and wrangler's bind (the files of a
 * run start side by side, and each listens on ports the system hands out): wrangler could not
 * bind it, or that server answered the readiness probe but refused this run's admin token.
 */
class PortTakenError extends Error {}

export interface GatewayOptions {
  /** Worker variables given to `wrangler dev` as `--var NAME:value` (what `[vars]` or the dashboard sets when deployed). */
  vars?: Record<string, string>;
}

async function launchGateway(dir: string, { vars = {} }: GatewayOptions): Promise<Gateway> {
  const persistDir = join(dir, "state");
  const envFile = join(dir, "secrets.env");
  const secrets = {
    ADMIN_TOKEN: randomSecret(),
    ADMIN_PASSWORD: randomSecret(),
    DEMO_API_KEY: randomSecret(),
    AUDIT_HMAC_KEY: randomSecret(),
  };
  await writeFile(
    envFile,
    Object.entries(secrets)
      .map(([name, value]) => `${name}=${value}\n`)
      .join(""),
    { mode: 0o600 },
  );
  await applyMigrations(persistDir);

  const [port, inspectorPort] = (await freePorts(2)) as [number, number];
  const url = `http://${HOST}:${port}`;
  const child = runWrangler(
    [
      "dev",
      // Workers AI and Vectorize (wrangler.toml) run only on Cloudflare: no remote session.
      "--local",
      "--ip",
      HOST,
      "--port",
      String(port),
      "--inspector-port",
      String(inspectorPort),
      "--persist-to",
      persistDir,
      // Secrets from this run's file only; the developer's .dev.vars is not read.
      "--env-file",
      envFile,
      // The isolate re-reads the config pointer on every request, so a test sees a saved
      // version at once instead of after the cache TTL (2 s in wrangler.toml).
      "--var",
      "CONFIG_CACHE_TTL_MS:1",
      // Every request-path audit event its own row, sent through the local queue at once
      // (delivered within the consumer's max_batch_timeout, 5 s in wrangler.toml).
      "--var",
      "AUDIT_WINDOW_MS:0",
      ...Object.entries(vars).flatMap(([name, value]) => ["--var", `${name}:${value}`]),
      "--show-interactive-dev-session=false",
    ],
    { detached: true },
  );
  const output = collectOutput(child);
  let exited = false;
  const exitedPromise = new Promise<void>((resolve) => child.once("close", () => ((exited = true), resolve())));
  // If the test process dies without afterAll, wrangler and workerd must not outlive it.
  const killGroup = (signal: NodeJS.Signals) => {
    try {
      process.kill(-child.pid!, signal);
    } catch {
      // The group is gone.
    }
  };
  const killOnExit = () => killGroup("SIGKILL");
  process.once("exit", killOnExit);

  const stop = async () => {
    process.off("exit", killOnExit);
    killGroup("SIGTERM");
    await Promise.race([exitedPromise, sleep(STOP_GRACE_MS)]);
    killGroup("SIGKILL");
    await rm(dir, { recursive: true, force: true });
  };

  const authorized = (init: RequestInit = {}): RequestInit => {
    const headers = new Headers(init.headers);
    if (!headers.has("Authorization")) headers.set("Authorization", `Bearer ${secrets.ADMIN_TOKEN}`);
    return { ...init, headers };
  };
  const gatewayFetch = (path: string, init: RequestInit = {}) => fetch(`${url}${path}`, { redirect: "manual", ...init });

  // An HTTP answer means the Worker is built and running. /admin/health is the readiness
  // endpoint of the admin API; its status is asserted by the tests, not here, except that it
  // must take this run's token.
  const deadline = Date.now() + READY_TIMEOUT_MS;
  for (;;) {
    if (exited) {
      await stop();
      const said = output.text();
      // Another server bound the port between freePorts() and wrangler: start again on others.
      if (said.includes("Address already in use")) throw new PortTakenError(`wrangler dev: a port was taken:\n${tail(said)}`);
      throw new Error(`wrangler dev exited before it answered:\n${tail(said)}`);
    }
    if (Date.now() > deadline) {
      await stop();
      throw new Error(`wrangler dev did not answer on ${url} within ${READY_TIMEOUT_MS / 1000}s:\n${tail(output.text())}`);
    }
    let answer: Response;
    try {
      answer = await gatewayFetch("/admin/health", authorized({ signal: AbortSignal.timeout(5_000) }));
      await answer.body?.cancel();
    } catch {
      await sleep(200);
      continue;
    }
    // The gateway sets X-Request-Id on every answer; without it, wrangler's proxy answered for a
    // Worker still starting.
    if (!answer.headers.has("x-request-id")) {
      await sleep(200);
      continue;
    }
    // Only this run's Worker accepts this run's token: a 401 is another gateway on the port.
    if (answer.status === 401) {
      await stop();
      throw new PortTakenError(`another server answers on ${url}`);
    }
    break;
  }

  return {
    url,
    adminToken: secrets.ADMIN_TOKEN,
    secrets,
    logs: output.text,
    fetch: gatewayFetch,
    admin: (path, init) => gatewayFetch(`/admin${path}`, authorized(init)),
    putConfig: (config, headers = {}) =>
      gatewayFetch(
        "/admin/config",
        authorized({
          method: "PUT",
          headers: { "Content-Type": typeof config === "string" ? "application/yaml" : "application/json", ...headers },
          body: typeof config === "string" ? config : JSON.stringify(config),
        }),
      ),
    d1: (sql) => executeD1(persistDir, sql),
    stop,
  };
}

// ------------------------------------------------------------------ both at once

export interface E2E {
  gateway: Gateway;
  origin: Origin;
  stop(): Promise<void>;
}

/** The origin and the gateway of one test file; stop both in `afterAll`. */
export async function startE2E(): Promise<E2E> {
  const origin = await startOrigin();
  try {
    const gateway = await startGateway();
    return { gateway, origin, stop: async () => void (await Promise.all([gateway.stop(), origin.stop()])) };
  } catch (error) {
    await origin.stop();
    throw error;
  }
}

/** A unique marker for a test's request paths, to find them in the origin's records. */
export const marker = () => `m${randomBytes(6).toString("hex")}`;
