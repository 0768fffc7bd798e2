/**
 * The jwt scheme: valid tokens for every allowed algorithm, the attack suite, secrets, the JWKS
 * endpoint and the verified-token cache. Hardening rules of issue 12 are in jwt-hardening.test.ts.
 */
import { afterEach, beforeAll, describe, expect, it, vi } from "vitest";
import * as jose from "jose";
import { publicKeyAlgorithms } from "./public-key";
import { SECRETS, type Auth, gateway, echo, bearer, basic } from "./auth-harness.test-helper";
import { type JwksFetch } from ".";

afterEach(() => {
  vi.useRealTimers();
  vi.restoreAllMocks();
});

const ISSUER = "https://id.test/";
const AUDIENCE = "api://loom";
const JWKS_URI = "https://id.test/.well-known/jwks.json";
const ASYMMETRIC = ["RS256", "PS256", "ES256", "ES384", "EdDSA"] as const;
type Asymmetric = (typeof ASYMMETRIC)[number];

const keys = {} as Record<Asymmetric, CryptoKeyPair>;
let jwks: jose.JSONWebKeySet;
let rsaPem: string;
let attacker: CryptoKeyPair;

beforeAll(async () => {
  for (const alg of ASYMMETRIC) keys[alg] = await jose.generateKeyPair(alg, { extractable: true });
  jwks = {
    keys: await Promise.all(
      ASYMMETRIC.map(async (alg) => ({ ...(await jose.exportJWK(keys[alg].publicKey)), kid: `key-${alg}`, alg, use: "sig" })),
    ),
  };
  rsaPem = await jose.exportSPKI(keys.RS256.publicKey);
  attacker = await jose.generateKeyPair("RS256", { extractable: true });
});

const hmacKey = (secret = SECRETS.HS_SECRET!) => new TextEncoder().encode(secret);

function claims(extra: jose.JWTPayload = {}): jose.JWTPayload {
  const now = Math.floor(Date.now() / 1000);
  return { sub: "user-1", iss: ISSUER, aud: AUDIENCE, iat: now, exp: now + 300, ...extra };
}

async function sign(
  alg: string,
  key: CryptoKey | Uint8Array,
  payload = claims(),
  header: jose.JWTHeaderParameters | Record<string, unknown> = {},
): Promise<string> {
  return new jose.SignJWT(payload).setProtectedHeader({ alg, kid: `key-${alg}`, ...header } as jose.JWTHeaderParameters).sign(key);
}

const b64url = (value: unknown) => jose.base64url.encode(typeof value === "string" ? value : JSON.stringify(value));

/** An HS256 token built by hand, for headers jose refuses to sign. */
async function handmadeHs256(header: Record<string, unknown>, payload: jose.JWTPayload = claims()): Promise<string> {
  const input = `${b64url(header)}.${b64url(payload)}`;
  const key = await crypto.subtle.importKey("raw", hmacKey(), { name: "HMAC", hash: "SHA-256" }, false, ["sign"]);
  const signature = new Uint8Array(await crypto.subtle.sign("HMAC", key, new TextEncoder().encode(input)));
  return `${input}.${jose.base64url.encode(signature)}`;
}

/** A JWKS endpoint the test controls. */
function identityProvider() {
  const state = {
    jwks: undefined as jose.JSONWebKeySet | undefined,
    mode: "up" as "up" | "down" | "unreachable" | "slow" | "garbage",
    calls: [] as string[],
  };
  const fetchJwks: JwksFetch = async (url, init) => {
    state.calls.push(url);
    switch (state.mode) {
      case "down":
        return new Response("maintenance", { status: 503 });
      case "unreachable":
        throw new TypeError("Network connection lost.");
      case "garbage":
        return new Response("<html>", { status: 200 });
      case "slow":
        return new Promise<Response>((_, reject) => init.signal!.addEventListener("abort", () => reject(init.signal!.reason)));
      case "up":
        return Response.json(state.jwks ?? jwks);
    }
  };
  return { state, fetchJwks };
}

