import { describe, expect, it } from "vitest";
import { detectPii, maskText } from "../pii";
import { SseParser, type ProviderApi } from "../shapes";
import { compileAiChecks, type AiCheckEvent, type ResponseMasker } from "./index";
import { MAX_OPEN_TEXTS, SseTextMasker } from "./response-stream";

const EMAIL = "jane.doe@example.com";
const PHONE = "+44 20 7946 0958";
const masker = (action: "mask" | "block" | "log" = "mask"): ResponseMasker =>
  compileAiChecks({ pii: { action, responses: true } }).responseMasker()!;
const maskedWhole = (text: string) => maskText(text, detectPii(text));

describe("responseMasker", () => {
  it("is there only when PII checks cover responses", () => {
    expect(compileAiChecks({}).responseMasker()).toBeUndefined();
    expect(compileAiChecks({ pii: { action: "mask", responses: false } }).responseMasker()).toBeUndefined();
    expect(masker()).toBeDefined();
  });
});

describe("maskJson", () => {
  const chat = {
    id: "chatcmpl-1",
    object: "chat.completion",
    model: "gpt-4o-mini",
    choices: [
      {
        index: 0,
        message: { role: "assistant", content: `Write to ${EMAIL}.`, refusal: null },
        logprobs: { content: [{ token: "jane", logprob: -0.1 }] },
        finish_reason: "stop",
      },
      { index: 1, message: { role: "assistant", content: "Nothing here." }, finish_reason: "stop" },
    ],
    usage: { prompt_tokens: 9, completion_tokens: 12, total_tokens: 21 },
  };
  const anthropic = {
    id: "msg_1",
    type: "message",
    role: "assistant",
    content: [
      { type: "text", text: `Call ${PHONE} or mail ${EMAIL}` },
      { type: "tool_use", id: "t1", name: "lookup", input: { q: "x" } },
    ],
    stop_reason: "end_turn",
    usage: { input_tokens: 5, output_tokens: 7 },
  };
  const responses = {
    id: "resp_1",
    object: "response",
    output: [
      { type: "reasoning", id: "rs_1", summary: [] },
      { type: "message", id: "msg_1", role: "assistant", content: [{ type: "output_text", text: `Mail ${EMAIL}`, annotations: [] }] },
    ],
    usage: { input_tokens: 3, output_tokens: 4 },
  };
  const cases: [ProviderApi, object, (copy: any) => void, Record<string, number>][] = [
    [
      "openai-chat",
      chat,
      (copy) => {
        copy.choices[0].message.content = "Write to [EMAIL].";
        copy.choices[0].logprobs = null;
      },
      { EMAIL: 1 },
    ],
    ["anthropic-messages", anthropic, (copy) => (copy.content[0].text = "Call [PHONE] or mail [EMAIL]"), { EMAIL: 1, PHONE: 1 }],
    ["openai-responses", responses, (copy) => (copy.output[1].content[0].text = "Mail [EMAIL]"), { EMAIL: 1 }],
  ];

  it.each(cases)("%s: masks the model's texts, every other field and key order unchanged", (api, body, edit, counts) => {
    const expected = structuredClone(body);
    edit(expected);
    for (const action of ["mask", "block"] as const) {
      expect(masker(action).maskJson(api, JSON.stringify(body))).toEqual({
        body: JSON.stringify(expected),
        events: [{ rule: "pii.response", counts, action }],
      });
    }
  });

  it.each(cases)("%s: log passes the body as it came, with the counts", (api, body, _, counts) => {
    const text = JSON.stringify(body, null, 2);
    expect(masker("log").maskJson(api, text)).toEqual({ body: text, events: [{ rule: "pii.response", counts, action: "log" }] });
  });

  it("returns a body without findings, not JSON, or of embeddings as it came, without events", () => {
    const clean = JSON.stringify({ ...chat, choices: [chat.choices[1]] }, null, 1);
    expect(masker().maskJson("openai-chat", clean)).toEqual({ body: clean, events: [] });
    expect(masker().maskJson("openai-chat", `oops ${EMAIL}`)).toEqual({ body: `oops ${EMAIL}`, events: [] });
    const embeddings = JSON.stringify({ object: "list", data: [{ embedding: [0.1] }], model: "m", usage: { prompt_tokens: 1 } });
    expect(masker().maskJson("openai-embeddings", embeddings)).toEqual({ body: embeddings, events: [] });
  });
});

