/**
 * Work shared between requests (http/shared-work.ts) outlives the request that started it.
 * Each test sends two requests through the whole Worker as separate requests (SELF: each has
 * its own request context, as on Cloudflare), holds the work the first one started (a JWKS
 * download, a consumer-key query, a config refresh), aborts the first client, then lets the
 * work finish: the second request must get its correct answer. Before the fix the runtime
 * dropped the work with the cancelled request and the second one waited forever.
 */
import { SELF } from "cloudflare:test";
import { env } from "cloudflare:workers";
import * as jose from "jose";
import { afterEach, describe, expect, it, vi } from "vitest";
import { invalidateCompiledConfig } from "../../worker/pipeline/config-cache";
import { admin, json, putConfig } from "./admin-harness";

const upstreams = [{ name: "origin", endpoints: ["https://origin.test"] }];

/**
 * Holds work until the test lets it go: `wait()` is an outbound request the fake origin keeps
 * open (test/support/fake-origin.ts, `/held/…`), so the wait is I/O of the request that
 * started the work, as a D1 query or a KV read is; `reached` resolves once it has begun.
 */
function hold() {
  const id = `held-${crypto.randomUUID()}`;
  const waits = async () => ((await (await fetch(`https://hold.test/hits/${id}`)).json()) as { hits: number }).hits;
  return {
    url: `https://hold.test/held/${id}`,
    wait: async () => void (await (await fetch(`https://hold.test/held/${id}`)).arrayBuffer()),
    waits,
    reached: (async () => {
      while ((await waits()) < 1) await new Promise((resolve) => setTimeout(resolve, 10));
    })(),
    release: async (body = "{}") => void (await fetch(`https://hold.test/release/${id}`, { method: "POST", body })),
  };
}

/**
 * The two requests: the first is aborted once the work it started is held, then (after the
 * runtime has had time to cancel it) the work is let go and the second must be answered.
 */
async function abortFirstThenRelease(
  path: string,
  headers: Record<string, string>,
  reached: Promise<unknown>,
  release: () => Promise<void> | void,
): Promise<Response> {
  const first = new AbortController();
  const aborted = SELF.fetch(`https://gw.test${path}?first`, { headers, signal: first.signal }).then(
    (response) => `answered ${response.status}`,
    (error: Error) => error.name,
  );
  await reached;
  const second = SELF.fetch(`https://gw.test${path}?second`, { headers });
  first.abort();
  expect(await aborted).toBe("AbortError");
  // Not a threshold: time for the runtime to cancel the first request while the work is still
  // held. Were it slower, the test would only get weaker, never fail for the wrong reason.
  await new Promise((resolve) => setTimeout(resolve, 300));
  await release();
  return second;
}

afterEach(() => {
  vi.restoreAllMocks();
});

describe("a cancelled request leaves the others their answer", () => {
  it("shares a JWKS download", async () => {
    const { privateKey, publicKey } = await jose.generateKeyPair("ES256");
    const jwks = { keys: [{ ...(await jose.exportJWK(publicKey)), kid: "k1", alg: "ES256" }] };
    const token = await new jose.SignJWT({ sub: "u" })
      .setProtectedHeader({ alg: "ES256", kid: "k1" })
      .setIssuer("i")
      .setAudience("a")
      .setExpirationTime("10m")
      .sign(privateKey);
    const download = hold();
    await putConfig({
      routes: [
        {
          id: "api",
          path: "/api/*",
          upstream: "origin",
          auth: { type: "jwt", jwks_uri: download.url, algorithms: ["ES256"], issuer: "i", audience: "a" },
        },
      ],
      upstreams,
    });
    const response = await abortFirstThenRelease("/api/x", { Authorization: `Bearer ${token}` }, download.reached, () =>
      download.release(JSON.stringify(jwks)),
    );
    expect(response.status).toBe(200);
    expect(await response.json()).toMatchObject({ url: "https://origin.test/api/x?second" });
    expect(await download.waits()).toBe(1);
  });

  it("shares a consumer-key query", async () => {
    await putConfig({
      routes: [
        { id: "orders", path: "/orders/*", upstream: "origin", auth: { type: "api_key", consumer_headers: { consumer: "X-Consumer-Id" } } },
      ],
      upstreams,
    });
    expect((await admin("/consumers", json("POST", { id: "shared-lookup", tenant: "t1" }))).status).toBe(201);
    const { key } = await (await admin("/consumers/shared-lookup/keys", { method: "POST" })).json<{ key: string }>();
    const held = hold();
    const prepare = env.DB.prepare.bind(env.DB);
    const queries = vi.spyOn(env.DB, "prepare").mockImplementation((sql: string) => {
      if (!sql.includes("FROM consumer_keys AS k JOIN consumers")) return prepare(sql);
      return {
        bind: (...values: unknown[]) => ({
          first: async () => {
            await held.wait();
            return prepare(sql)
              .bind(...values)
              .first();
          },
        }),
      } as unknown as D1PreparedStatement;
    });
    const response = await abortFirstThenRelease("/orders/1", { "X-API-Key": key }, held.reached, () => held.release());
    expect(response.status).toBe(200);
    expect(((await response.json()) as { headers: Record<string, string> }).headers["x-consumer-id"]).toBe("shared-lookup");
    expect(queries.mock.calls.filter(([sql]) => sql.includes("FROM consumer_keys AS k JOIN consumers"))).toHaveLength(1);
  });

  it("shares a config refresh", async () => {
    await putConfig({ routes: [{ id: "open", path: "/open/*", upstream: "origin", auth: "none" }], upstreams });
    invalidateCompiledConfig();
    const held = hold();
    const get = env.CONFIG.get.bind(env.CONFIG) as (...args: unknown[]) => Promise<unknown>;
    const reads = vi.spyOn(env.CONFIG, "get").mockImplementation((async (...args: unknown[]) => {
      if (Array.isArray(args[0])) await held.wait();
      return get(...args);
    }) as typeof env.CONFIG.get);
    const response = await abortFirstThenRelease("/open/x", {}, held.reached, () => held.release());
    expect(response.status).toBe(200);
    expect(await response.json()).toMatchObject({ url: "https://origin.test/open/x?second" });
    expect(reads.mock.calls.filter(([keys]) => Array.isArray(keys))).toHaveLength(1);
  });
});
