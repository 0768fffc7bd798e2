/**
 * Bodies read for validation are bounded without body_limit (413), and JSON naming a member
 * twice is refused (400 duplicate_key, RFC 8259 §4, RFC 7493 §2.3), at any depth and after
 * unescaping.
 */
import { describe, expect, it } from "vitest";
import type { Handler } from "hono";
import type { AppEnv } from "../../env";
import { forwardedBody } from "../../http/body";
import { testApp } from "../test-app.test-helper";
import { hasDuplicateKey } from "../../http/duplicate-keys";
import { requestValidator } from "./index";
import { DEFAULT_MAX_BODY_SIZE } from "../../http/schema-kit/defaults";

const echo: Handler<AppEnv> = async (c) => c.text(await new Response(forwardedBody(c)).text());

function post(body: BodyInit, { maxBodySize, headers = {} }: { maxBodySize?: number; headers?: Record<string, string> } = {}) {
  const app = testApp([requestValidator({ schema: { type: "object" }, methods: ["POST"], maxBodySize })], echo);
  return app.fetch(new Request("http://gw.test/r", { method: "POST", body, headers: { "content-type": "application/json", ...headers } }));
}

/** A JSON object of exactly `bytes` bytes. */
const objectOf = (bytes: number) => `{"a":"${"x".repeat(bytes - 8)}"}`;

/** A body stream without Content-Length (chunked), in 64 KiB chunks. */
function chunked(text: string): ReadableStream<Uint8Array> {
  const bytes = new TextEncoder().encode(text);
  let offset = 0;
  return new ReadableStream({
    pull(controller) {
      if (offset >= bytes.length) return controller.close();
      controller.enqueue(bytes.slice(offset, (offset += 65_536)));
    },
  });
}

async function expectRefused(response: Response, status: number, code: string) {
  expect(response.status).toBe(status);
  expect(await response.json()).toMatchObject({ error: code });
}

describe("bodies are bounded without body_limit", () => {
  it("validates a body of exactly the default 1 MiB", async () => {
    expect(objectOf(DEFAULT_MAX_BODY_SIZE)).toHaveLength(DEFAULT_MAX_BODY_SIZE);
    expect((await post(objectOf(DEFAULT_MAX_BODY_SIZE))).status).toBe(200);
  });

  it("refuses a declared length over 1 MiB with 413, and a chunked body as soon as it passes 1 MiB", async () => {
    await expectRefused(await post(objectOf(DEFAULT_MAX_BODY_SIZE + 1)), 413, "payload_too_large");
    await expectRefused(await post(chunked(objectOf(DEFAULT_MAX_BODY_SIZE + 1))), 413, "payload_too_large");
    expect((await post(chunked(objectOf(DEFAULT_MAX_BODY_SIZE)))).status).toBe(200);
  });

  it("refuses before reading when Content-Length is over the configured max_body_size", async () => {
    const body = chunked(objectOf(200));
    const response = await testApp([requestValidator({ schema: {}, methods: ["POST"], maxBodySize: 100 })], echo).fetch(
      new Request("http://gw.test/r", { method: "POST", body, headers: { "content-type": "application/json", "content-length": "200" } }),
    );
    await expectRefused(response, 413, "payload_too_large");
  });

  it("holds a body another validator already read to this validator's own max_body_size", async () => {
    const both = testApp(
      [requestValidator({ schema: {}, methods: ["POST"] }), requestValidator({ schema: {}, methods: ["POST"], maxBodySize: 100 })],
      echo,
    );
    const send = (text: string) =>
      both.fetch(new Request("http://gw.test/r", { method: "POST", body: text, headers: { "content-type": "application/json" } }));
    expect((await send(objectOf(100))).status).toBe(200);
    await expectRefused(await send(objectOf(101)), 413, "payload_too_large");
  });

  it("forwards a body within max_body_size whole", async () => {
    const text = objectOf(100);
    const response = await post(chunked(text), { maxBodySize: 100 });
    expect(response.status).toBe(200);
    expect(await response.text()).toBe(text);
    await expectRefused(await post(chunked(objectOf(101)), { maxBodySize: 100 }), 413, "payload_too_large");
  });
});

describe("duplicate member names", () => {
  it.each([
    ['{"a":1,"a":2}', "at the top"],
    ['{"x":{"role":"user","role":"admin"}}', "nested"],
    ['[{"ok":1},{"b":1,"c":2,"b":3}]', "in an array"],
    ['{"a":[[[{"z":{"k":1,"k":1}}]]]}', "deep"],
    ['{"a":1,"\\u0061":2}', "equal after unescaping"],
    ['{"\\u0072ole":"user","r\\u006fle":"admin"}', "both escaped differently"],
    ['{"a\\"b":1,"a\\u0022b":2}', "with an escaped quote"],
    ['{"\\/":1,"/":2}', "with an escaped slash"],
    ['{"é":1,"\\u00e9":2}', "non-ASCII"],
    ['{"😀":1,"\\ud83d\\ude00":2}', "a surrogate pair"],
    ['{ "a" : 1 , "a"\n:\t2 }', "with whitespace"],
    ['{"a\\\\":1,"a\\\\":2}', "ending in an escaped backslash"],
    ['{"k\\\\\\"":1,"k\\\\\\u0022":2}', "backslashes before an escaped quote"],
  ])("finds %s (%s)", async (text) => {
    expect(hasDuplicateKey(text)).toBe(true);
    await expectRefused(await post(text), 400, "duplicate_key");
  });

  it.each([
    ['{"a":1,"b":{"a":2}}', "the same name in different objects"],
    ['{"a":"a","b":["a","a"]}', "values equal to a name"],
    ['{"a":"x\\":1,\\"a\\":2"}', "a name inside a string value"],
    ['{"a\\\\":1,"a":2}', "an escaped backslash"],
    ['{"A":1,"a":2}', "names differing in case"],
    ['[{"a":1},{"a":2}]', "sibling objects"],
    ['{"":1,"a":{"":2}}', "empty names at two depths"],
    ['"{\\"a\\":1,\\"a\\":2}"', "a string that looks like an object"],
    ["[1,2,3]", "no object at all"],
    ['{"a":"\\\\","b":"\\\\\\"","c":{"a":"\\\\"}}', "values ending in backslashes"],
  ])("admits %s (%s)", async (text) => {
    expect(hasDuplicateKey(text)).toBe(false);
    const response = await testApp([requestValidator({ schema: {}, methods: ["POST"] })], echo).fetch(
      new Request("http://gw.test/r", { method: "POST", body: text, headers: { "content-type": "application/json" } }),
    );
    expect(response.status).toBe(200);
    expect(await response.text()).toBe(text);
  });

  it("ends on text that is not JSON instead of looping", () => {
    expect(hasDuplicateKey('{"a":"\\"}')).toBe(false);
    expect(hasDuplicateKey('{"a')).toBe(false);
  });

  it("is not fooled by many names: one duplicate among 10 000 is found", () => {
    const members = Array.from({ length: 10_000 }, (_, i) => `"k${i}":${i}`);
    expect(hasDuplicateKey(`{${members.join(",")}}`)).toBe(false);
    expect(hasDuplicateKey(`{${members.join(",")},"k4711":0}`)).toBe(true);
  });
});
