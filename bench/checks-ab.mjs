// `npx node bench/checks-ab.mjs --baseline <checkout> [--cold] [--rounds 20]` (Node 24 from
// node_modules): the AI checks of this checkout against another's, in one Node process, on the
// AI and AI-NEW scenarios' bodies (bench/ai-request.mjs), request after request: read the body
// (readProviderRequest) and decide on it (requestInspector, PII masking and injection scoring on,
// the gateway-ai config of run.mjs). Rounds alternate the two checkouts, so that the machine's
// drift hits both alike; what is printed is the median CPU per request of each and the median of
// the rounds' differences.
//
// `--cold` reads 16 MB between requests, so that each request finds the checks' code and tables
// out of the caches, as in the gateway, where the rest of a request's work runs between two
// checks: the checks then cost about three times their warm cost, as over HTTP (bench/README.md).
// A change measured here within a few per cent is hidden by the noise of `npm run bench`, whose
// rounds differ by ±0.3 ms; this is how a change to the checks is told apart from the machine.
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { cpuUsage } from "node:process";
import { fileURLToPath, pathToFileURL } from "node:url";
import { parseArgs } from "node:util";
import { build } from "esbuild";

const BENCH = dirname(fileURLToPath(import.meta.url));
const ROOT = dirname(BENCH);
const { values: args } = parseArgs({
  options: {
    baseline: { type: "string" },
    cold: { type: "boolean", default: false },
    rounds: { type: "string", default: "20" },
  },
});
if (!args.baseline) {
  console.error("usage: npx node bench/checks-ab.mjs --baseline <checkout> [--cold] [--rounds 20]");
  process.exit(2);
}
const ROUNDS = Number(args.rounds);
const REQUESTS = args.cold ? 200 : 2000;

/** One checkout's request path of the checks, bundled: `run(scenario, first, count)` checks `count` bodies. */
async function bundle(checkout, directory, name) {
  const ai = join(checkout, "worker/policies/ai-gateway");
  const entry = join(directory, `${name}.js`);
  writeFileSync(
    entry,
    `import { readProviderRequest } from ${JSON.stringify(join(ai, "checks/body"))};
import { requestInspector } from ${JSON.stringify(join(ai, "checks/request"))};
import { AI_CHAT_NEW_BODY, AI_CHAT_TURN_BODY, TURN_MARKER } from ${JSON.stringify(join(BENCH, "ai-request.mjs"))};
const inspect = requestInspector({ injection: { action: "block", threshold: 0.5 }, pii: { action: "mask", responses: false } });
const encoder = new TextEncoder();
export function run(scenario, first, count) {
  const template = scenario === "AI" ? AI_CHAT_TURN_BODY : AI_CHAT_NEW_BODY;
  let kept = 0;
  for (let turn = first; turn < first + count; turn++) {
    const body = encoder.encode(template.replaceAll(TURN_MARKER, String(turn)));
    const decision = inspect(readProviderRequest("/v1/chat/completions", body), "127.0.0.1");
    if (decision.kind !== "rewrite") throw new Error(${JSON.stringify(name)} + ": the chat's e-mail address and phone number were not masked");
    kept += decision.body.length;
  }
  return kept;
}
`,
  );
  const outfile = join(directory, `${name}.bundle.mjs`);
  await build({ entryPoints: [entry], bundle: true, format: "esm", platform: "node", outfile, logLevel: "warning" });
  return import(pathToFileURL(outfile).href);
}

const scratch = new Uint8Array(16 << 20);
/** Reads 16 MB: what other work does to the caches between two requests. */
function evictCaches() {
  let sum = 0;
  for (let index = 0; index < scratch.length; index += 64) sum += scratch[index]++;
  return sum;
}

let turn = 0;
/** CPU microseconds per request of `checks` on `scenario`, over REQUESTS requests. */
function measure(checks, scenario) {
  let micros = 0;
  for (let request = 0; request < REQUESTS; request++) {
    if (args.cold) evictCaches();
    const before = cpuUsage();
    checks.run(scenario, turn++, 1);
    const used = cpuUsage(before);
    micros += used.user + used.system;
  }
  return micros / REQUESTS;
}

const median = (values) => [...values].sort((a, b) => a - b)[values.length >> 1];
const directory = mkdtempSync(join(tmpdir(), "loom-checks-ab-"));
try {
  const candidate = await bundle(ROOT, directory, "this");
  const baseline = await bundle(resolve(args.baseline), directory, "baseline");
  console.log(`this checkout against ${args.baseline}, ${args.cold ? "cold caches" : "warm"}, ${ROUNDS} rounds of ${REQUESTS} requests`);
  for (const scenario of ["AI", "AI-NEW"]) {
    for (const checks of [candidate, baseline, candidate, baseline]) measure(checks, scenario); // JIT warm-up
    const ours = [];
    const theirs = [];
    for (let round = 0; round < ROUNDS; round++) {
      // Each round starts with the other checkout.
      if (round % 2 === 0) (ours.push(measure(candidate, scenario)), theirs.push(measure(baseline, scenario)));
      else (theirs.push(measure(baseline, scenario)), ours.push(measure(candidate, scenario)));
    }
    const difference = median(ours.map((value, round) => value - theirs[round]));
    console.log(
      `${scenario.padEnd(6)} this ${median(ours).toFixed(1)} µs/request, baseline ${median(theirs).toFixed(1)} µs/request: ` +
        `${difference >= 0 ? "+" : ""}${difference.toFixed(1)} µs (${((difference / median(theirs)) * 100).toFixed(1)} %)`,
    );
  }
} finally {
  rmSync(directory, { recursive: true, force: true });
}
