import { describe, expect, it } from "vitest";
import type { TokenUsage } from "./shapes";
import { MAX_READ_JSON, meteredResponse } from "./metering";

function chunked(parts: (string | Uint8Array)[], type: string): Response {
  const encoder = new TextEncoder();
  const body = new ReadableStream<Uint8Array>({
    start(controller) {
      for (const part of parts) controller.enqueue(typeof part === "string" ? encoder.encode(part) : part);
      controller.close();
    },
  });
  return new Response(body, { headers: { "content-type": type, "x-provider": "kept" } });
}

async function metered(response: Response) {
  const ends: (TokenUsage | undefined)[] = [];
  const answer = await meteredResponse(response, "openai-chat", (usage) => ends.push(usage));
  return { answer, ends };
}

describe("meteredResponse", () => {
  it("reads a JSON answer's usage before passing it on, byte for byte", async () => {
    const text = JSON.stringify({ choices: [], usage: { prompt_tokens: 12, completion_tokens: 3, total_tokens: 15 } });
    const { answer, ends } = await metered(chunked([text.slice(0, 10), text.slice(10)], "application/json; charset=utf-8"));
    expect(ends).toEqual([{ inputTokens: 12, outputTokens: 3 }]);
    expect(answer.headers.get("x-provider")).toBe("kept");
    expect(await answer.text()).toBe(text);
  });

  it("passes a JSON answer over MAX_READ_JSON on whole, as reporting no usage", async () => {
    const big = new Uint8Array(MAX_READ_JSON + 10).fill(0x20);
    const { answer, ends } = await metered(chunked([big.subarray(0, 600_000), big.subarray(600_000), "{}"], "application/json"));
    expect(ends).toEqual([undefined]);
    expect((await answer.arrayBuffer()).byteLength).toBe(MAX_READ_JSON + 12);
  });

  it("meters an event stream as it passes, and reports its usage once it has ended", async () => {
    const events = [
      'data: {"choices":[{"delta":{"content":"Hi"}}]}\n\n',
      'data: {"choices":[],"usage":{"prompt_tokens":5,"completion_tokens":1,"total_tokens":6}}\n\n',
      "data: [DONE]\n\n",
    ];
    const { answer, ends } = await metered(chunked(events, "text/event-stream"));
    expect(ends).toEqual([]);
    expect(await answer.text()).toBe(events.join(""));
    expect(ends).toEqual([{ inputTokens: 5, outputTokens: 1 }]);
  });

  it("reports no usage for a stream that ends without it, nor for another type or unreadable JSON", async () => {
    const cut = await metered(chunked(['data: {"choices":[{"delta":{"content":"Hi"}}]}\n\n'], "text/event-stream"));
    await cut.answer.text();
    expect(cut.ends).toEqual([undefined]);
    expect((await metered(chunked(["hello"], "text/plain"))).ends).toEqual([undefined]);
    expect((await metered(chunked(["{not json"], "application/json"))).ends).toEqual([undefined]);
  });
});
