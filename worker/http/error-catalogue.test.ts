import { describe, expect, it } from "vitest";
import readme from "../../README.md?raw";
import { httpError, methodNotAllowed, retryLater } from "./errors";
import { ERROR_CATALOGUE, ERROR_CODES as codes } from "./error-catalogue";

/** README's table of error codes, as the catalogue says it should read. */
function errorTable(): string {
  const escape = (text: string) => text.replaceAll("|", "\\|");
  return [
    "| code | status | default message |",
    "|---|---|---|",
    ...codes.map((code) => `| \`${code}\` | ${ERROR_CATALOGUE[code].status} | ${escape(ERROR_CATALOGUE[code].message)} |`),
  ].join("\n");
}

describe("the error catalogue", () => {
  it("is README's table of error codes, row for row", () => {
    const block = /<!-- error-codes:start -->\n([\s\S]*?)\n<!-- error-codes:end -->/.exec(readme);
    expect(block, "README.md has the <!-- error-codes:start --> … <!-- error-codes:end --> block").not.toBeNull();
    expect(block![1]).toBe(errorTable());
  });

  it("names codes as snake_case words, each once", () => {
    for (const code of codes) expect(code).toMatch(/^[a-z]+(?:_[a-z]+)*$/);
  });

  it("gives a thrown error its status, its default message unless the call site says more, and the request id", async () => {
    const error = httpError("no_route");
    expect(error.status).toBe(404);
    const response = error.getResponse("req-1");
    expect(response.headers.get("Content-Type")).toBe("application/json; charset=utf-8");
    expect(response.headers.get("Cache-Control")).toBe("no-store");
    expect(await response.json()).toEqual({ error: "no_route", message: "No route matches this request.", request_id: "req-1" });
    expect(await httpError("payload_too_large", "at most 1024 bytes").getResponse("req-2").json()).toMatchObject({
      message: "at most 1024 bytes",
    });
  });

  it("keeps the extras: headers, allow, retry_after, issues", async () => {
    const refused = methodNotAllowed("GET only", ["GET", "HEAD"]).getResponse("req-3");
    expect(refused.status).toBe(405);
    expect(refused.headers.get("Allow")).toBe("GET, HEAD");
    expect(await refused.json()).toMatchObject({ allow: ["GET", "HEAD"], request_id: "req-3" });

    const later = retryLater("rate_limited", "too many requests; retry in 3 s", 3, { "RateLimit-Policy": "p" }).getResponse("req-4");
    expect(later.status).toBe(429);
    expect(later.headers.get("Retry-After")).toBe("3");
    expect(later.headers.get("RateLimit-Policy")).toBe("p");
    expect(await later.json()).toMatchObject({ retry_after: 3 });

    const issues = [{ path: "routes", message: "expected an array" }];
    expect(await httpError("invalid_config", "1 problem", { extra: { issues } }).getResponse().json()).toEqual({
      error: "invalid_config",
      message: "1 problem",
      issues,
    });
  });

  it("does not compile a code it does not hold, nor a wait for a code that is no 429 or 503", () => {
    // @ts-expect-error: not in the catalogue
    expect(() => httpError("no_such_code")).toThrow();
    // @ts-expect-error: 404 asks nobody to come back later
    expect(retryLater("no_route", "later", 1).status).toBe(404);
  });
});
