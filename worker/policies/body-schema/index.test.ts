import { describe, expect, it } from "vitest";
import type { Handler } from "hono";
import type { AppEnv } from "../../env";
import { forwardedBody } from "../../http/body";
import { testApp } from "../test-app.test-helper";
import { requestValidator, type RequestValidatorOptions } from "./index";

const USER_SCHEMA = {
  type: "object",
  required: ["user"],
  properties: {
    user: {
      type: "object",
      required: ["email"],
      properties: {
        email: { type: "string", format: "email" },
        age: { type: "integer", minimum: 0 },
        "a/b": { type: "string" },
        "x y": { type: "string" },
      },
      additionalProperties: false,
    },
    tags: { type: "array", items: { $ref: "#/$defs/tag" } },
  },
  $defs: { tag: { type: "string", maxLength: 10 } },
};

/** The fake upstream echoes the body the proxy would forward (forwardedBody), so tests see it. */
const echo: Handler<AppEnv> = async (c) => c.text(await new Response(forwardedBody(c)).text());

function app(options: Partial<RequestValidatorOptions> = {}) {
  return testApp([requestValidator({ schema: USER_SCHEMA, methods: ["POST", "PUT", "PATCH"], ...options })], echo);
}

function send(body: BodyInit | null, { method = "POST", type = "application/json" }: { method?: string; type?: string | null } = {}) {
  const headers = type === null ? undefined : { "content-type": type };
  return app().fetch(new Request("http://gw.test/users", { method, body, headers }));
}

async function issuesOf(response: Response) {
  expect(response.status).toBe(400);
  const body = (await response.json()) as { error: string; issues: { path: string; message: string }[] };
  expect(body.error).toBe("validation_failed");
  return body.issues;
}

describe("valid bodies", () => {
  it("forwards exactly the bytes it validated", async () => {
    const text = '{ "user": { "email": "ada@example.com", "age": 36 }, "tags": ["x"] }';
    const response = await send(text);
    expect(response.status).toBe(200);
    expect(await response.text()).toBe(text);
  });

  it("lets a second validator on the route check the same body, and forwards it once", async () => {
    const second = requestValidator({ schema: { type: "object", required: ["tags"] }, methods: ["POST"] });
    const both = testApp([requestValidator({ schema: USER_SCHEMA, methods: ["POST"] }), second], echo);
    const post = (body: string) =>
      both.fetch(new Request("http://gw.test/users", { method: "POST", body, headers: { "content-type": "application/json" } }));
    const text = '{ "user": { "email": "ada@example.com" }, "tags": ["x"] }';
    const response = await post(text);
    expect(response.status).toBe(200);
    expect(await response.text()).toBe(text);
    // Valid for the first schema, refused by the second.
    expect(await issuesOf(await post('{ "user": { "email": "ada@example.com" } }'))).toEqual([
      { path: "", message: expect.stringContaining("tags") },
    ]);
  });

  it.each(["application/json; charset=utf-8", "application/merge-patch+json", "Application/JSON"])(
    "accepts Content-Type %s",
    async (type) => {
      expect((await send('{"user":{"email":"ada@example.com"}}', { type })).status).toBe(200);
    },
  );

  it("does not look at methods outside `methods`", async () => {
    const response = await app().fetch(
      new Request("http://gw.test/users", { method: "DELETE", body: "not json", headers: { "content-type": "text/plain" } }),
    );
    expect(response.status).toBe(200);
    expect(await response.text()).toBe("not json");
    expect((await app().request("http://gw.test/users")).status).toBe(200);
  });
});

