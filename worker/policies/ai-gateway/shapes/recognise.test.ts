import { describe, expect, it } from "vitest";
import { CORPUS } from "./corpus.test-data";
import { apiOfPath, recognise } from "./recognise";
import type { RecognisedRequest } from "./shape";

function recognised(path: string, body: unknown): RecognisedRequest {
  const result = recognise(path, body);
  if (result.api === "unknown") throw new Error(`unknown: ${result.reason}`);
  return result;
}

describe("apiOfPath", () => {
  it.each([
    ["/v1/messages", "anthropic-messages"],
    ["/ai/anthropic/v1/messages", "anthropic-messages"],
    ["/v1/chat/completions", "openai-chat"],
    ["/ai/v1/chat/completions?x=1", "openai-chat"],
    ["/openai/deployments/gpt-4o/chat/completions?api-version=2024-10-21", "openai-chat"],
    ["/ai/openai/deployments/gpt-4o/chat/completions", "openai-chat"],
    ["/v1/responses", "openai-responses"],
    ["/openai/v1/responses", "openai-responses"],
    ["/openai/responses?api-version=2025-04-01-preview", "openai-responses"],
    ["/v1/embeddings", "openai-embeddings"],
    ["/openai/deployments/embed/embeddings?api-version=2024-10-21", "openai-embeddings"],
  ])("%s is %s", (path, api) => expect(apiOfPath(path)).toBe(api));

  it.each([
    "/",
    "",
    "/messages",
    "/chat/completions",
    "/v1/messages/count_tokens",
    "/v1/messages/",
    "/v1/chat/completions/",
    "/V1/messages",
    "/v1/chat%2Fcompletions",
    "/v1/completions",
    "/v1/responses/resp_123",
    "/v1/embeddings/x",
    "/openai/deployments//chat/completions",
    "/deployments/d/chat/completions",
    "/openai/deployments/d/completions",
    "/embeddings",
    "/x?/v1/messages",
  ])("%s is none", (path) => expect(apiOfPath(path)).toBeUndefined());
});

