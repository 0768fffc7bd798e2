import { describe, expect, it } from "vitest";
import { REDACTED, redactHeaders, redactText, secretValues, SENSITIVE_NAME } from "./redact";

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
    ["an AWS session key id", "key ASIAY34FZKBOKMUTVV7A used", `key ${REDACTED} used`],
    ["a GitHub fine-grained token", "github_pat_11ABCDEFG0abcdefghijkl_mnopqrstuvwxyz0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ01", REDACTED],
    ["a GitLab token", "glpat-AbCdEfGhIjKlMnOpQrSt", REDACTED],
    ["a Slack bot token", "xoxb-1234567890-0987654321-AbCdEfGhIjKl", REDACTED],
    ["a Slack refresh token", "xoxe-1-AbCdEfGhIjKlMnOp", REDACTED],
    ["a Slack app token", "xapp-1-A0123456789-0123456789-abcdef", REDACTED],
    ["a Google OAuth token", "ya29.a0AfH6SMBx-abcdefghijklmnopqrstu", REDACTED],
    ["a Hugging Face token", "hf_AbCdEfGhIjKlMnOpQrStUvWxYz01234567", REDACTED],
    ["an npm token", "npm_AbCdEfGhIjKlMnOpQrStUvWxYz0123456789", REDACTED],
    ["a Stripe webhook secret", "whsec_AbCdEfGhIjKlMnOpQrSt", REDACTED],
    ["a Voyage key", "pa-AbCdEfGhIjKlMnOpQrStUvWxYz0123456789", REDACTED],
    ["a Loom Edge consumer key", "lk_Zm9vYmFyYmF6cXV4cXV1eGZvb2JhcmJhenF1eHF1dXg", REDACTED],
    ["a PEM private key", "key: -----BEGIN EC PRIVATE KEY-----\nMHcCAQEEIB\n-----END EC PRIVATE KEY----- done", `key: ${REDACTED} done`],
    ["a cut-off PEM private key", "-----BEGIN PRIVATE KEY-----\nMIIEvQIBADANBg", REDACTED],
    [
      "a JSON field named like a credential",
      '{"api_key":"k1","user":"ada","client_secret": "s\\"2"}',
      `{"api_key":"${REDACTED}","user":"ada","client_secret": "${REDACTED}"}`,
    ],
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

  it("keeps words that only resemble a key prefix", () => {
    const text = "sk-short ghp_short pa-short task-list spa-day";
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

describe("SENSITIVE_NAME", () => {
  it.each([
    "api_key",
    "X-Auth-Token",
    "client_secret",
    "passphrase",
    "password",
    "pwd",
    "session_id",
    "cookie",
    "Authorization",
    "credential",
    "sig",
    "X-Amz-Signature",
  ])("says %s holds a credential", (name) => expect(SENSITIVE_NAME.test(name)).toBe(true));
  it.each(["tenant", "provider", "version", "root_id", "rows", "scheme", "reason"])("keeps %s", (name) =>
    expect(SENSITIVE_NAME.test(name)).toBe(false),
  );
});

describe("secretValues", () => {
  it("lists the gateway's own secrets and the referenced ones that are set, once each", () => {
    const env = {
      ADMIN_TOKEN: "admin-token-value",
      VAULT_ROOT_KEY: "root",
      PARTNER_KEY: "partner",
      UNSET: "",
      OTHER: "not referenced",
      NUMBER: 1,
    };
    expect(secretValues(env, ["PARTNER_KEY", "UNSET", "MISSING", "NUMBER", "PARTNER_KEY"]).sort()).toEqual([
      "admin-token-value",
      "partner",
      "root",
    ]);
  });
});