const jwksAuth = {
  type: "jwt" as const,
  jwks_uri: JWKS_URI,
  algorithms: [...ASYMMETRIC],
  issuer: ISSUER,
  audience: AUDIENCE,
  required_claims: ["sub"],
  jwks_timeout: "100ms",
};
const hmacAuth = { type: "jwt" as const, secret: "${HS_SECRET}", algorithms: ["HS256" as const, "HS384" as const, "HS512" as const] };
const pemAuth = { type: "jwt" as const, public_key: "${JWT_PUBLIC_KEY}", algorithms: ["RS256" as const] };

function jwksGateway(auth: Auth = jwksAuth) {
  const idp = identityProvider();
  return { idp, gw: gateway({ auth }, { fetchJwks: idp.fetchJwks }) };
}

const pemGateway = (auth: Auth = pemAuth) => gateway({ auth }, {}, { ...SECRETS, JWT_PUBLIC_KEY: rsaPem });

/** Every refusal of a presented token looks the same to the client. */
async function expectInvalidToken(response: Response) {
  expect(response.status).toBe(401);
  expect(response.headers.get("WWW-Authenticate")).toBe('Bearer realm="loom-edge", error="invalid_token"');
  expect(await response.json()).toEqual({
    error: "unauthorized",
    message: "valid credentials are required for this route",
    request_id: "test",
  });
}

describe("jwt: valid tokens", () => {
  it.each(ASYMMETRIC)("admits %s via the JWKS and exposes the claims", async (alg) => {
    const { gw, idp } = jwksGateway();
    const response = await gw.fetch("/r/x", bearer(await sign(alg, keys[alg].privateKey)));
    expect(response.status).toBe(200);
    expect(await echo(response)).toMatchObject({ scheme: "jwt", jwt: { sub: "user-1", iss: ISSUER } });
    expect(idp.state.calls).toEqual([JWKS_URI]);
  });

  it.each(["HS256", "HS384", "HS512"])("admits %s with the secret", async (alg) => {
    expect((await gateway({ auth: hmacAuth }).fetch("/r/x", bearer(await sign(alg, hmacKey())))).status).toBe(200);
  });

  it("takes `{type: jwt, secret}` without algorithms as HS256, as Loom's docs write it, and nothing else", async () => {
    const gw = gateway({ auth: { type: "jwt", secret: "${HS_SECRET}" } });
    expect((await gw.fetch("/r/x", bearer(await sign("HS256", hmacKey())))).status).toBe(200);
    await expectInvalidToken(await gw.fetch("/r/x", bearer(await sign("HS384", hmacKey()))));
    await expectInvalidToken(await gw.fetch("/r/x", bearer(await sign("RS256", keys.RS256.privateKey))));
  });

  it.each(["RS256", "PS256"] as const)("admits %s with a PEM public key", async (alg) => {
    const gw = pemGateway({ ...pemAuth, algorithms: ["RS256", "PS256"] });
    const { privateKey } =
      alg === "RS256"
        ? keys.RS256
        : await (async () => {
            // PS256 with the same RSA key pair: re-import the RS256 private key for RSA-PSS.
            const pkcs8 = await jose.exportPKCS8(keys.RS256.privateKey);
            return { privateKey: await jose.importPKCS8(pkcs8, "PS256") };
          })();
    expect((await gw.fetch("/r/x", bearer(await sign(alg, privateKey)))).status).toBe(200);
  });

  it("admits ES256 and EdDSA PEM keys, each only for its own algorithm", async () => {
    for (const alg of ["ES256", "EdDSA"] as const) {
      const pem = await jose.exportSPKI(keys[alg].publicKey);
      const gw = gateway(
        { auth: { type: "jwt", public_key: "${JWT_PUBLIC_KEY}", algorithms: ["ES256", "EdDSA", "RS256"] } },
        {},
        { ...SECRETS, JWT_PUBLIC_KEY: pem },
      );
      expect((await gw.fetch("/r/x", bearer(await sign(alg, keys[alg].privateKey)))).status).toBe(200);
    }
  });

  it("accepts the Bearer scheme name in any case", async () => {
    const gw = gateway({ auth: hmacAuth });
    const token = await sign("HS256", hmacKey());
    for (const scheme of ["bearer", "BEARER", "bEaReR"]) {
      expect((await gw.fetch("/r/x", { headers: { Authorization: `${scheme} ${token}` } })).status).toBe(200);
    }
  });

  it("tolerates clock skew within clock_tolerance", async () => {
    const now = Math.floor(Date.now() / 1000);
    const gw = gateway({ auth: hmacAuth });
    expect(
      (await gw.fetch("/r/x", bearer(await sign("HS256", hmacKey(), claims({ exp: now - 10, nbf: now + 10, iat: now + 10 }))))).status,
    ).toBe(200);
  });

  it("reads a token from the query only where the route allows it", async () => {
    const token = await sign("HS256", hmacKey());
    const gw = gateway({ auth: hmacAuth, routes: { ws: { ...hmacAuth, query_param: "access_token" } } });
    expect((await gw.fetch(`/ws/x?access_token=${token}`)).status).toBe(200);
    const elsewhere = await gw.fetch(`/api/x?access_token=${token}`);
    expect(elsewhere.status).toBe(401);
    expect(elsewhere.headers.get("WWW-Authenticate")).toBe('Bearer realm="loom-edge"');
  });

  it("passes configured claims upstream and removes client copies", async () => {
    const gw = gateway({ auth: { ...hmacAuth, claim_headers: { sub: "X-User-Id", admin: "X-User-Admin", roles: "X-User-Roles" } } });
    const token = await sign("HS256", hmacKey(), claims({ admin: false, roles: ["a"] }));
    const body = await echo(await gw.fetch("/r/x", { headers: { Authorization: `Bearer ${token}`, "X-User-Roles": "admin" } }));
    expect(body.headers["x-user-id"]).toBe("user-1");
    expect(body.headers["x-user-admin"]).toBe("false");
    expect(body.headers["x-user-roles"]).toBeUndefined(); // not a scalar claim: not passed, and the forged copy is gone
  });

  it("reads a bare token from a custom header", async () => {
    const gw = gateway({ auth: { ...hmacAuth, header: "X-Token" } });
    expect((await gw.fetch("/r/x", { headers: { "X-Token": await sign("HS256", hmacKey()) } })).status).toBe(200);
  });
});