describe("recognise", () => {
  it("refuses a path it does not know and a body that is not an object, whatever the JSON", () => {
    expect(recognise("/v1/other", { messages: [] })).toEqual({
      api: "unknown",
      reason: "the path is not a provider API the edge understands",
    });
    for (const body of [null, undefined, 1, "text", true, [], [{}]])
      expect(recognise("/v1/messages", body)).toEqual({ api: "unknown", reason: "the body is not a JSON object" });
  });

  it("says where the body is not understood, without its texts", () => {
    const result = recognise("/v1/messages", {
      model: "m",
      max_tokens: 1,
      messages: [{ role: "user", content: [{ type: "video", secret: "s3cr3t" }] }],
    });
    expect(result).toEqual({ api: "unknown", reason: "messages.0.content.0.type is not a block type the edge understands here" });
  });

  it("gives each slot its path, role and kind (Anthropic)", () => {
    const result = recognised("/v1/messages", {
      model: "claude-sonnet-4-5",
      max_tokens: 64,
      system: "Be brief.",
      messages: [
        {
          role: "user",
          content: [
            { type: "text", text: "Summarise:" },
            { type: "document", source: { type: "text", media_type: "text/plain", data: "Doc." } },
          ],
        },
        { role: "assistant", content: [{ type: "tool_use", id: "t", name: "f", input: { q: ["a"] } }] },
        { role: "user", content: [{ type: "tool_result", tool_use_id: "t", content: "out" }] },
      ],
    });
    expect(result.texts).toEqual([
      { path: ["system"], role: "system", kind: "instructions", text: "Be brief." },
      { path: ["messages", 0, "content", 0, "text"], role: "user", kind: "message", text: "Summarise:" },
      { path: ["messages", 0, "content", 1, "source", "data"], role: "user", kind: "document", text: "Doc." },
      { path: ["messages", 1, "content", 0, "input", "q", 0], role: "assistant", kind: "tool_call", text: "a" },
      { path: ["messages", 2, "content", 0, "content"], role: "user", kind: "tool_output", text: "out" },
    ]);
    expect(result).toMatchObject({ model: "claude-sonnet-4-5", maxOutputTokens: 64, completions: 1, stream: false });
  });

  it("gives each slot its path, role and kind (Chat Completions, Responses, Embeddings)", () => {
    const chat = recognised("/v1/chat/completions", {
      model: "gpt-4o",
      messages: [
        { role: "developer", content: "Rules." },
        { role: "user", name: "bob", content: [{ type: "text", text: "Hi" }] },
        { role: "tool", tool_call_id: "c", content: "42" },
      ],
    });
    expect(chat.texts).toEqual([
      { path: ["messages", 0, "content"], role: "developer", kind: "instructions", text: "Rules." },
      { path: ["messages", 1, "name"], role: "user", kind: "name", text: "bob" },
      { path: ["messages", 1, "content", 0, "text"], role: "user", kind: "message", text: "Hi" },
      { path: ["messages", 2, "content"], role: "tool", kind: "tool_output", text: "42" },
    ]);
    const responses = recognised("/v1/responses", {
      model: "gpt-4.1",
      instructions: "Rules.",
      input: [{ type: "function_call_output", call_id: "c", output: "42" }],
    });
    expect(responses.texts).toEqual([
      { path: ["instructions"], role: "system", kind: "instructions", text: "Rules." },
      { path: ["input", 0, "output"], role: "tool", kind: "tool_output", text: "42" },
    ]);
    const embeddings = recognised("/v1/embeddings", { model: "text-embedding-3-small", input: ["a", [1, 2]] });
    expect(embeddings.texts).toEqual([{ path: ["input", 0], kind: "embedding_input", text: "a" }]);
    expect(embeddings.opaque).toEqual([{ path: ["input", 1], type: "token_array" }]);
    expect(embeddings.stream).toBe(false);
  });

  it("reads the largest output limit, n and stream; null counts as absent", () => {
    expect(
      recognised("/v1/chat/completions", { model: "m", messages: [], max_tokens: 100, max_completion_tokens: 150, n: 3, stream: true }),
    ).toMatchObject({
      maxOutputTokens: 150,
      completions: 3,
      stream: true,
    });
    expect(recognised("/v1/chat/completions", { model: "m", messages: [], max_tokens: 900, max_completion_tokens: null })).toMatchObject({
      maxOutputTokens: 900,
      completions: 1,
    });
    const none = recognised("/v1/chat/completions", { messages: [], stream: null, n: null });
    expect(none).toMatchObject({ completions: 1, stream: false });
    expect(none.maxOutputTokens).toBeUndefined();
    expect(none.model).toBeUndefined();
    expect(recognised("/v1/responses", { model: "m", input: "x", max_output_tokens: 77 }).maxOutputTokens).toBe(77);
    expect(recognised("/v1/messages", { model: "m", max_tokens: 0, messages: [] }).maxOutputTokens).toBe(0);
  });

  it("keeps a `__proto__` prompt variable as an ordinary name", () => {
    const body = JSON.parse('{"model":"m","prompt":{"id":"p","variables":{"__proto__":"x","constructor":"y"}}}');
    expect(recognised("/v1/responses", body).texts.map((slot) => slot.path)).toEqual([
      ["prompt", "variables", "__proto__"],
      ["prompt", "variables", "constructor"],
    ]);
  });

  it("never throws on a wrong type at any level of any corpus body", () => {
    const wrongValues: unknown[] = [null, 0, -1, 1.5, "s", true, [], {}, [null], [[]], { type: "text" }];
    let variants = 0;
    for (const entry of CORPUS) {
      for (const path of pathsOf(entry.body)) {
        for (const wrong of wrongValues) {
          const mutated = replacedAt(entry.body, path, wrong);
          const result = recognise(entry.path, mutated);
          expect(["unknown", "anthropic-messages", "openai-chat", "openai-responses", "openai-embeddings"]).toContain(result.api);
          variants++;
        }
      }
    }
    expect(variants).toBeGreaterThan(5000);
  });

  it("reads a 1 MB text and 10 000 messages", () => {
    const big = "word ".repeat(200_000);
    expect(recognised("/v1/messages", { model: "m", max_tokens: 1, messages: [{ role: "user", content: big }] }).texts[0]!.text).toBe(big);
    const messages = Array.from({ length: 10_000 }, (_, index) => ({
      role: index % 2 === 0 ? "user" : "assistant",
      content: [{ type: "text", text: `turn ${index}` }],
    }));
    const result = recognised("/v1/chat/completions", { model: "m", messages });
    expect(result.texts).toHaveLength(10_000);
    expect(result.texts[9_999]).toEqual({
      path: ["messages", 9_999, "content", 0, "text"],
      role: "assistant",
      kind: "message",
      text: "turn 9999",
    });
  });

  it("refuses a tool input nested too deeply rather than overflow the stack or the memory", () => {
    let input: unknown = "leaf";
    for (let depth = 0; depth < 100_000; depth++) input = [input];
    const body = {
      model: "m",
      max_tokens: 1,
      messages: [{ role: "assistant", content: [{ type: "tool_use", id: "t", name: "f", input }] }],
    };
    expect(recognise("/v1/messages", body)).toEqual({ api: "unknown", reason: "messages.0.content.0.input is nested too deeply" });
    let shallow: unknown = "leaf";
    for (let depth = 0; depth < 32; depth++) shallow = { a: shallow };
    const ok = recognised("/v1/messages", {
      ...body,
      messages: [{ role: "assistant", content: [{ type: "tool_use", id: "t", name: "f", input: shallow }] }],
    });
    expect(ok.texts[0]!.path).toHaveLength(5 + 32);
  });
});