// ------------------------------------------------------------------------------ streams

const sse = (event: string | undefined, data: unknown) =>
  `${event === undefined ? "" : `event: ${event}\n`}data: ${typeof data === "string" ? data : JSON.stringify(data)}\n\n`;

interface StreamCase {
  stream: (deltas: readonly string[]) => string;
  /** The text the deltas of the output make, read back. */
  text: (events: { event: string; data: string }[]) => string;
  /** Events of `stream` that carry no streamed text: they must come out as they went in. */
  untouched: (deltas: readonly string[]) => string[];
}

const chatChunk = (choice: object, usage: object | null = null) =>
  sse(undefined, { id: "chatcmpl-1", object: "chat.completion.chunk", created: 1, model: "gpt-4o-mini", choices: [choice], usage });
const chatHead = chatChunk({ index: 0, delta: { role: "assistant", content: "" }, logprobs: null, finish_reason: null });
const chatUsage = sse(undefined, {
  id: "chatcmpl-1",
  object: "chat.completion.chunk",
  choices: [],
  usage: { prompt_tokens: 9, completion_tokens: 12, total_tokens: 21 },
});
const chatDone = "data: [DONE]\n\n";

const anthropicHead = [
  sse("message_start", {
    type: "message_start",
    message: { id: "msg_1", type: "message", role: "assistant", content: [], usage: { input_tokens: 25, output_tokens: 1 } },
  }),
  sse("content_block_start", { type: "content_block_start", index: 0, content_block: { type: "text", text: "" } }),
  ": keep-alive\n\n",
  sse("ping", { type: "ping" }),
];
const anthropicTail = [
  sse("content_block_stop", { type: "content_block_stop", index: 0 }),
  sse("message_delta", { type: "message_delta", delta: { stop_reason: "end_turn", stop_sequence: null }, usage: { output_tokens: 15 } }),
  sse("message_stop", { type: "message_stop" }),
];

const responsesHead = [
  sse("response.created", {
    type: "response.created",
    sequence_number: 0,
    response: { id: "resp_1", status: "in_progress", output: [], usage: null },
  }),
  sse("response.content_part.added", {
    type: "response.content_part.added",
    sequence_number: 1,
    item_id: "msg_1",
    output_index: 0,
    content_index: 0,
    part: { type: "output_text", text: "", annotations: [] },
  }),
];
const responsesTail = (text: string, sequence: number) => [
  sse("response.output_text.done", {
    type: "response.output_text.done",
    sequence_number: sequence,
    item_id: "msg_1",
    output_index: 0,
    content_index: 0,
    text,
  }),
  sse("response.completed", {
    type: "response.completed",
    sequence_number: sequence + 1,
    response: {
      id: "resp_1",
      status: "completed",
      output: [{ type: "message", id: "msg_1", role: "assistant", content: [{ type: "output_text", text, annotations: [] }] }],
      usage: { input_tokens: 3, output_tokens: 4, total_tokens: 7 },
    },
  }),
];

const json = (data: string) => JSON.parse(data) as any;

const STREAMS: Record<"openai-chat" | "anthropic-messages" | "openai-responses", StreamCase> = {
  "openai-chat": {
    stream: (deltas) =>
      chatHead +
      deltas.map((delta) => chatChunk({ index: 0, delta: { content: delta }, logprobs: null, finish_reason: null })).join("") +
      chatChunk({ index: 0, delta: {}, logprobs: null, finish_reason: "stop" }) +
      chatUsage +
      chatDone,
    text: (events) =>
      events
        .filter((event) => event.data !== "[DONE]")
        .map((event) => json(event.data).choices[0]?.delta?.content ?? "")
        .join(""),
    untouched: () => [chatUsage, chatDone],
  },
  "anthropic-messages": {
    stream: (deltas) =>
      anthropicHead.join("") +
      deltas
        .map((delta) => sse("content_block_delta", { type: "content_block_delta", index: 0, delta: { type: "text_delta", text: delta } }))
        .join("") +
      anthropicTail.join(""),
    text: (events) =>
      events
        .filter((event) => event.event === "content_block_delta")
        .map((event) => json(event.data).delta.text)
        .join(""),
    untouched: () => [...anthropicHead, ...anthropicTail],
  },
  "openai-responses": {
    stream: (deltas) =>
      responsesHead.join("") +
      deltas
        .map((delta, index) =>
          sse("response.output_text.delta", {
            type: "response.output_text.delta",
            sequence_number: 2 + index,
            item_id: "msg_1",
            output_index: 0,
            content_index: 0,
            delta,
          }),
        )
        .join("") +
      responsesTail(deltas.join(""), 2 + deltas.length).join(""),
    text: (events) =>
      events
        .filter((event) => event.event === "response.output_text.delta")
        .map((event) => json(event.data).delta)
        .join(""),
    untouched: () => responsesHead,
  },
};

