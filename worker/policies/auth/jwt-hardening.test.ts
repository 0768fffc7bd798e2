/**
 * JWT hardening (issue 12): `exp` required unless `require_exp: false`, `typ` checked when
 * configured (RFC 8725 §3.11), canonical base64url only (RFC 7515 §2, RFC 4648 §3.5), a kept
 * JWKS refused once it is older than jwks_cache_max_age + jwks_stale_if_error, and the
 * verified-token cache admitting none of what verification refuses.
 */
import { createExecutionContext, waitOnExecutionContext } from "cloudflare:test";
import * as jose from "jose";
import { afterEach, beforeAll, describe, expect, it, vi } from "vitest";
import type { Env } from "../../env";
import type { MatchedRoute } from "../../env";
import { testApp } from "../test-app.test-helper";
import { authenticate, type AuthFailureEvent, type JwksFetch } from ".";
import { authSchema } from "./schema";

const SECRET = "hs-secret-for-tests-0123456789abcdef-0123456789abcdef-0123456789";
const ENV = { HS_SECRET: SECRET } as unknown as Env;
const JWKS_URI = "https://id.test/.well-known/jwks.json";

type Auth = Parameters<typeof authSchema.parse>[0];

/** `authenticate` for one route, in front of an upstream that answers 200; refusals are collected. */
function gateway(auth: Auth, fetchJwks?: JwksFetch) {
  const events: AuthFailureEvent[] = [];
  const app = testApp([
    async (c, next) => {
      c.set("clientIp", "");
      c.set("route", { id: "r" } as MatchedRoute);
      await next();
    },
    authenticate({ auth: authSchema.parse(auth), fetchJwks, onFailure: (event) => void events.push(event) }),
  ]);
  return {
    events,
    reasons: () => events.map((event) => event.reason),
    async status(token: string): Promise<number> {
      const ctx = createExecutionContext();
      const response = await app.fetch(new Request("https://gw.test/r", { headers: { Authorization: `Bearer ${token}` } }), ENV, ctx);
      await waitOnExecutionContext(ctx);
      return response.status;
    },
  };
}

const hmac = { type: "jwt" as const, secret: "${HS_SECRET}", algorithms: ["HS256" as const] };
const key = new TextEncoder().encode(SECRET);
const inFiveMinutes = () => Math.floor(Date.now() / 1000) + 300;

async function hs256(payload: jose.JWTPayload = { sub: "u", exp: inFiveMinutes() }, header: Record<string, unknown> = {}): Promise<string> {
  return new jose.SignJWT(payload).setProtectedHeader({ alg: "HS256", ...header }).sign(key);
}

afterEach(() => {
  vi.useRealTimers();
});

describe("jwt: exp is required unless the route opts out", () => {
  it("refuses a token without exp by default, and admits it with require_exp: false", async () => {
    const token = await hs256({ sub: "u" });
    const strict = gateway(hmac);
    expect(await strict.status(token)).toBe(401);
    expect(strict.reasons()).toEqual(["missing_claim"]);
    expect(await strict.status(await hs256())).toBe(200);
    expect(await gateway({ ...hmac, require_exp: false }).status(token)).toBe(200);
  });

  it("still refuses an expired token with require_exp: false", async () => {
    const gw = gateway({ ...hmac, require_exp: false });
    expect(await gw.status(await hs256({ sub: "u", exp: Math.floor(Date.now() / 1000) - 3600 }))).toBe(401);
    expect(gw.reasons()).toEqual(["expired"]);
  });
});

