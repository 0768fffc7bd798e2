/**
 * `auth_failure_limit` across isolates: two gateway isolates share the rate-limit objects
 * (test/support/isolates.mjs), so failed authentications of one client count together
 * wherever they land. Requests carry CF-Connecting-IP as Cloudflare's edge sets it (under local
 * workerd a client could send it too; the production edge overwrites it).
 *
 * A failure is reported to the object after the response (waitUntil), so the test waits for an
 * isolate to have heard the verdict by asking again, a bounded number of times.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { sleep, startIsolates } from "../support/isolates.mjs";

const KEY = "isolates-test-key-0123456789";
const MAX_FAILURES = 4;
let isolates: Awaited<ReturnType<typeof startIsolates>> | undefined;

beforeAll(async () => {
  isolates = await startIsolates({
    isolates: 2,
    secrets: { FLEET_KEY: KEY },
    config: {
      auth_failure_limit: { max_failures: MAX_FAILURES, window: "1m", block_for: "5m" },
      routes: [
        { id: "ready", path: "/api/ready", upstream: "origin", auth: "none" },
        { id: "keyed", path: "/keyed/*", upstream: "origin", auth: { type: "api_key", keys: ["${FLEET_KEY}"] } },
      ],
      upstreams: [{ name: "origin", endpoints: ["https://origin.test"] }],
    },
  });
});

afterAll(async () => {
  await isolates?.dispose();
});

const call = (isolate: number, ip: string, key: string) =>
  fetch(`${isolates!.urls[isolate]}/keyed/x`, { headers: { "CF-Connecting-IP": ip, "X-API-Key": key } });

/** The status a valid key gets from `isolate`, once it is `expected` (or the last one seen after 50 tries). */
async function validStatus(isolate: number, ip: string, expected: number): Promise<number> {
  let status = 0;
  for (let attempt = 0; attempt < 50 && status !== expected; attempt++) {
    if (attempt > 0) await sleep(100);
    const res = await call(isolate, ip, KEY);
    await res.arrayBuffer();
    status = res.status;
  }
  return status;
}

describe("auth_failure_limit across isolates", () => {
  it("counts a client's failures in every isolate together: each alone saw fewer than max_failures", async () => {
    const ip = "198.51.100.20";
    for (const isolate of [0, 0, 1, 1]) {
      const res = await call(isolate, ip, "wrong");
      expect(res.status).toBe(401);
      await res.arrayBuffer();
    }
    // gw1 reported the failure that reached the limit: it refuses the client, valid key included.
    expect(await validStatus(1, ip, 429)).toBe(429);
    const refused = await call(1, ip, KEY);
    expect(refused.status).toBe(429);
    expect(Number(refused.headers.get("Retry-After"))).toBeGreaterThan(250);
    await refused.arrayBuffer();
    // gw0 learns of the block from the next failure it reports, and refuses from then on.
    const next = await call(0, ip, "wrong again");
    expect(next.status).toBe(401);
    await next.arrayBuffer();
    expect(await validStatus(0, ip, 429)).toBe(429);
    // Another client is served by both.
    for (const isolate of [0, 1]) expect(await validStatus(isolate, "198.51.100.21", 200)).toBe(200);
  });
});
