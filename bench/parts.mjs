// `npx node bench/parts.mjs` (Node 24 from node_modules): what
// single pieces of per-request work cost inside workerd, to say where a request's CPU goes
// (bench/README.md, "What costs what"). parts-worker.js does one piece N times per request; the
// workerd process's CPU (utime + stime from /proc/<pid>/stat) over those requests, divided by
// the pieces done, is its cost. Rounds alternate the pieces so that drift hits all alike; the
// median of the rounds is printed, in microseconds and as a share of `--request-ms` (the CPU
// per request of the hand-written Hono worker in `npm run bench`, default 0.85 ms).
//
//   npx node bench/parts.mjs [--rounds 7] [--n 2000] [--request-ms 0.85] [--only <text in the part's name>]
import { execFileSync } from "node:child_process";
import { mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import { build } from "esbuild";
import { convertV4MiniflareOptions, Log, LogLevel, Miniflare } from "miniflare";

const BENCH = dirname(fileURLToPath(import.meta.url));
const ROOT = dirname(BENCH);
const { values: args } = parseArgs({
  options: {
    rounds: { type: "string", default: "7" },
    n: { type: "string", default: "2000" },
    "request-ms": { type: "string", default: "0.85" },
    only: { type: "string" },
  },
});
const ROUNDS = Number(args.rounds);
const N = Number(args.n);
const REQUEST_MS = Number(args["request-ms"]);
const REQUESTS_PER_ROUND = 10;
const CLK_TCK = Number(execFileSync("getconf", ["CLK_TCK"], { encoding: "utf8" }).trim()) || 100;
const COMPATIBILITY_DATE = readFileSync(join(ROOT, "wrangler.toml"), "utf8").match(/^compatibility_date\s*=\s*"([^"]+)"/m)?.[1];
// What a benchmark request carries (autocannon's, with the PEER scenario's token).
const HEADERS = {
  "user-agent": "autocannon/9.0.0",
  authorization: `Bearer ${"eyJhbGciOiJFUzI1NiJ9.".padEnd(300, "x")}`,
  "cf-connecting-ip": "127.0.0.1",
};

function workerdCpuMs(pid) {
  const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
  const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
  return ((Number(fields[11]) + Number(fields[12])) * 1000) / CLK_TCK;
}

function workerdChild() {
  for (const entry of readdirSync("/proc")) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, "utf8");
      const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
      if (stat.includes("(workerd)") && Number(fields[1]) === process.pid) return Number(entry);
    } catch {
      // the process ended between readdir and read
    }
  }
  throw new Error("no workerd child process");
}

const temp = mkdtempSync(join(tmpdir(), "loom-parts-"));
await build({
  entryPoints: [join(BENCH, "parts-worker.js")],
  bundle: true,
  format: "esm",
  outfile: join(temp, "parts-worker.js"),
  logLevel: "warning",
});
const mf = new Miniflare(
  convertV4MiniflareOptions({
    host: "127.0.0.1",
    port: 0,
    log: new Log(LogLevel.WARN),
    // Drained, never printed: a log line costs what writing it to a pipe costs, as in run.mjs.
    handleStructuredLogs() {},
    // A fixed `request.cf`, as run.mjs gives: Miniflare does not fetch one from the network.
    cf: { colo: "LOC", country: "XX", httpProtocol: "HTTP/1.1", tlsVersion: "TLSv1.3", tlsCipher: "AEAD-AES128-GCM-SHA256" },
    modules: true,
    scriptPath: join(temp, "parts-worker.js"),
    modulesRoot: temp,
    compatibilityDate: COMPATIBILITY_DATE,
    compatibilityFlags: ["nodejs_compat"],
  }),
);
try {
  const url = await mf.ready;
  const pid = workerdChild();
  const parts = (await (await fetch(url)).json()).filter(
    (part) => args.only === undefined || part.includes(args.only) || part === "empty loop (baseline)",
  );
  const run = async (part) => {
    for (let i = 0; i < REQUESTS_PER_ROUND; i++) {
      const res = await fetch(new URL(`/${encodeURIComponent(part)}?n=${N}`, url), { headers: HEADERS });
      if ((await res.text()) !== "done") throw new Error(`${part}: ${res.status}`);
    }
  };
  for (const part of parts) await run(part); // warm-up: JIT
  const samples = new Map(parts.map((part) => [part, []]));
  for (let round = 0; round < ROUNDS; round++) {
    const order = [...parts.slice(round % parts.length), ...parts.slice(0, round % parts.length)];
    for (const part of order) {
      const before = workerdCpuMs(pid);
      await run(part);
      samples.get(part).push(((workerdCpuMs(pid) - before) * 1000) / (REQUESTS_PER_ROUND * N));
    }
  }
  const median = (values) => [...values].sort((a, b) => a - b)[values.length >> 1];
  const baseline = median(samples.get("empty loop (baseline)"));
  console.log(`${N} times per request, ${REQUESTS_PER_ROUND} requests per round, median of ${ROUNDS} rounds; minus the empty loop`);
  console.log(`${"part".padEnd(42)}  µs each  share of ${REQUEST_MS} ms`);
  for (const part of parts) {
    if (part === "empty loop (baseline)") continue;
    const us = Math.max(0, median(samples.get(part)) - baseline);
    console.log(`${part.padEnd(42)}  ${us.toFixed(2).padStart(7)}  ${((us / (REQUEST_MS * 1000)) * 100).toFixed(1).padStart(5)} %`);
  }
} finally {
  await mf.dispose();
  rmSync(temp, { recursive: true, force: true });
}