describe("jwt: typ (RFC 8725 §3.11)", () => {
  it.each(["at+jwt", "AT+JWT", "application/at+jwt", "Application/At+JWT"])("admits typ %s where at+jwt is configured", async (typ) => {
    expect(await gateway({ ...hmac, typ: "at+jwt" }).status(await hs256(undefined, { typ }))).toBe(200);
  });

  it("admits at+jwt where application/at+jwt is configured (RFC 7515 §4.1.9)", async () => {
    expect(await gateway({ ...hmac, typ: "application/at+jwt" }).status(await hs256(undefined, { typ: "at+jwt" }))).toBe(200);
  });

  it.each([["JWT"], ["application/jwt"], ["at+jwt2"], ["text/at+jwt"], [undefined]])(
    "refuses typ %s where at+jwt is configured",
    async (typ) => {
      const gw = gateway({ ...hmac, typ: "at+jwt" });
      expect(await gw.status(await hs256(undefined, typ === undefined ? {} : { typ }))).toBe(401);
      expect(gw.reasons()).toEqual(["claim_mismatch:typ"]);
    },
  );

  it("does not look at typ when none is configured", async () => {
    expect(await gateway(hmac).status(await hs256(undefined, { typ: "anything" }))).toBe(200);
  });

  it.each(["", "at jwt", "a/b/c", "at+jwt\n"])("refuses the config typ %j", (typ) => {
    expect(authSchema.safeParse({ ...hmac, typ }).success).toBe(false);
  });
});

// ---------------------------------------------------------------- base64url

const ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

/** The same bytes spelled differently: the last character with an unused low bit set. */
function respelled(segment: string): string {
  expect(segment.length % 4).not.toBe(0); // only such segments have unused bits
  const last = ALPHABET.indexOf(segment.at(-1)!);
  expect(last & 1).toBe(0);
  return segment.slice(0, -1) + ALPHABET[last | 1];
}

/** An HS256 token whose three parts all end in a partial quantum (so each has unused bits). */
async function tokenWithUnusedBits(): Promise<string> {
  for (let pad = 0; ; pad++) {
    const token = await hs256({ sub: "u", exp: inFiveMinutes(), pad: "x".repeat(pad) }, { pad: "y".repeat(pad) });
    if (token.split(".").every((part) => part.length % 4 !== 0)) return token;
  }
}

const withPart = (token: string, index: number, part: string) =>
  token
    .split(".")
    .map((old, i) => (i === index ? part : old))
    .join(".");

describe("jwt: canonical base64url only (RFC 7515 §2, RFC 4648 §3.5)", () => {
  it("decodes the respelled parts to the same bytes (what makes them dangerous)", async () => {
    const token = await tokenWithUnusedBits();
    for (const part of token.split(".")) expect(jose.base64url.decode(respelled(part))).toEqual(jose.base64url.decode(part));
  });

  it.each([
    ["header", 0],
    ["payload", 1],
    ["signature", 2],
  ])("refuses a token whose %s has non-zero unused bits", async (_name, index) => {
    const token = await tokenWithUnusedBits();
    const gw = gateway(hmac);
    const twin = withPart(token, index, respelled(token.split(".")[index]!));
    expect(await gw.status(twin)).toBe(401);
    expect(gw.reasons()).toEqual(["malformed_token"]);
    expect(await gw.status(token)).toBe(200);
  });

  it.each([
    ["padding", (token: string) => `${token}=`],
    ["padding inside", (token: string) => withPart(token, 1, `${token.split(".")[1]}==`)],
    ["a base64 (not base64url) character", (token: string) => withPart(token, 2, token.split(".")[2]!.replace(/.$/, "+"))],
    ["a part of 1 mod 4 characters", (token: string) => withPart(token, 2, `${token.split(".")[2]}AA`)],
    ["whitespace inside", (token: string) => withPart(token, 1, `${token.split(".")[1]!.slice(0, 4)} ${token.split(".")[1]!.slice(4)}`)],
  ])("refuses %s", async (_name, spoil) => {
    const gw = gateway(hmac);
    expect(await gw.status(spoil(await tokenWithUnusedBits()))).toBe(401);
    expect(gw.reasons()).toEqual(["malformed_token"]);
  });

  it("never lets the kept canonical token admit its respelled twin, before or after", async () => {
    const token = await tokenWithUnusedBits();
    const twin = withPart(token, 2, respelled(token.split(".")[2]!));
    const gw = gateway(hmac);
    expect(await gw.status(twin)).toBe(401);
    expect(await gw.status(token)).toBe(200);
    expect(await gw.status(twin)).toBe(401);
    expect(await gw.status(token)).toBe(200);
    expect(gw.reasons()).toEqual(["malformed_token", "malformed_token"]);
  });
});

// ---------------------------------------------------------------- JWKS age

