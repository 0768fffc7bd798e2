import { describe, expect, it, vi } from "vitest";
import type { ProviderApi } from "./shape";
import {
  ANTHROPIC_STREAM,
  OPENAI_CHAT_STREAM_WITH_USAGE,
  OPENAI_CHAT_STREAM_WITHOUT_USAGE,
  OPENAI_RESPONSES_STREAM,
} from "./streams.test-data";
import { StreamUsageMeter, usageFromResponse, withIncludeUsage } from "./usage";

function meter(api: ProviderApi, stream: string, chunkSize = 7): StreamUsageMeter {
  const usageMeter = new StreamUsageMeter(api);
  const bytes = new TextEncoder().encode(stream);
  for (let start = 0; start < bytes.length; start += chunkSize) usageMeter.push(bytes.subarray(start, start + chunkSize));
  usageMeter.end();
  return usageMeter;
}

describe("StreamUsageMeter", () => {
  it("reads Chat Completions' final usage chunk", () => {
    const usageMeter = meter("openai-chat", OPENAI_CHAT_STREAM_WITH_USAGE);
    expect(usageMeter.usage).toEqual({ inputTokens: 9, outputTokens: 12 });
    expect(usageMeter.complete).toBe(true);
  });

  it("reports nothing for a Chat Completions stream without usage (the caller charges the reservation)", () => {
    const usageMeter = meter("openai-chat", OPENAI_CHAT_STREAM_WITHOUT_USAGE);
    expect(usageMeter.usage).toBeUndefined();
    expect(usageMeter.complete).toBe(false);
  });

  it("reads Anthropic's message_start input (cache reads and writes included) and message_delta output", () => {
    const usageMeter = meter("anthropic-messages", ANTHROPIC_STREAM);
    expect(usageMeter.usage).toEqual({ inputTokens: 175, outputTokens: 15 });
    expect(usageMeter.complete).toBe(true);
  });

  it("keeps what an Anthropic stream cut after message_start reported, not complete", () => {
    const usageMeter = meter("anthropic-messages", ANTHROPIC_STREAM.slice(0, ANTHROPIC_STREAM.indexOf("event: message_delta")));
    expect(usageMeter.usage).toEqual({ inputTokens: 175, outputTokens: 1 });
    expect(usageMeter.complete).toBe(false);
  });

  it("takes the input counts a message_delta repeats", () => {
    const usageMeter = meter(
      "anthropic-messages",
      'event: message_delta\ndata: {"type":"message_delta","usage":{"input_tokens":30,"cache_read_input_tokens":5,"output_tokens":9}}\n\n',
    );
    expect(usageMeter.usage).toEqual({ inputTokens: 35, outputTokens: 9 });
  });

  it("reads Responses' response.completed usage, not response.created's null", () => {
    const usageMeter = meter("openai-responses", OPENAI_RESPONSES_STREAM);
    expect(usageMeter.usage).toEqual({ inputTokens: 37, outputTokens: 11 });
    expect(usageMeter.complete).toBe(true);
  });

  it("parses only the events that carry a usage object, not the deltas nor `usage: null` chunks", () => {
    const parse = vi.spyOn(JSON, "parse");
    try {
      meter("openai-chat", OPENAI_CHAT_STREAM_WITH_USAGE);
      expect(parse).toHaveBeenCalledTimes(1);
      parse.mockClear();
      meter("openai-responses", OPENAI_RESPONSES_STREAM);
      expect(parse).toHaveBeenCalledTimes(1);
      parse.mockClear();
      meter("anthropic-messages", ANTHROPIC_STREAM);
      expect(parse).toHaveBeenCalledTimes(2);
    } finally {
      parse.mockRestore();
    }
  });

  it("reads the usage at the end of a long stream in small chunks", () => {
    const delta = 'data: {"id":"c","object":"chat.completion.chunk","choices":[{"index":0,"delta":{"content":"token "}}],"usage":null}\n\n';
    const usageMeter = meter("openai-chat", delta.repeat(20_000) + OPENAI_CHAT_STREAM_WITH_USAGE, 1000);
    expect(usageMeter.usage).toEqual({ inputTokens: 9, outputTokens: 12 });
  });

  it("ignores malformed events and usage of the wrong shape without throwing", () => {
    const stream =
      'data: {"usage": \n\ndata: [1,"usage"]\n\ndata: {"usage":{"prompt_tokens":"9","completion_tokens":1}}\n\ndata: {"usage":{"prompt_tokens":-1,"completion_tokens":1}}\n\n';
    for (const api of ["openai-chat", "anthropic-messages", "openai-responses", "openai-embeddings"] as const) {
      expect(meter(api, stream).usage).toBeUndefined();
      expect(meter(api, stream).complete).toBe(false);
    }
  });
});

