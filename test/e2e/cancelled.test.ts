/**
 * Work shared between requests survives the client that started it (http/shared-work.ts),
 * over real HTTP with a real client abort: `wrangler dev` in front of an identity provider on
 * 127.0.0.1 (a loopback jwks_uri, saved with its warning) that holds the JWKS download until
 * the test releases it.
 *
 * Observed with wrangler 4 here: its dev proxy does not cancel the Worker's request when the
 * client aborts (the aborted request still reaches the origin once the keys arrive), so this
 * file cannot make the runtime drop the shared download; the hang itself is reproduced with
 * separate request contexts in test/runtime/cancelled-shared-work.test.ts. What this file
 * proves over real HTTP: the download is shared, and the request that waited on the aborted
 * client's download is answered.
 */
import { createServer, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import * as jose from "jose";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { sleep, startE2E, type E2E } from "./harness";

const ISSUER = "https://id.e2e.test/";
const AUDIENCE = "api://e2e";

/** An identity provider whose JWKS answers wait until `release()`. */
interface HeldProvider {
  url: string;
  downloads: number;
  /** Resolves when the next download arrives. */
  nextDownload(): Promise<void>;
  /** Answers every held download, and from now on every new one at once. */
  release(): void;
  stop(): Promise<void>;
}

async function heldProvider(jwks: jose.JSONWebKeySet): Promise<HeldProvider> {
  const held: ServerResponse[] = [];
  let released = false;
  let arrived: (() => void) | undefined;
  const answer = (res: ServerResponse) => res.writeHead(200, { "Content-Type": "application/jwk-set+json" }).end(JSON.stringify(jwks));
  const provider = {
    url: "",
    downloads: 0,
    nextDownload: () => new Promise<void>((resolve) => (arrived = resolve)),
    release() {
      released = true;
      for (const res of held.splice(0)) if (!res.destroyed) answer(res);
    },
    stop: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
  const server: Server = createServer((_req, res) => {
    provider.downloads += 1;
    if (released) answer(res);
    else held.push(res);
    arrived?.();
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  provider.url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/jwks`;
  return provider;
}

let e2e: E2E;
let idp: HeldProvider;
let token: string;

beforeAll(async () => {
  const { privateKey, publicKey } = await jose.generateKeyPair("ES256");
  idp = await heldProvider({ keys: [{ ...(await jose.exportJWK(publicKey)), kid: "k1", alg: "ES256", use: "sig" }] });
  token = await new jose.SignJWT({ sub: "e2e" })
    .setProtectedHeader({ alg: "ES256", kid: "k1" })
    .setIssuer(ISSUER)
    .setAudience(AUDIENCE)
    .setExpirationTime("10m")
    .sign(privateKey);
  e2e = await startE2E();
  const saved = await e2e.gateway.putConfig({
    routes: [
      {
        id: "api",
        path: "/api/*",
        upstream: "origin",
        auth: { type: "jwt", jwks_uri: idp.url, algorithms: ["ES256"], issuer: ISSUER, audience: AUDIENCE },
      },
    ],
    upstreams: [{ name: "origin", endpoints: [e2e.origin.endpoint] }],
  });
  expect(saved.status).toBe(200);
  expect(((await saved.json()) as { warnings: string[] }).warnings.join("\n")).toContain("jwks_uri: plain http to a loopback host");
});

afterAll(async () => {
  await e2e?.stop();
  await idp?.stop();
});

describe("a cancelled request leaves the others their answer", () => {
  it("shares one JWKS download, which outlives the aborted client that started it", async () => {
    const bearer = { Authorization: `Bearer ${token}` };
    const first = new AbortController();
    const started = idp.nextDownload();
    const aborted = e2e.gateway.fetch("/api/first", { headers: bearer, signal: first.signal }).then(
      () => "answered",
      (error: Error) => error.name,
    );
    await started; // the first request is waiting on the download it started
    const second = e2e.gateway.fetch("/api/second", { headers: bearer });
    first.abort();
    expect(await aborted).toBe("AbortError");
    // Not a threshold: time for the disconnect to reach the Worker while the download is held.
    await sleep(1_000);
    idp.release();
    const response = await second;
    expect(response.status).toBe(200);
    expect(idp.downloads).toBe(1);
    expect(e2e.origin.received("second")).toHaveLength(1);
  });
});