/** Every path to a value of a JSON value (not the root). */
function pathsOf(root: unknown): (string | number)[][] {
  const paths: (string | number)[][] = [];
  const walk = (value: unknown, path: (string | number)[]) => {
    if (path.length > 0) paths.push(path);
    if (Array.isArray(value)) value.forEach((child, index) => walk(child, [...path, index]));
    else if (typeof value === "object" && value !== null) for (const [key, child] of Object.entries(value)) walk(child, [...path, key]);
  };
  walk(root, []);
  return paths;
}

function replacedAt(root: unknown, path: (string | number)[], value: unknown): unknown {
  const copy = structuredClone(root) as Record<string | number, unknown>;
  let parent = copy;
  for (const key of path.slice(0, -1)) parent = parent[key] as Record<string | number, unknown>;
  parent[path.at(-1)!] = value;
  return copy;
}

describe("recognise: where each block type is accepted (Anthropic)", () => {
  const withContent = (content: unknown) => ({ model: "m", max_tokens: 1, messages: [{ role: "user", content }] });
  it.each([
    [
      "a tool_use inside a tool_result",
      [{ type: "tool_result", tool_use_id: "t", content: [{ type: "tool_use", id: "u", name: "f", input: {} }] }],
    ],
    [
      "a document inside a document",
      [{ type: "document", source: { type: "content", content: [{ type: "document", source: { type: "text", data: "x" } }] } }],
    ],
    ["an image in a search result", [{ type: "search_result", source: "s", title: "t", content: [{ type: "image", source: {} }] }]],
    ["a search result whose content is a string", [{ type: "search_result", source: "s", title: "t", content: "x" }]],
    ["a block type that is an object's own key", [{ type: "constructor" }]],
  ])("refuses %s", (_, content) => expect(recognise("/v1/messages", withContent(content)).api).toBe("unknown"));

  it("ignores a stream field of an Embeddings body (the API has no stream mode)", () => {
    expect(recognised("/v1/embeddings", { model: "m", input: "x", stream: true }).stream).toBe(false);
  });
});