describe("usageFromResponse", () => {
  it("reads each API's usage object", () => {
    expect(
      usageFromResponse("openai-chat", {
        id: "chatcmpl-1",
        object: "chat.completion",
        choices: [],
        usage: { prompt_tokens: 19, completion_tokens: 10, total_tokens: 29 },
      }),
    ).toEqual({ inputTokens: 19, outputTokens: 10 });
    expect(usageFromResponse("openai-embeddings", { object: "list", data: [], usage: { prompt_tokens: 8, total_tokens: 8 } })).toEqual({
      inputTokens: 8,
      outputTokens: 0,
    });
    expect(
      usageFromResponse("openai-responses", { id: "resp_1", usage: { input_tokens: 36, output_tokens: 87, total_tokens: 123 } }),
    ).toEqual({ inputTokens: 36, outputTokens: 87 });
    expect(
      usageFromResponse("anthropic-messages", {
        id: "msg_1",
        type: "message",
        usage: { input_tokens: 2095, output_tokens: 503, cache_read_input_tokens: 1000, cache_creation_input_tokens: null },
      }),
    ).toEqual({ inputTokens: 3095, outputTokens: 503 });
  });

  it("is undefined without a usage of the right shape", () => {
    for (const body of [
      null,
      "x",
      [],
      {},
      { usage: null },
      { usage: { prompt_tokens: 1 } },
      { usage: { prompt_tokens: 1.5, completion_tokens: 1 } },
    ])
      expect(usageFromResponse("openai-chat", body)).toBeUndefined();
    expect(usageFromResponse("anthropic-messages", { usage: { prompt_tokens: 1, completion_tokens: 1 } })).toBeUndefined();
  });
});

describe("withIncludeUsage", () => {
  it("adds stream_options.include_usage to a streamed request without it, keeping the other options", () => {
    const body = { model: "gpt-4o", stream: true, messages: [{ role: "user", content: "hi" }] };
    const result = withIncludeUsage(body);
    expect(result).toEqual({ body: { ...body, stream_options: { include_usage: true } }, added: true });
    expect(body).not.toHaveProperty("stream_options");
    expect(withIncludeUsage({ stream: true, stream_options: { include_obfuscation: false } }).body).toEqual({
      stream: true,
      stream_options: { include_obfuscation: false, include_usage: true },
    });
    expect(withIncludeUsage({ stream: true, stream_options: { include_usage: false } })).toEqual({
      body: { stream: true, stream_options: { include_usage: true } },
      added: true,
    });
    expect(JSON.stringify(withIncludeUsage({ stream: true, stream_options: null, n: 1 }).body)).toBe(
      '{"stream":true,"stream_options":{"include_usage":true},"n":1}',
    );
  });

  it("returns the body itself when it already asks for usage, does not stream, or is not an object", () => {
    for (const body of [
      { stream: true, stream_options: { include_usage: true } },
      { stream: false },
      {},
      { stream: "true" },
      null,
      [],
      "x",
    ])
      expect(withIncludeUsage(body)).toEqual({ body, added: false });
  });
});