describe("jwt: a JWKS kept while downloads fail has a maximum age", () => {
  let pair: CryptoKeyPair;
  let jwks: jose.JSONWebKeySet;
  beforeAll(async () => {
    pair = await jose.generateKeyPair("ES256", { extractable: true });
    jwks = { keys: [{ ...(await jose.exportJWK(pair.publicKey)), kid: "k1", alg: "ES256" }] };
  });

  function provider() {
    const state = { up: true, calls: 0 };
    const fetchJwks: JwksFetch = async () => {
      state.calls += 1;
      return state.up ? Response.json(jwks) : new Response("down", { status: 503 });
    };
    return { state, fetchJwks };
  }

  const es256 = (payload: jose.JWTPayload = { sub: "u", exp: inFiveMinutes() }) =>
    new jose.SignJWT(payload).setProtectedHeader({ alg: "ES256", kid: "k1" }).sign(pair.privateKey);
  const jwksAuth = { type: "jwt" as const, jwks_uri: JWKS_URI, algorithms: ["ES256" as const] };
  const MINUTE = 60_000;

  it("serves cached keys for jwks_stale_if_error (default 6h) past jwks_cache_max_age, then refuses (401) until a download succeeds", async () => {
    const start = Date.now();
    vi.useFakeTimers({ now: start, toFake: ["Date"] });
    const idp = provider();
    const gw = gateway(jwksAuth, idp.fetchJwks);
    expect(await gw.status(await es256())).toBe(200);
    idp.state.up = false;
    vi.setSystemTime(start + 10 * MINUTE + 6 * 60 * MINUTE - MINUTE); // 10m max age + 6h, less a minute
    expect(await gw.status(await es256())).toBe(200);
    vi.setSystemTime(start + 10 * MINUTE + 6 * 60 * MINUTE);
    expect(await gw.status(await es256())).toBe(401);
    expect(gw.reasons()).toEqual(["jwks_unavailable"]);
    idp.state.up = true;
    vi.setSystemTime(start + 10 * MINUTE + 6 * 60 * MINUTE + MINUTE); // past the 30 s cooldown
    expect(await gw.status(await es256())).toBe(200);
  });

  it("refuses a kept (already verified) token too once the keys are too old", async () => {
    const start = Date.now();
    vi.useFakeTimers({ now: start, toFake: ["Date"] });
    const idp = provider();
    const gw = gateway({ ...jwksAuth, jwks_cache_max_age: "1m", jwks_stale_if_error: "0s" }, idp.fetchJwks);
    const token = await es256({ sub: "u", exp: Math.floor(start / 1000) + 3600 });
    expect(await gw.status(token)).toBe(200);
    idp.state.up = false;
    vi.setSystemTime(start + 59_000);
    expect(await gw.status(token)).toBe(200);
    vi.setSystemTime(start + MINUTE);
    expect(await gw.status(token)).toBe(401);
    expect(gw.reasons()).toEqual(["jwks_unavailable"]);
    expect(idp.state.calls).toBe(2);
  });

  it.each(["-1s", "8d"])("refuses jwks_stale_if_error %s", (value) => {
    expect(authSchema.safeParse({ ...jwksAuth, jwks_stale_if_error: value }).success).toBe(false);
  });
});

describe("jwt: jwks_uri is https, or http to a loopback host", () => {
  it.each([
    "https://id.example.com/jwks",
    "http://127.0.0.1:9000/jwks",
    "http://127.8.9.10/jwks",
    "http://localhost:8787/.well-known/jwks.json",
    "http://LOCALHOST/jwks",
    "http://[::1]:9000/jwks",
  ])("accepts %s", (jwks_uri) => {
    expect(authSchema.safeParse({ type: "jwt", jwks_uri, algorithms: ["RS256"] }).success).toBe(true);
  });

  it.each([
    "http://id.example.com/jwks",
    "http://10.0.0.1/jwks",
    "http://192.168.1.2/jwks",
    "http://127.0.0.1.nip.io/jwks",
    "http://localhost.evil.test/jwks",
    "http://[::2]/jwks",
    "http://[::ffff:7f00:1]/jwks",
    "ftp://127.0.0.1/jwks",
  ])("refuses %s", (jwks_uri) => {
    const result = authSchema.safeParse({ type: "jwt", jwks_uri, algorithms: ["RS256"] });
    expect(result.success).toBe(false);
  });
});