describe("jwt: missing token", () => {
  it.each([
    ["no Authorization header", {}],
    ["another scheme in Authorization", basic("user", "pass")],
  ])("answers %s with a bare Bearer challenge (RFC 6750 §3.1)", async (_name, init) => {
    const gw = gateway({ auth: hmacAuth });
    const response = await gw.fetch("/r/x", init);
    expect(response.status).toBe(401);
    expect(response.headers.get("WWW-Authenticate")).toBe('Bearer realm="loom-edge"');
    expect(gw.events[0]!.reason).toBe("missing_credentials");
  });
});

describe("jwt: the attack suite", () => {
  it("refuses alg: none, signed or not", async () => {
    const { gw } = jwksGateway();
    const unsecured = `${b64url({ alg: "none", typ: "JWT" })}.${b64url(claims())}.`;
    await expectInvalidToken(await gw.fetch("/r/x", bearer(unsecured)));
    await expectInvalidToken(await gw.fetch("/r/x", bearer(`${unsecured}c2lnbmF0dXJl`)));
    for (const alg of ["none", "None", "NONE"]) {
      await expectInvalidToken(await gw.fetch("/r/x", bearer(`${b64url({ alg })}.${b64url(claims())}.AAAA`)));
    }
    expect(gw.events.map((event) => event.reason)).toEqual([
      "malformed_token",
      "algorithm_not_allowed",
      "algorithm_not_allowed",
      "algorithm_not_allowed",
      "algorithm_not_allowed",
    ]);
  });

  it("refuses HS256 signed with the RS256 public key (algorithm confusion)", async () => {
    const forged = await sign("HS256", new TextEncoder().encode(rsaPem));
    // RS256 only: HS256 is not on the allow-list.
    await expectInvalidToken(await pemGateway().fetch("/r/x", bearer(forged)));
    // HS256 and RS256 both allowed: an HS token is checked with `secret`, never with the public key.
    const both = pemGateway({ type: "jwt", secret: "${HS_SECRET}", public_key: "${JWT_PUBLIC_KEY}", algorithms: ["HS256", "RS256"] });
    await expectInvalidToken(await both.fetch("/r/x", bearer(forged)));
    const jwkSecret = await sign("HS256", new TextEncoder().encode(JSON.stringify(jwks.keys[0])));
    await expectInvalidToken(await both.fetch("/r/x", bearer(jwkSecret)));
    expect(both.events.map((event) => event.reason)).toEqual(["bad_signature", "bad_signature"]);
    // And the JWKS never serves a symmetric key, whatever it contains.
    const { gw, idp } = jwksGateway({ ...jwksAuth, secret: "${HS_SECRET}", algorithms: ["HS256", "RS256"] });
    idp.state.jwks = { keys: [{ kty: "oct", k: jose.base64url.encode(new TextEncoder().encode(rsaPem)), kid: "key-HS256" }] };
    await expectInvalidToken(await gw.fetch("/r/x", bearer(forged)));
  });

  it("refuses a public key used for an algorithm of another key type", async () => {
    const gw = pemGateway({ type: "jwt", public_key: "${JWT_PUBLIC_KEY}", algorithms: ["RS256", "EdDSA", "ES256"] });
    await expectInvalidToken(await gw.fetch("/r/x", bearer(await sign("EdDSA", keys.EdDSA.privateKey))));
    await expectInvalidToken(await gw.fetch("/r/x", bearer(await sign("ES256", keys.ES256.privateKey))));
    expect(gw.events.map((event) => event.reason)).toEqual(["key_type_mismatch", "key_type_mismatch"]);
  });

  it("refuses an unknown kid, refreshing the JWKS at most once per cooldown", async () => {
    const { gw, idp } = jwksGateway();
    await expectInvalidToken(await gw.fetch("/r/x", bearer(await sign("RS256", attacker.privateKey, claims(), { kid: "key-unknown" }))));
    await expectInvalidToken(await gw.fetch("/r/x", bearer(await sign("RS256", attacker.privateKey, claims(), { kid: "key-unknown-2" }))));
    expect(idp.state.calls).toHaveLength(1); // the first download; the unknown kids come within the cooldown
    expect(gw.events.map((event) => event.reason)).toEqual(["unknown_key", "unknown_key"]);
  });

  it.each([
    "../../../../../../dev/null",
    "/etc/passwd",
    "key-RS256/../key-RS256",
    "key-RS256\u0000",
    "key-RS256' OR '1'='1",
    "https://evil.test/key",
    "",
  ])("refuses kid %j (path and injection tricks)", async (kid) => {
    const { gw, idp } = jwksGateway();
    await expectInvalidToken(await gw.fetch("/r/x", bearer(await sign("RS256", attacker.privateKey, claims(), { kid }))));
    expect(idp.state.calls.every((url) => url === JWKS_URI)).toBe(true);
  });

  it("refuses a token that brings its own key (jwk, jku, x5u) and never fetches those URLs", async () => {
    const { gw, idp } = jwksGateway();
    const jwk = await jose.exportJWK(attacker.publicKey);
    for (const header of [
      { jwk },
      { jku: "https://evil.test/jwks.json" },
      { x5u: "https://evil.test/cert.pem" },
      { jwk, kid: "key-RS256" },
    ]) {
      await expectInvalidToken(await gw.fetch("/r/x", bearer(await sign("RS256", attacker.privateKey, claims(), header))));
    }
    expect(idp.state.calls.every((url) => url === JWKS_URI)).toBe(true);
  });

  it.each([
    ["expired", { exp: -3600 }, "expired"],
    ["not yet valid", { nbf: 3600 }, "not_yet_valid"],
    ["issued in the future", { iat: 3600 }, "issued_in_future"],
    ["a non-numeric exp", { exp: "tomorrow" }, "claim_mismatch:exp"],
  ])("refuses a token that is %s", async (_name, offsets, reason) => {
    const now = Math.floor(Date.now() / 1000);
    const payload = claims(
      Object.fromEntries(Object.entries(offsets).map(([claim, value]) => [claim, typeof value === "number" ? now + value : value])),
    );
    const { gw } = jwksGateway();
    await expectInvalidToken(await gw.fetch("/r/x", bearer(await sign("ES256", keys.ES256.privateKey, payload))));
    expect(gw.events[0]!.reason).toBe(reason);
  });

  it.each([
    ["a wrong issuer", { iss: "https://evil.test/" }, "claim_mismatch:iss"],
    ["a wrong audience", { aud: "api://other" }, "claim_mismatch:aud"],
    ["no audience", { aud: undefined }, "missing_claim"],
    ["a missing required claim", { sub: undefined }, "missing_claim"],
  ])("refuses %s", async (_name, extra, reason) => {
    const { gw } = jwksGateway();
    await expectInvalidToken(await gw.fetch("/r/x", bearer(await sign("ES256", keys.ES256.privateKey, claims(extra)))));
    expect(gw.events[0]!.reason).toBe(reason);
  });

  it("refuses a tampered payload", async () => {
    const { gw } = jwksGateway();
    const [header, , signature] = (await sign("RS256", keys.RS256.privateKey)).split(".");
    await expectInvalidToken(await gw.fetch("/r/x", bearer(`${header}.${b64url(claims({ sub: "admin" }))}.${signature}`)));
    expect(gw.events[0]!.reason).toBe("bad_signature");
  });

  it("refuses truncated tokens", async () => {
    const { gw } = jwksGateway();
    const token = await sign("ES256", keys.ES256.privateKey);
    for (const truncated of [
      token.slice(0, -4),
      token.slice(0, token.lastIndexOf(".")),
      token.slice(0, token.lastIndexOf(".") + 1),
      token.split(".")[0]!,
    ]) {
      await expectInvalidToken(await gw.fetch("/r/x", bearer(truncated)));
    }
  });

  it("refuses an oversized token before parsing it", async () => {
    const { gw, idp } = jwksGateway({ ...jwksAuth, max_token_size: "1KB" });
    const token = await sign("ES256", keys.ES256.privateKey, claims({ padding: "x".repeat(2000) }));
    await expectInvalidToken(await gw.fetch("/r/x", bearer(token)));
    expect(gw.events[0]!.reason).toBe("token_too_large");
    expect(idp.state.calls).toEqual([]);
  });

  it("refuses critical header parameters it does not understand, b64 included", async () => {
    const gw = gateway({ auth: hmacAuth });
    await expectInvalidToken(await gw.fetch("/r/x", bearer(await handmadeHs256({ alg: "HS256", crit: ["exp"], exp: 1 }))));
    await expectInvalidToken(
      await gw.fetch("/r/x", bearer(await handmadeHs256({ alg: "HS256", crit: ["x-policy"], "x-policy": "skip-checks" }))),
    );
    await expectInvalidToken(await gw.fetch("/r/x", bearer(await handmadeHs256({ alg: "HS256", crit: ["b64"], b64: false }))));
    // The same hand-made token without `crit` passes: the refusals above are about `crit`.
    expect((await gw.fetch("/r/x", bearer(await handmadeHs256({ alg: "HS256" })))).status).toBe(200);
  });

  it("refuses a JWE where a JWS is expected", async () => {
    const gw = gateway({ auth: hmacAuth });
    const jwe = await new jose.EncryptJWT(claims()).setProtectedHeader({ alg: "dir", enc: "A256GCM" }).encrypt(hmacKey().slice(0, 32));
    await expectInvalidToken(await gw.fetch("/r/x", bearer(jwe)));
    const rsaJwe = await new jose.EncryptJWT(claims())
      .setProtectedHeader({ alg: "RSA-OAEP-256", enc: "A128GCM" })
      .encrypt((await jose.generateKeyPair("RSA-OAEP-256")).publicKey);
    await expectInvalidToken(await gw.fetch("/r/x", bearer(rsaJwe)));
    expect(gw.events.map((event) => event.reason)).toEqual(["encrypted_token", "encrypted_token"]);
  });

  it("refuses garbage in every part", async () => {
    const gw = gateway({ auth: hmacAuth });
    for (const token of [
      "a.b.c",
      "e30.e30.e30",
      `${b64url({ alg: "HS256" })}.bm90IGpzb24.AAAA`,
      "Bearer",
      "....",
      "a b c",
      `${b64url("[]")}.${b64url(claims())}.AAAA`,
    ]) {
      await expectInvalidToken(await gw.fetch("/r/x", bearer(token)));
    }
  });

  it("never reports the token itself", async () => {
    const { gw } = jwksGateway();
    const token = await sign("RS256", attacker.privateKey);
    await gw.fetch("/r/x", bearer(token));
    const reported = JSON.stringify(gw.events);
    for (const part of token.split(".")) expect(reported).not.toContain(part);
  });
});

