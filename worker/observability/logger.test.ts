import { afterEach, describe, expect, it, vi } from "vitest";
import { errorName, log } from "./logger";
import { REDACTED } from "./redact";

afterEach(() => vi.restoreAllMocks());

/** What `write` logged, as parsed lines, per console method. */
function capture() {
  const spies = { error: vi.spyOn(console, "error"), warn: vi.spyOn(console, "warn"), info: vi.spyOn(console, "info") };
  for (const spy of Object.values(spies)) spy.mockImplementation(() => {});
  const lines = (method: keyof typeof spies) => spies[method].mock.calls.map(([line]) => JSON.parse(String(line)));
  return { lines, raw: () => JSON.stringify(Object.values(spies).flatMap((spy) => spy.mock.calls)) };
}

describe("log", () => {
  it("writes one JSON line per call, with its level and event first, through the console method of its level", () => {
    const { lines } = capture();
    log.error("vault_unavailable", { request_id: "r1", variable: "VAULT_ROOT_KEY" });
    log.warn("jwks_refresh_failed", { jwks_uri: "https://idp.test/jwks", serving_cached_keys: true });
    log.info("audit_prune", { rows: 3 });
    expect(lines("error")).toEqual([{ level: "error", event: "vault_unavailable", request_id: "r1", variable: "VAULT_ROOT_KEY" }]);
    expect(lines("warn")).toEqual([
      { level: "warn", event: "jwks_refresh_failed", jwks_uri: "https://idp.test/jwks", serving_cached_keys: true },
    ]);
    expect(lines("info")).toEqual([{ level: "info", event: "audit_prune", rows: 3 }]);
  });

  it("never writes a secret: credentials in text, fields named like a credential, at any depth", () => {
    const { lines, raw } = capture();
    const jwt = "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJ4In0.c2lnbmF0dXJl";
    log.error("config_refresh_failed", {
      message: `fetch https://kv.test/x?token=hunter2-secret failed with Authorization: Bearer abc.def.ghi and ${jwt}`,
      upstream_key: "sk-ant-0123456789abcdefghij",
      password: "correct horse battery staple",
      audit_event: { details: { api_key: "lk_" + "a".repeat(44), note: "Basic dXNlcjpwYXNz" }, target: "routes/x" },
      retries: [{ session: "s3cr3t-session-id" }],
    });
    const text = raw();
    for (const secret of [
      "hunter2-secret",
      "abc.def.ghi",
      jwt,
      "sk-ant-0123456789abcdefghij",
      "correct horse",
      "lk_aaaa",
      "dXNlcjpwYXNz",
      "s3cr3t",
    ])
      expect(text).not.toContain(secret);
    const [line] = lines("error");
    expect(line).toMatchObject({
      upstream_key: REDACTED,
      password: REDACTED,
      audit_event: { details: { api_key: REDACTED }, target: "routes/x" },
      retries: [{ session: REDACTED }],
    });
    expect(line.message).toContain("https://kv.test/x?token=[REDACTED]");
  });

  it("keeps identifiers of keys, which name a secret and hold none", () => {
    const { lines } = capture();
    log.error("credential_unreadable", { root_key_id: "0123456789abcdef", reason: "unknown_root_key" });
    expect(lines("error")[0]).toMatchObject({ root_key_id: "0123456789abcdef" });
  });
});

describe("errorName", () => {
  it("is the class name only: a message can quote a secret or an address", () => {
    expect(errorName(new TypeError("connect 10.0.0.7 with sk-live-key"))).toBe("TypeError");
    expect(errorName("boom")).toBe("string");
  });
});