/** The output's events, each checked to be well framed: JSON data, or [DONE]. */
function eventsOf(output: string): { event: string; data: string }[] {
  const parser = new SseParser();
  const events = [...parser.push(output), ...parser.end()];
  for (const event of events) if (event.data !== "[DONE]") expect(() => JSON.parse(event.data), event.data).not.toThrow();
  return events;
}

function run(api: ProviderApi, chunks: readonly (string | Uint8Array)[], mask = true): { output: string; counts: Record<string, number> } {
  const streamMasker = new SseTextMasker(api, mask);
  const output = chunks.map((chunk) => streamMasker.push(chunk)).join("") + streamMasker.end();
  return { output, counts: streamMasker.countsByType() };
}

const TEXT = `${"Sure, here is the summary you asked for. ".repeat(9)}Reach Jane at ${EMAIL} or ${PHONE}; héllo 日本 😀. ${"More words follow here. ".repeat(4)}`;
const PII_START = TEXT.indexOf(EMAIL);
const PII_END = TEXT.indexOf(PHONE) + PHONE.length;

describe.each(Object.entries(STREAMS))("maskStream, %s", (name, streamCase) => {
  const api = name as ProviderApi;

  it("masks a finding split across two deltas at every offset; the framing stays valid and other events pass unchanged", () => {
    const expected = maskedWhole(TEXT);
    expect(expected).toContain("[EMAIL] or [PHONE]");
    for (let split = PII_START - 2; split <= PII_END + 2; split++) {
      const deltas = [TEXT.slice(0, split), TEXT.slice(split)];
      const { output, counts } = run(api, [streamCase.stream(deltas)]);
      expect(streamCase.text(eventsOf(output)), `split at ${split}`).toBe(expected);
      expect(output).not.toContain(EMAIL);
      expect(output).not.toContain("7946");
      for (const event of streamCase.untouched(deltas)) expect(output, `split at ${split}`).toContain(event);
      expect(counts).toEqual({ EMAIL: 1, PHONE: 1 });
    }
  });

  it("masks the same when the text comes a few characters a delta, and when the bytes are cut anywhere", () => {
    const deltas = TEXT.match(/[\s\S]{1,3}/gu)!;
    const whole = run(api, [streamCase.stream(deltas)]);
    expect(streamCase.text(eventsOf(whole.output))).toBe(maskedWhole(TEXT));
    const bytes = new TextEncoder().encode(streamCase.stream([TEXT.slice(0, PII_START + 5), TEXT.slice(PII_START + 5)]));
    const once = run(api, [bytes]).output;
    for (let cut = 0; cut <= bytes.length; cut++)
      expect(run(api, [bytes.subarray(0, cut), bytes.subarray(cut)]).output, `cut at ${cut}`).toBe(once);
  });

  it("log: passes the stream byte for byte, and counts", () => {
    const stream = streamCase.stream([TEXT.slice(0, PII_START + 3), TEXT.slice(PII_START + 3)]);
    expect(run(api, [stream], false)).toEqual({ output: stream, counts: { EMAIL: 1, PHONE: 1 } });
  });

  it("sends a text with no finding on unchanged, with its tail before the event that ends it", () => {
    const text = "Nothing personal in this short answer.";
    const events = eventsOf(run(api, [streamCase.stream([text])]).output);
    expect(streamCase.text(events)).toBe(text);
    const lastDelta = events.map((event) => streamCase.text([event]) !== "").lastIndexOf(true);
    const end = events.findIndex(
      (event) =>
        ["content_block_stop", "response.output_text.done"].includes(event.event) ||
        json(event.data === "[DONE]" ? "{}" : event.data).choices?.[0]?.finish_reason,
    );
    expect(lastDelta).toBeLessThanOrEqual(end);
  });
});