describe("jwt: secrets", () => {
  it("fails closed with 500 when the HMAC secret or the public key is not set", async () => {
    const token = await sign("HS256", hmacKey());
    const { HS_SECRET: _unset, ...rest } = SECRETS;
    expect((await gateway({ auth: hmacAuth }, {}, rest).fetch("/r/x", bearer(token))).status).toBe(500);
    expect((await gateway({ auth: pemAuth }).fetch("/r/x", bearer(await sign("RS256", keys.RS256.privateKey)))).status).toBe(500);
  });

  it("refuses to use an HMAC secret shorter than the hash (RFC 7518 §3.2)", async () => {
    const gw = gateway({ auth: { type: "jwt", secret: "${SHORT_SECRET}", algorithms: ["HS256"] } });
    const response = await gw.fetch("/r/x", bearer(await sign("HS256", hmacKey(SECRETS.SHORT_SECRET))));
    expect(response.status).toBe(500);
    expect(await response.json()).toMatchObject({ error: "secret_unavailable" });
  });

  it("fails closed with 500 when the public key is not a PEM public key", async () => {
    const gw = gateway(
      { auth: pemAuth },
      {},
      { ...SECRETS, JWT_PUBLIC_KEY: "-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----" },
    );
    expect((await gw.fetch("/r/x", bearer(await sign("RS256", keys.RS256.privateKey)))).status).toBe(500);
  });

  it("tells key types apart from the SPKI itself", async () => {
    expect(publicKeyAlgorithms(rsaPem)).toEqual(["RS256", "RS384", "RS512", "PS256", "PS384", "PS512"]);
    expect(publicKeyAlgorithms(await jose.exportSPKI(keys.ES384.publicKey))).toEqual(["ES384"]);
    expect(publicKeyAlgorithms(await jose.exportSPKI(keys.EdDSA.publicKey))).toEqual(["EdDSA"]);
    expect(() => publicKeyAlgorithms("not a pem")).toThrow(TypeError);
  });
});