describe("refusals", () => {
  it.each([["text/plain"], ["application/jsonx"], ["multipart/form-data; boundary=x"], [null]])(
    "refuses Content-Type %s with 415",
    async (type) => {
      const response = await send('{"user":{"email":"ada@example.com"}}', { type });
      expect(response.status).toBe(415);
      expect(await response.json()).toMatchObject({ error: "unsupported_media_type" });
    },
  );

  it.each([
    ["malformed JSON", "{ user: "],
    ["an empty body", ""],
    ["invalid UTF-8", new Uint8Array([0x7b, 0x22, 0xff, 0x22, 0x3a, 0x31, 0x7d])],
  ])("refuses %s with 400 invalid_json", async (_name, body) => {
    const response = await send(body);
    expect(response.status).toBe(400);
    expect(await response.json()).toMatchObject({ error: "invalid_json" });
  });

  it("refuses a property name with an unpaired surrogate as a 400, not a 500", async () => {
    const response = await send('{"user":{"email":"ada@example.com","\\ud800":"x"}}');
    expect(response.status).toBe(400);
    expect(await response.json()).toMatchObject({ error: "invalid_json" });
  });

  it("lists the failures with JSON Pointer paths", async () => {
    const issues = await issuesOf(
      await send(JSON.stringify({ user: { email: 5, age: -1, "a/b": 1, "x y": 2, extra: true }, tags: ["ok", "far too long a tag"] })),
    );
    expect(issues).toEqual([
      { path: "/user/email", message: expect.stringContaining('Expected "string"') },
      { path: "/user/age", message: expect.stringContaining("less than") },
      { path: "/user/a~1b", message: expect.any(String) },
      { path: "/user/x y", message: expect.any(String) },
      { path: "/user", message: expect.stringContaining('"extra"') },
      { path: "/user/extra", message: "No value is allowed here." },
      { path: "/tags/1", message: expect.stringContaining("too long") },
    ]);
  });

  it("reports a missing required property at its parent", async () => {
    expect(await issuesOf(await send("{}"))).toEqual([{ path: "", message: expect.stringContaining('"user"') }]);
    expect(await issuesOf(await send('{"user":{}}'))).toEqual([{ path: "/user", message: expect.stringContaining('"email"') }]);
  });

  it("checks formats", async () => {
    expect(await issuesOf(await send('{"user":{"email":"not an address"}}'))).toEqual([
      { path: "/user/email", message: expect.stringContaining("email") },
    ]);
  });

  it("returns at most 20 issues", async () => {
    const tags = Array.from({ length: 50 }, () => "x".repeat(20));
    expect(await issuesOf(await send(JSON.stringify({ user: { email: "ada@example.com" }, tags })))).toHaveLength(20);
  });
});

describe("the factory", () => {
  it.each([
    ["an unknown type", { type: "strnig" }],
    ["a negative minLength", { type: "string", minLength: -1 }],
    ["required that is not a list", { required: "email" }],
    ["a pattern that is not a regular expression", { type: "string", pattern: "([a-z]" }],
    ["a patternProperties key that is not a regular expression", { patternProperties: { "([": {} } }],
    ["a number", 5],
    ["null", null],
    ["a $ref that does not resolve", { $ref: "#/$defs/missing" }],
    ["a remote $ref", { $ref: "https://schemas.example.com/user.json" }],
    ["$dynamicRef", { $dynamicRef: "#meta" }],
    ["another draft", { $schema: "http://json-schema.org/draft-07/schema#", type: "object" }],
  ])("refuses %s", (_name, schema) => {
    expect(() => requestValidator({ schema, methods: ["POST"] })).toThrow(/request-validator/);
  });

  it("names the keyword at fault", () => {
    expect(() => requestValidator({ schema: { properties: { a: { items: [{}] } } }, methods: ["POST"] })).toThrow(
      /at \/properties\/a\/items: /,
    );
  });

  it("refuses GET and HEAD in methods: they carry no body", () => {
    expect(() => requestValidator({ schema: {}, methods: ["POST", "GET"] })).toThrow(/GET/);
  });

  it("accepts boolean schemas and an explicit 2020-12 $schema", async () => {
    const reject = testApp([requestValidator({ schema: false, methods: ["POST"] })], echo);
    expect(
      (await reject.request("http://gw.test/", { method: "POST", body: "{}", headers: { "content-type": "application/json" } })).status,
    ).toBe(400);
    expect(() => requestValidator({ schema: true, methods: ["POST"] })).not.toThrow();
    expect(() =>
      requestValidator({ schema: { $schema: "https://json-schema.org/draft/2020-12/schema", type: "object" }, methods: ["POST"] }),
    ).not.toThrow();
  });

  it("leaves the schema it was given untouched", () => {
    const schema = structuredClone(USER_SCHEMA);
    requestValidator({ schema, methods: ["POST"] });
    expect(Object.getOwnPropertyNames(schema)).toEqual(Object.getOwnPropertyNames(USER_SCHEMA));
    expect(Object.getOwnPropertyNames(schema.properties.tags.items)).toEqual(["$ref"]);
  });
});
