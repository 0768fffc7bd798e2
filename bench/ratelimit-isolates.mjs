// The second part of `npm run bench` (alone: `npm run bench -- --only isolates`): one
// rate-limited key served by N = 1, 2, 4, 8 gateway isolates sharing one RateLimiter object, in
// workerd (the setup of test/e2e/ratelimit-isolates.test.ts: test/support/isolates.mjs).
//
// Each run sends a steady 10x the limit for RUN_SECONDS, split evenly over the first N isolates
// of one Miniflare with 8, on a key of its own, and reports what was admitted against the limit
// (rate x T + burst, T from the first request sent to the last answer), the object's `calls` per
// request (GET /admin/rate-limits/:key) and the clients' latency. Then the same with an
// artificial 100 ms round trip on every call to the object (a wrapper of the home worker's class,
// bench and test only), for the p99 latency it adds: a request waits at most one round trip
// (admitted from a lease, refused from the deny-cache, or decided by one call), never a loop.
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { drive, startIsolates } from "../test/support/isolates.mjs";

const RATE = 20;
const BURST = 40;
const LOAD = 10 * RATE;
const RUN_SECONDS = 5;
const ISOLATE_COUNTS = [1, 2, 4, 8];
const OBJECT_DELAY_MS = 100;
/** Isolate counts run again with the delay. */
const DELAYED_COUNTS = [1, 8];
const CONFIG = {
  rate_limit: { default: { requests_per_second: RATE, burst: BURST }, key: "${header.X-Tenant}" },
  routes: [{ id: "api", path: "/api/*", upstream: "origin" }],
  upstreams: [{ name: "origin", endpoints: ["https://origin.test"] }],
};
/** Two setups (build, start, config) and every run, with room to spare. */
export const ISOLATES_DEADLINE_MS = (2 * 60 + (ISOLATE_COUNTS.length + DELAYED_COUNTS.length) * (RUN_SECONDS + 5)) * 1000;

/** Nearest-rank percentile of sorted values. */
const percentile = (sorted, p) => sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)] ?? NaN;

async function measure(setup, isolates, delayMs) {
  const tenant = `n${isolates}-delay${delayMs}`;
  const samples = await drive({ urls: setup.urls, path: "/api/load", tenant, pace: LOAD, total: LOAD * RUN_SECONDS, pick: (i) => i % isolates });
  const seconds = (Math.max(...samples.map((s) => s.doneAt)) - Math.min(...samples.map((s) => s.sentAt))) / 1000;
  const admitted = samples.filter((s) => s.status === 200).length;
  const refused = samples.filter((s) => s.status === 429).length;
  const calls = await setup.counterCalls(`default|${tenant}`);
  const latencies = samples.map((s) => s.doneAt - s.sentAt).sort((a, b) => a - b);
  const limit = RATE * seconds + BURST;
  return {
    isolates,
    objectDelayMs: delayMs,
    requests: samples.length,
    seconds,
    admitted,
    refused,
    other: samples.length - admitted - refused,
    limit,
    admittedOverLimit: admitted / limit,
    bound: 1.05 * RATE * seconds + BURST,
    calls,
    callsPerRequest: calls / samples.length,
    p50Ms: percentile(latencies, 50),
    p99Ms: percentile(latencies, 99),
    maxMs: latencies.at(-1),
  };
}

async function runAll(delayMs, counts) {
  const setup = await startIsolates({ isolates: Math.max(...counts), config: CONFIG, objectDelayMs: delayMs });
  try {
    const runs = [];
    for (const isolates of counts) {
      const run = await measure(setup, isolates, delayMs);
      process.stderr.write(`  isolates ${isolates}, object delay ${delayMs} ms: admitted ${run.admitted} of ${run.requests}, ${run.calls} object calls, p99 ${run.p99Ms.toFixed(1)} ms\n`);
      runs.push(run);
    }
    if (setup.problems.length > 0) console.log(`workers logged errors (delay ${delayMs} ms): ${setup.problems.join(" | ")}`);
    return runs;
  } finally {
    await setup.dispose();
  }
}

const fmt = (value, digits = 2) => value.toLocaleString("en-US", { minimumFractionDigits: digits, maximumFractionDigits: digits });

function printTable(runs) {
  const rows = [["isolates", "object delay", "requests", "T s", "admitted", "rate*T+burst", "admitted/limit", "DO calls", "calls/req", "p50 ms", "p99 ms", "max ms"]];
  for (const r of runs) {
    rows.push([
      String(r.isolates), `${r.objectDelayMs} ms`, String(r.requests), fmt(r.seconds), String(r.admitted), fmt(r.limit, 0), `${fmt(r.admittedOverLimit)}x`,
      String(r.calls), fmt(r.callsPerRequest, 4), fmt(r.p50Ms, 1), fmt(r.p99Ms, 1), fmt(r.maxMs, 1),
    ]);
  }
  const widths = rows[0].map((_, col) => Math.max(...rows.map((row) => row[col].length)));
  for (const row of rows) console.log(row.map((cell, col) => cell.padStart(widths[col])).join("  "));
}

export async function benchIsolates({ resultsDir }) {
  console.log(
    `\nbench isolates: one key, limit ${RATE}/s burst ${BURST}, ${LOAD} req/s (10x) for ${RUN_SECONDS} s split evenly over N isolates sharing one RateLimiter; ` +
      `then ${OBJECT_DELAY_MS} ms added to every object call`,
  );
  const undelayed = await runAll(0, ISOLATE_COUNTS);
  const delayed = await runAll(OBJECT_DELAY_MS, DELAYED_COUNTS);
  const addedP99 = delayed.map((run) => {
    const base = undelayed.find((other) => other.isolates === run.isolates);
    return { isolates: run.isolates, objectDelayMs: run.objectDelayMs, p99Ms: run.p99Ms, p99WithoutDelayMs: base.p99Ms, addedP99Ms: run.p99Ms - base.p99Ms, addedMaxMs: run.maxMs - base.maxMs };
  });
  const report = {
    date: new Date().toISOString(),
    method: { rate: RATE, burst: BURST, load: LOAD, runSeconds: RUN_SECONDS, split: "even", targets: "admitted <= 1.05 * rate * T + burst; <= 0.1 object calls per request" },
    runs: [...undelayed, ...delayed],
    addedLatency: addedP99,
  };
  mkdirSync(resultsDir, { recursive: true });
  const file = join(resultsDir, "isolates.json");
  writeFileSync(file, `${JSON.stringify(report, null, 2)}\n`);

  console.log();
  printTable(report.runs);
  console.log();
  for (const a of addedP99) {
    console.log(`${a.isolates} isolate(s): a ${a.objectDelayMs} ms object round trip adds ${fmt(a.addedP99Ms, 1)} ms to p99 (${fmt(a.p99WithoutDelayMs, 1)} -> ${fmt(a.p99Ms, 1)} ms), ${fmt(a.addedMaxMs, 1)} ms to the slowest answer`);
  }
  const over = report.runs.filter((r) => r.admitted > r.bound || r.callsPerRequest > 0.1 || r.other > 0);
  console.log(over.length === 0 ? "targets met: admitted <= 1.05 * rate * T + burst, <= 0.1 object calls per request, no answer but 200 or 429" : `targets missed in ${over.length} run(s): see isolates.json`);
  console.log("written: bench/results/isolates.json");
}