describe("jwt: the JWKS endpoint", () => {
  it.each(["down", "unreachable", "garbage", "slow"] as const)(
    "refuses tokens (401) while the JWKS is %s and nothing is cached",
    async (mode) => {
      const { gw, idp } = jwksGateway();
      idp.state.mode = mode;
      await expectInvalidToken(await gw.fetch("/r/x", bearer(await sign("RS256", keys.RS256.privateKey))));
      expect(gw.events[0]!.reason).toBe("jwks_unavailable");
      // No new download within the cooldown: a dead endpoint is not hammered, and requests do not wait on it.
      await expectInvalidToken(await gw.fetch("/r/x", bearer(await sign("RS256", keys.RS256.privateKey))));
      expect(idp.state.calls).toHaveLength(1);
    },
  );

  it("recovers after the cooldown once the JWKS is back", async () => {
    const { gw, idp } = jwksGateway();
    idp.state.mode = "down";
    expect((await gw.fetch("/r/x", bearer(await sign("RS256", keys.RS256.privateKey)))).status).toBe(401);
    idp.state.mode = "up";
    vi.setSystemTime(Date.now() + 31_000);
    expect((await gw.fetch("/r/x", bearer(await sign("RS256", keys.RS256.privateKey)))).status).toBe(200);
    expect(idp.state.calls).toHaveLength(2);
  });

  it("keeps serving cached keys through an outage after they expire", async () => {
    const { gw, idp } = jwksGateway();
    expect((await gw.fetch("/r/x", bearer(await sign("ES256", keys.ES256.privateKey)))).status).toBe(200);
    for (const mode of ["down", "slow", "unreachable"] as const) {
      idp.state.mode = mode;
      vi.setSystemTime(Date.now() + 11 * 60_000); // past the 10m cache age
      expect((await gw.fetch("/r/x", bearer(await sign("ES256", keys.ES256.privateKey)))).status).toBe(200);
      expect((await gw.fetch("/r/x", bearer(await sign("EdDSA", keys.EdDSA.privateKey)))).status).toBe(200);
    }
    expect(idp.state.calls).toHaveLength(4); // one attempt per expiry, none for the second request
  });

  it("picks up a rotated key by its new kid, at most once per cooldown", async () => {
    const { gw, idp } = jwksGateway();
    expect((await gw.fetch("/r/x", bearer(await sign("RS256", keys.RS256.privateKey)))).status).toBe(200);
    const rotated = await jose.generateKeyPair("RS256", { extractable: true });
    idp.state.jwks = { keys: [...jwks.keys, { ...(await jose.exportJWK(rotated.publicKey)), kid: "key-2026", alg: "RS256" }] };
    const token = await sign("RS256", rotated.privateKey, claims(), { kid: "key-2026" });
    expect((await gw.fetch("/r/x", bearer(token))).status).toBe(401); // within the cooldown of the first download
    vi.setSystemTime(Date.now() + 31_000);
    expect((await gw.fetch("/r/x", bearer(token))).status).toBe(200);
    expect(idp.state.calls).toHaveLength(2);
  });

  it("drops a key removed from the JWKS once the cache expires", async () => {
    const { gw, idp } = jwksGateway();
    expect((await gw.fetch("/r/x", bearer(await sign("PS256", keys.PS256.privateKey)))).status).toBe(200);
    idp.state.jwks = { keys: jwks.keys.filter((key) => key.kid !== "key-PS256") };
    vi.setSystemTime(Date.now() + 11 * 60_000);
    await expectInvalidToken(await gw.fetch("/r/x", bearer(await sign("PS256", keys.PS256.privateKey))));
  });

  it("refuses a JWKS larger than 256 KiB", async () => {
    const { gw, idp } = jwksGateway();
    idp.state.jwks = { keys: [...jwks.keys, ...Array.from({ length: 800 }, (_, i) => ({ ...jwks.keys[0]!, kid: `filler-${i}` }))] };
    await expectInvalidToken(await gw.fetch("/r/x", bearer(await sign("RS256", keys.RS256.privateKey))));
    expect(gw.events[0]!.reason).toBe("jwks_unavailable");
  });

  it("shares one cache between the routes that name the same JWKS", async () => {
    const idp = identityProvider();
    const gw = gateway({ auth: jwksAuth, routes: { a: jwksAuth, b: [jwksAuth] } }, { fetchJwks: idp.fetchJwks });
    for (const route of ["a", "b", "c"])
      expect((await gw.fetch(`/${route}/x`, bearer(await sign("ES384", keys.ES384.privateKey)))).status).toBe(200);
    expect(idp.state.calls).toHaveLength(1);
  });
});

