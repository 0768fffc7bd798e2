/**
 * What the platform records (Workers Logs, traces) is set in wrangler.toml, read here as
 * wrangler reads it for `wrangler deploy`: no invocation logs (they record the request URL and
 * headers as sent, credentials included), no traces, and query strings redacted from the URLs
 * of anything the platform still records (an api_key `query_param` carries the key there).
 * The request log is the gateway's own redacted access log.
 */
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { unstable_readConfig } from "wrangler";

const ROOT = join(dirname(fileURLToPath(import.meta.url)), "..", "..");

describe("wrangler.toml [observability]", () => {
  const { observability } = unstable_readConfig({ config: join(ROOT, "wrangler.toml") });

  it("keeps Workers Logs for the access log, without the platform's invocation logs", () => {
    expect(observability).toMatchObject({ enabled: true, logs: { enabled: true, invocation_logs: false } });
  });

  it("turns traces off", () => {
    expect(observability?.traces?.enabled).toBe(false);
  });

  it("removes query strings from the URLs the platform records", () => {
    expect(observability?.redact_query_string).toBe(true);
  });
});
