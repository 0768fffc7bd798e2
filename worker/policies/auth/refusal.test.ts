import { describe, expect, it } from "vitest";
import { refuse } from "./scheme";
import { refusalError, type SchemeRefusal } from "./refusal";

const jwt = (presented: boolean): SchemeRefusal => ({ scheme: { name: "jwt", realm: "api" }, presented });
const apiKey: SchemeRefusal = { scheme: { name: "api_key", realm: "api" }, presented: false };
const basic: SchemeRefusal = { scheme: { name: "basic", realm: "ops" }, presented: true };
const mtls: SchemeRefusal = { scheme: { name: "mtls" }, presented: true };

async function answer(error: ReturnType<typeof refusalError>) {
  const response = error.getResponse("req-auth");
  return {
    status: response.status,
    challenges: response.headers.get("WWW-Authenticate"),
    body: await response.json<Record<string, unknown>>(),
  };
}

describe("a refusal on the wire", () => {
  it("401 unauthorized with one challenge per acceptable scheme, in their order (RFC 9110 §11.6.1)", async () => {
    expect(await answer(refusalError({ kind: "credentials", refusals: [apiKey, basic, jwt(false)] }))).toEqual({
      status: 401,
      challenges: 'ApiKey realm="api", Basic realm="ops", charset="UTF-8", Bearer realm="api"',
      body: { error: "unauthorized", message: "valid credentials are required for this route", request_id: "req-auth" },
    });
  });

  it("Bearer: invalid_token only for a token that was sent, nothing more (RFC 6750 §3.1)", async () => {
    expect((await answer(refusalError({ kind: "credentials", refusals: [jwt(true)] }))).challenges).toBe(
      'Bearer realm="api", error="invalid_token"',
    );
    expect((await answer(refusalError({ kind: "credentials", refusals: [jwt(false)] }))).challenges).toBe('Bearer realm="api"');
  });

  it("403 client_certificate_required when only mTLS was acceptable: a 401 needs a challenge, and TLS has none", async () => {
    const { status, challenges, body } = await answer(refusalError({ kind: "credentials", refusals: [mtls] }));
    expect({ status, challenges, error: body.error }).toEqual({ status: 403, challenges: null, error: "client_certificate_required" });
    expect((await answer(refusalError({ kind: "credentials", refusals: [mtls, apiKey] }))).status).toBe(401);
  });

  it("403 route_not_allowed for a consumer outside its allowed routes, without a challenge", async () => {
    const { status, challenges, body } = await answer(refusalError({ kind: "route_not_allowed" }));
    expect({ status, challenges, error: body.error }).toEqual({ status: 403, challenges: null, error: "route_not_allowed" });
  });

  it("429 too_many_auth_failures with Retry-After in whole seconds, rounded up", async () => {
    const error = refusalError({ kind: "too_many_failures", blockedMs: 1500 });
    const response = error.getResponse("req-auth");
    expect(response.status).toBe(429);
    expect(response.headers.get("Retry-After")).toBe("2");
    expect(await response.json()).toMatchObject({ error: "too_many_auth_failures", retry_after: 2 });
  });

  it("takes only the reasons of the union", () => {
    expect(refuse("claim_mismatch:aud")).toEqual({ ok: false, reason: "claim_mismatch:aud", presented: true });
    // @ts-expect-error: not a refusal reason
    refuse("wrong_password");
  });
});