describe("jwt: verified tokens kept per scheme", () => {
  it("verifies the signature of a repeated token once", async () => {
    const { gw } = jwksGateway();
    const token = await sign("ES256", keys.ES256.privateKey);
    const verify = vi.spyOn(crypto.subtle, "verify");
    for (let i = 0; i < 3; i++) expect((await gw.fetch("/r/x", bearer(token))).status).toBe(200);
    expect(verify).toHaveBeenCalledTimes(1);
    const body = await echo(await gw.fetch("/r/x", bearer(token)));
    expect(body.jwt).toMatchObject({ sub: "user-1", iss: ISSUER });
  });

  it("refuses a kept token once it has expired", async () => {
    const gw = gateway({ auth: hmacAuth });
    const now = Math.floor(Date.now() / 1000);
    const token = await sign("HS256", hmacKey(), claims({ exp: now + 5 }));
    expect((await gw.fetch("/r/x", bearer(token))).status).toBe(200);
    vi.setSystemTime((now + 5 + 29) * 1000); // still within the 30 s clock_tolerance
    expect((await gw.fetch("/r/x", bearer(token))).status).toBe(200);
    vi.setSystemTime((now + 5 + 30) * 1000);
    await expectInvalidToken(await gw.fetch("/r/x", bearer(token)));
    expect(gw.events.at(-1)!.reason).toBe("expired");
  });

  it("refuses a kept token as soon as the secret that verified it changes", async () => {
    const secrets = { ...SECRETS };
    const gw = gateway({ auth: hmacAuth }, {}, secrets);
    const token = await sign("HS256", hmacKey());
    expect((await gw.fetch("/r/x", bearer(token))).status).toBe(200);
    secrets.HS_SECRET = "a-rotated-secret-0123456789abcdef-0123456789abcdef-0123456789ab";
    await expectInvalidToken(await gw.fetch("/r/x", bearer(token)));
    expect(gw.events.at(-1)!.reason).toBe("bad_signature");
  });

  it("refuses a kept token once a refreshed JWKS no longer holds its key", async () => {
    const { gw, idp } = jwksGateway();
    const token = await sign("RS256", keys.RS256.privateKey);
    expect((await gw.fetch("/r/x", bearer(token))).status).toBe(200);
    // The provider rotates RS256 out; a token with the new kid makes the gateway download again.
    const rotated = await jose.generateKeyPair("RS256", { extractable: true });
    idp.state.jwks = {
      keys: [
        ...jwks.keys.filter((key) => key.kid !== "key-RS256"),
        { ...(await jose.exportJWK(rotated.publicKey)), kid: "key-2026", alg: "RS256" },
      ],
    };
    vi.setSystemTime(Date.now() + 31_000);
    expect((await gw.fetch("/r/x", bearer(await sign("RS256", rotated.privateKey, claims(), { kid: "key-2026" })))).status).toBe(200);
    await expectInvalidToken(await gw.fetch("/r/x", bearer(token)));
    expect(idp.state.calls).toHaveLength(2);
  });

  it.each([
    ["1000 tokens", 1001, {}],
    ["512 Ki characters of tokens, however few", 100, { pad: "x".repeat(4500) }],
  ])("keeps at most %s, the oldest out first", async (_bound, count, extra) => {
    const gw = gateway({ auth: hmacAuth });
    const tokens = await Promise.all(
      Array.from({ length: count }, (_, i) => sign("HS256", hmacKey(), claims({ sub: `user-${i}`, ...extra }))),
    );
    for (const token of tokens) expect((await gw.fetch("/r/x", bearer(token))).status).toBe(200);
    const verify = vi.spyOn(crypto.subtle, "verify");
    expect((await gw.fetch("/r/x", bearer(tokens.at(-1)!))).status).toBe(200);
    expect(verify).not.toHaveBeenCalled();
    expect((await gw.fetch("/r/x", bearer(tokens[0]!))).status).toBe(200);
    expect(verify).toHaveBeenCalledTimes(1);
  });

  it("keeps nothing it refused: a bad token stays refused", async () => {
    const gw = gateway({ auth: hmacAuth });
    const token = await sign("HS256", hmacKey("another-secret-0123456789abcdef-0123456789abcdef-012345"));
    for (let i = 0; i < 2; i++) await expectInvalidToken(await gw.fetch("/r/x", bearer(token)));
    expect(gw.events.map((event) => event.reason)).toEqual(["bad_signature", "bad_signature"]);
  });

  it("does not share kept tokens between routes with different rules", async () => {
    const gw = gateway({ auth: hmacAuth, routes: { strict: { ...hmacAuth, audience: "someone-else" } } });
    const token = await sign("HS256", hmacKey());
    expect((await gw.fetch("/r/x", bearer(token))).status).toBe(200);
    await expectInvalidToken(await gw.fetch("/strict/x", bearer(token)));
  });
});
