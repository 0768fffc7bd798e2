import { describe, expect, it } from "vitest";
import { REDACTED, redactHeaders, redactText } from "./redact";

const JWT = "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJzdWIiOiIxMjM0NTY3ODkwIn0.SflKxwRJSMeKKF2QT4fwpMeJf36POk6yJV_adQssw5c";

describe("redactText", () => {
  it.each([
    ["a bearer token", "Bearer abc.def-ghi_jkl", `Bearer ${REDACTED}`],
    ["basic credentials", "basic QWxhZGRpbjpvcGVuIHNlc2FtZQ==", `basic ${REDACTED}`],
    ["a JWT anywhere", `state=ok&next=${JWT}`, `state=ok&next=${REDACTED}`],
    ["an OpenAI key", "used sk-proj-AbCdEfGhIjKlMnOpQrStUv123", `used ${REDACTED}`],
    ["an Anthropic key", "sk-ant-api03-AbCdEfGhIjKlMnOpQrSt", REDACTED],
    ["a Stripe key", "sk_live_51AbCdEfGhIjKlMnOp", REDACTED],
    ["a GitHub token", "ghp_abcdefghijklmnopqrstuvwxyz0123456789", REDACTED],
    ["an AWS key id", "AKIAIOSFODNN7EXAMPLE", REDACTED],
  ])("removes %s", (_name, text, expected) => {
    expect(redactText(text)).toBe(expected);
  });

  it.each([
    ["api_key", "?api_key=k1&q=shoes", `?api_key=${REDACTED}&q=shoes`],
    ["token", "/cb?access_token=t1&state=s", `/cb?access_token=${REDACTED}&state=s`],
    ["password", "user=ada&password=hunter2", `user=ada&password=${REDACTED}`],
    ["signature", "?X-Amz-Signature=abc123&X-Amz-Date=1", `?X-Amz-Signature=${REDACTED}&X-Amz-Date=1`],
    ["client_secret", "?client_secret=s3cr3t", `?client_secret=${REDACTED}`],
    ["sig", "?sv=2022&sig=abc%2Bdef", `?sv=2022&sig=${REDACTED}`],
    ["a percent-encoded name", "?to%6Ben=t1", `?to%6Ben=${REDACTED}`],
    ["an undecodable name", "?%E0%A4%A=v", `?%E0%A4%A=${REDACTED}`],
  ])("removes the value of a parameter named like %s", (_name, text, expected) => {
    expect(redactText(text)).toBe(expected);
  });

  it("keeps ordinary text", () => {
    const text = "/api/v1/users/42?page=2&sort=name";
    expect(redactText(text)).toBe(text);
  });

  it("removes literal secrets, also percent-encoded", () => {
    expect(redactText("k=my secret/value, again my%20secret%2Fvalue", ["my secret/value", ""])).toBe(`k=${REDACTED}, again ${REDACTED}`);
  });
});

describe("redactHeaders", () => {
  it("replaces credential headers whole and redacts the others' text", () => {
    const headers = new Headers({
      Authorization: "Bearer abc",
      "Proxy-Authorization": "Basic xyz",
      Cookie: "session=abc",
      "Set-Cookie": "id=1; HttpOnly",
      "X-API-Key": "k1",
      "X-Tenant-Credential": "c1",
      "X-Partner": "p1",
      Referer: "https://app.example.com/cb?code=1&token=t1",
      Accept: "application/json",
    });
    expect(redactHeaders(headers, ["X-Partner"])).toEqual({
      authorization: REDACTED,
      "proxy-authorization": REDACTED,
      cookie: REDACTED,
      "set-cookie": REDACTED,
      "x-api-key": REDACTED,
      "x-tenant-credential": REDACTED,
      "x-partner": REDACTED,
      referer: `https://app.example.com/cb?code=1&token=${REDACTED}`,
      accept: "application/json",
    });
  });
});
