/**
 * A client that hangs up while its request waits for the rate limiter's object call, with
 * another request joined to that call (issue 12: promises shared between requests). In workerd
 * (test/support/isolates.mjs), one gateway isolate whose object calls take OBJECT_DELAY_MS, so
 * the call is still in flight when the first client aborts and when the second request arrives.
 *
 * The second request must be answered from that call (not hang, not fail), and the call must
 * land although the request that made it was cancelled.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { sleep, startIsolates } from "../support/isolates.mjs";

const OBJECT_DELAY_MS = 2_000;

let isolates: Awaited<ReturnType<typeof startIsolates>> | undefined;

beforeAll(async () => {
  isolates = await startIsolates({
    isolates: 1,
    objectDelayMs: OBJECT_DELAY_MS,
    config: {
      rate_limit: { default: { requests_per_second: 10, burst: 10 }, key: "${header.X-Tenant}" },
      routes: [{ id: "api", path: "/api/*", upstream: "origin" }],
      upstreams: [{ name: "origin", endpoints: ["https://origin.test"] }],
    },
  });
}, 120_000);

afterAll(async () => {
  await isolates?.dispose();
});

describe("a client that hangs up while its request's object call is in flight", () => {
  it("does not hold or fail the request that joined the call, and the call still lands", async () => {
    const url = `${isolates!.urls[0]}/api/cancel`;
    const headers = { "X-Tenant": "cancelled" };
    const aborter = new AbortController();
    const first = fetch(url, { headers, signal: aborter.signal }).catch((error: unknown) => error);
    // The first request is in the limiter, its call on its way (2 s); the second joins it.
    await sleep(300);
    const second = fetch(url, { headers });
    await sleep(300);
    aborter.abort();
    expect(await first).toBeInstanceOf(Error);
    const answer = await second;
    expect(answer.status).toBe(200);
    // Decided by the object's answer (a request admitted by fail_open has no RateLimit header):
    // the call the cancelled request made landed.
    expect(answer.headers.get("RateLimit")).toMatch(/^"burst";r=\d+;t=\d+$/);
    expect(await isolates!.counterCalls("default|cancelled")).toBeGreaterThanOrEqual(1);
    // The key is not stuck: the next request is answered too.
    expect((await fetch(url, { headers })).status).toBe(200);
  }, 60_000);
});
