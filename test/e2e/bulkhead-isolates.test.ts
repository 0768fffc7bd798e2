/**
 * `upstreams[].bulkhead` across isolates, in workerd against a real origin on 127.0.0.1:
 *
 *   one Miniflare, 1 or 8 gateway workers running the same bundle (each a separate isolate
 *   with its own leases and queue), their BULKHEAD binding pointing at one home worker's class
 *   (test/support/isolates.mjs); the gateways' fetches leave workerd for a Node HTTP server
 *   that answers each request after DELAY_MS and records how many it was serving at once.
 *
 * Each run sends a fixed number of requests from CLIENTS concurrent clients (three times
 * max_concurrent), spread round-robin over the isolates, and checks:
 *
 *   - the hard bound: the origin never serves more than max_concurrent requests at once;
 *   - every answer is a 200 or a 503 bulkhead_full with Retry-After (nothing else);
 *   - with one isolate, whose queue is the whole queue_size: nothing is refused, since the
 *     clients never have more requests out than max_concurrent + queue_size.
 *
 * Utilisation (the origin's busy slot-time over max_concurrent x the run's length) and
 * throughput are printed for the README; they depend on the machine and are not asserted.
 */
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { startIsolates } from "../support/isolates.mjs";

const MAX = 4;
const QUEUE = 8;
const DELAY_MS = 100;
const CLIENTS = 3 * MAX;
const REQUESTS = 120;

/** The origin: answers after DELAY_MS; counts requests from arrival until the answer is finished. */
class SlowOrigin {
  inFlight = 0;
  peak = 0;
  served = 0;
  /** Sum over requests of the time each one occupied the origin, in ms. */
  busyMs = 0;
  readonly server: Server = createServer((req, res) => {
    const started = performance.now();
    this.inFlight += 1;
    this.peak = Math.max(this.peak, this.inFlight);
    let ended = false;
    const end = () => {
      if (ended) return;
      ended = true;
      this.inFlight -= 1;
      this.busyMs += performance.now() - started;
    };
    res.on("finish", end);
    res.on("close", end);
    req.resume();
    setTimeout(() => {
      this.served += 1;
      res.writeHead(200, { "Content-Type": "text/plain", "Content-Length": "2" });
      res.end("ok");
    }, DELAY_MS);
  });

  reset(): void {
    this.peak = this.inFlight;
    this.served = 0;
    this.busyMs = 0;
  }
}

interface Run {
  statuses: number[];
  refusedWithoutRetryAfter: number;
  seconds: number;
}

/** REQUESTS requests from CLIENTS concurrent clients, the i-th to urls[i % urls.length]. */
async function drive(urls: string[]): Promise<Run> {
  const statuses: number[] = [];
  let refusedWithoutRetryAfter = 0;
  let next = 0;
  const started = performance.now();
  await Promise.all(
    Array.from({ length: CLIENTS }, async () => {
      for (let i = next++; i < REQUESTS; i = next++) {
        const res = await fetch(`${urls[i % urls.length]}/api/work`);
        const body = await res.text();
        statuses.push(res.status);
        if (res.status === 503) {
          expect(JSON.parse(body)).toMatchObject({ error: "bulkhead_full" });
          if (!res.headers.get("Retry-After")) refusedWithoutRetryAfter += 1;
        }
      }
    }),
  );
  return { statuses, refusedWithoutRetryAfter, seconds: (performance.now() - started) / 1000 };
}

function report(label: string, origin: SlowOrigin, run: Run): void {
  const admitted = run.statuses.filter((status) => status === 200).length;
  const utilisation = origin.busyMs / (MAX * run.seconds * 1000);
  const ideal = MAX / (DELAY_MS / 1000);
  console.log(
    `${label}: ${run.statuses.length} requests in ${run.seconds.toFixed(2)} s, ${admitted} admitted, ${run.statuses.length - admitted} refused; ` +
      `origin peak ${origin.peak} (max_concurrent ${MAX}), utilisation ${(utilisation * 100).toFixed(0)} %, ` +
      `throughput ${(admitted / run.seconds).toFixed(1)}/s (at most ${ideal}/s with ${MAX} slots of ${DELAY_MS} ms)`,
  );
}

const origin = new SlowOrigin();
let isolates: Awaited<ReturnType<typeof startIsolates>> | undefined;

beforeAll(async () => {
  await new Promise<void>((resolve) => origin.server.listen(0, "127.0.0.1", resolve));
}, 10_000);

afterEach(async () => {
  await isolates?.dispose();
  isolates = undefined;
});

afterAll(async () => {
  await new Promise((resolve) => origin.server.close(resolve));
});

function config(): unknown {
  const { port } = origin.server.address() as AddressInfo;
  return {
    routes: [{ id: "api", path: "/api/*", upstream: "slow" }],
    upstreams: [
      {
        name: "slow",
        endpoints: [`127.0.0.1:${port}`],
        timeout: "10s",
        bulkhead: { enabled: true, max_concurrent: MAX, queue_size: QUEUE, timeout: "5s" },
      },
    ],
  };
}

describe(`upstreams[].bulkhead, max_concurrent ${MAX}, queue_size ${QUEUE}, against an origin on 127.0.0.1`, () => {
  it("one isolate: the origin never serves more than max_concurrent at once, and nothing is refused", async () => {
    isolates = await startIsolates({ isolates: 1, config: config(), network: true });
    origin.reset();
    const run = await drive(isolates.urls);
    report("1 isolate", origin, run);
    expect(origin.peak).toBeLessThanOrEqual(MAX);
    expect(run.statuses.filter((status) => status !== 200)).toEqual([]);
    expect(origin.served).toBe(REQUESTS);
  }, 120_000);

  it("eight isolates: the origin never serves more than max_concurrent at once; the rest is refused with 503 bulkhead_full", async () => {
    isolates = await startIsolates({ isolates: 8, config: config(), network: true });
    origin.reset();
    const run = await drive(isolates.urls);
    report("8 isolates", origin, run);
    expect(origin.peak).toBeLessThanOrEqual(MAX);
    expect(run.statuses.filter((status) => status !== 200 && status !== 503)).toEqual([]);
    expect(run.refusedWithoutRetryAfter).toBe(0);
    expect(run.statuses.filter((status) => status === 200).length).toBeGreaterThan(0);
  }, 120_000);
});