describe("maskStream: the rest", () => {
  it("masks the Responses events that repeat the whole text", () => {
    const output = run("openai-responses", [STREAMS["openai-responses"].stream([TEXT])]).output;
    const events = eventsOf(output);
    expect(json(events.find((event) => event.event === "response.output_text.done")!.data).text).toBe(maskedWhole(TEXT));
    expect(json(events.find((event) => event.event === "response.completed")!.data).response.output[0].content[0].text).toBe(
      maskedWhole(TEXT),
    );
  });

  it("keeps each Chat Completions choice apart, and drops logprobs (they repeat the text)", () => {
    const stream =
      chatChunk({
        index: 0,
        delta: { content: `a ${EMAIL.slice(0, 6)}` },
        logprobs: { content: [{ token: "jane" }] },
        finish_reason: null,
      }) +
      chatChunk({ index: 1, delta: { content: "b jane." }, logprobs: null, finish_reason: null }) +
      chatChunk({ index: 0, delta: { content: `${EMAIL.slice(6)} end` }, logprobs: null, finish_reason: "stop" }) +
      chatChunk({ index: 1, delta: { content: "doe@x" }, logprobs: null, finish_reason: null }) +
      chatDone;
    const events = eventsOf(run("openai-chat", [stream]).output);
    const textOf = (index: number) =>
      events
        .filter((event) => event.data !== "[DONE]")
        .map((event) => json(event.data).choices.find((choice: any) => choice.index === index)?.delta?.content ?? "")
        .join("");
    expect(textOf(0)).toBe("a [EMAIL] end");
    expect(textOf(1)).toBe("b jane.doe@x");
    expect(events.filter((event) => event.data !== "[DONE]").every((event) => json(event.data).choices[0].logprobs === null)).toBe(true);
    expect(events.at(-1)!.data).toBe("[DONE]");
  });

  it("sends what is held when the stream ends without its closing events", () => {
    const cut = STREAMS["anthropic-messages"].stream([TEXT]).split("event: content_block_stop")[0]!;
    const events = eventsOf(run("anthropic-messages", [cut]).output);
    expect(STREAMS["anthropic-messages"].text(events)).toBe(maskedWhole(TEXT));
  });

  it("fails the stream at an event too large to read, rather than pass it on unread", async () => {
    const huge = sse("content_block_delta", {
      type: "content_block_delta",
      index: 0,
      delta: { type: "text_delta", text: `${EMAIL} ${"x".repeat(1 << 20)}` },
    });
    const events: AiCheckEvent[][] = [];
    const body = new Response(huge).body!.pipeThrough(masker().maskStream("anthropic-messages", (facts) => events.push(facts)));
    await expect(new Response(body).text()).rejects.toThrow(/too large/);
    expect(events).toEqual([]);
  });

  it("fails the stream when it writes more texts at once than it may hold", () => {
    const streamMasker = new SseTextMasker("openai-chat", true);
    const chunk = (index: number) => chatChunk({ index, delta: { content: "held" }, finish_reason: null });
    for (let index = 0; index < MAX_OPEN_TEXTS; index++) streamMasker.push(chunk(index));
    expect(() => streamMasker.push(chunk(MAX_OPEN_TEXTS))).toThrow(/more than 128 texts/);
  });

  it("as a TransformStream: masks, and reports the audit facts once the stream has ended", async () => {
    const events: AiCheckEvent[][] = [];
    const stream = STREAMS["openai-chat"].stream([TEXT.slice(0, PII_START + 4), TEXT.slice(PII_START + 4)]);
    const body = new Response(stream).body!.pipeThrough(masker("block").maskStream("openai-chat", (facts) => events.push(facts)));
    const output = await new Response(body).text();
    expect(STREAMS["openai-chat"].text(eventsOf(output))).toBe(maskedWhole(TEXT));
    expect(events).toEqual([[{ rule: "pii.response", counts: { EMAIL: 1, PHONE: 1 }, action: "block" }]]);
  });
});
