/**
 * A recording fake AI provider on 127.0.0.1 (Node's http server) for the end-to-end tests: it
 * records the method, path, headers and body of every call, and answers as the path's first
 * segments say, so one server plays every provider of a config:
 *
 *   /<name>/json/…            a JSON answer: Anthropic's Messages shape for …/v1/messages, OpenAI's
 *                             Chat Completions shape otherwise, with `usage`
 *   /<name>/sse/…             a server-sent event stream of that API (OpenAI `chat.completion.chunk`s
 *                             ending in `data: [DONE]`; Anthropic `message_start` … `message_stop`):
 *                             the first event at once, the others only after `release(name)`
 *   /<name>/pii-json/…        an OpenAI Chat Completions answer whose text holds an e-mail address
 *   /<name>/pii-sse/…         the same as a stream, the address split across two events, usage last
 *   /<name>/status/<code>/…   that status with an OpenAI-style JSON error
 *   /<name>/hang/…            never answers (until the server stops)
 *   /<name>/close/…           closes the connection without answering
 *   /<name>/health/health     a health check: 200 while `setHealthy(name, true)` (the default),
 *                             503 after `setHealthy(name, false)`
 *   /<name>/health/…          any other path: as `json` (a provider that serves while its checks
 *                             fail, so only the checks can move traffic off it)
 *
 * `<name>` is the provider's name in the config: `callsTo(name)` lists what that provider received.
 */
import { createServer, type IncomingHttpHeaders, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";

export interface ProviderCall {
  name: string;
  method: string;
  /** The path after `/<name>/<mode>` (what the gateway appended to the endpoint), with its query. */
  path: string;
  headers: IncomingHttpHeaders;
  body: string;
}

export interface FakeProvider {
  /** `http://127.0.0.1:<port>` */
  url: string;
  /** The endpoint of a provider named `name` answering in `mode` (`json`, `sse`, `status/500`, `hang`, `close`). */
  endpoint(name: string, mode: string): string;
  calls: ProviderCall[];
  callsTo(name: string): ProviderCall[];
  /** Lets the held-back events of `name`'s streams go. */
  release(name: string): void;
  /** Whether a stream of `name` has sent its held-back events. */
  released(name: string): boolean;
  /** What `name`'s health mode answers its checks: 200 (true) or 503. */
  setHealthy(name: string, healthy: boolean): void;
  stop(): Promise<void>;
}

const openaiChat = {
  id: "chatcmpl-fake",
  object: "chat.completion",
  created: 1_700_000_000,
  model: "gpt-4o-mini",
  choices: [{ index: 0, message: { role: "assistant", content: "Hello from the fake provider." }, finish_reason: "stop" }],
  usage: { prompt_tokens: 9, completion_tokens: 7, total_tokens: 16 },
};

const anthropicMessage = {
  id: "msg_fake",
  type: "message",
  role: "assistant",
  model: "claude-sonnet",
  content: [{ type: "text", text: "Hello from the fake provider." }],
  stop_reason: "end_turn",
  usage: { input_tokens: 9, output_tokens: 7 },
};

/** The e-mail address the pii modes' answers hold. */
export const PII_ADDRESS = "jane.doe@example.com";

const openaiChunk = (delta: Record<string, unknown>, finish: string | null = null) =>
  sse({
    id: "chatcmpl-fake",
    object: "chat.completion.chunk",
    model: "gpt-4o-mini",
    choices: [{ index: 0, delta, finish_reason: finish }],
  });

const sse = (data: unknown, event?: string) => `${event ? `event: ${event}\n` : ""}data: ${JSON.stringify(data)}\n\n`;

/** The events of a stream: the first sent at once, the rest after the release. */
function streamEvents(anthropic: boolean): [string, string[]] {
  if (anthropic) {
    return [
      sse(
        { type: "message_start", message: { ...anthropicMessage, content: [], usage: { input_tokens: 9, output_tokens: 0 } } },
        "message_start",
      ),
      [
        sse({ type: "content_block_start", index: 0, content_block: { type: "text", text: "" } }, "content_block_start"),
        sse({ type: "content_block_delta", index: 0, delta: { type: "text_delta", text: "Hello" } }, "content_block_delta"),
        sse({ type: "content_block_stop", index: 0 }, "content_block_stop"),
        sse({ type: "message_delta", delta: { stop_reason: "end_turn" }, usage: { output_tokens: 7 } }, "message_delta"),
        sse({ type: "message_stop" }, "message_stop"),
      ],
    ];
  }
  return [
    openaiChunk({ role: "assistant", content: "Hel" }),
    [
      openaiChunk({ content: "lo" }, "stop"),
      sse({
        id: "chatcmpl-fake",
        object: "chat.completion.chunk",
        choices: [],
        usage: { prompt_tokens: 9, completion_tokens: 2, total_tokens: 11 },
      }),
      "data: [DONE]\n\n",
    ],
  ];
}

export async function startFakeProvider(): Promise<FakeProvider> {
  const calls: ProviderCall[] = [];
  const unhealthy = new Set<string>();
  const gates = new Map<string, { open: boolean; waiting: (() => void)[] }>();
  const gate = (name: string) => {
    let entry = gates.get(name);
    if (!entry) gates.set(name, (entry = { open: false, waiting: [] }));
    return entry;
  };
  const server = createServer((request, response) => {
    const chunks: Buffer[] = [];
    request.on("data", (chunk: Buffer) => chunks.push(chunk));
    request.on("end", () => {
      const [, name = "", mode = "", ...rest] = (request.url ?? "/").split("/");
      const status = mode === "status" ? Number(rest.shift()) : undefined;
      const path = `/${rest.join("/")}`;
      calls.push({ name, method: request.method ?? "", path, headers: request.headers, body: Buffer.concat(chunks).toString("utf8") });
      const anthropic = path.split("?")[0]!.endsWith("/v1/messages");
      answer(response, { name, mode, status, anthropic, path });
    });
  });

  function answer(
    response: ServerResponse,
    { name, mode, status, anthropic, path }: { name: string; mode: string; status?: number; anthropic: boolean; path: string },
  ) {
    switch (mode) {
      case "health":
        if (path === "/health") {
          response.writeHead(unhealthy.has(name) ? 503 : 200, { "Content-Length": "0" });
          return response.end();
        }
        response.writeHead(200, { "Content-Type": "application/json" });
        return response.end(JSON.stringify(openaiChat));
      case "json":
        response.writeHead(200, { "Content-Type": "application/json" });
        return response.end(JSON.stringify(anthropic ? anthropicMessage : openaiChat));
      case "pii-json":
        response.writeHead(200, { "Content-Type": "application/json" });
        return response.end(
          JSON.stringify({
            ...openaiChat,
            choices: [{ ...openaiChat.choices[0], message: { role: "assistant", content: `Write to ${PII_ADDRESS} today.` } }],
          }),
        );
      case "pii-sse": {
        const cut = PII_ADDRESS.indexOf("@") - 2;
        response.writeHead(200, { "Content-Type": "text/event-stream" });
        for (const content of ["Write to ", PII_ADDRESS.slice(0, cut), `${PII_ADDRESS.slice(cut)} today.`])
          response.write(openaiChunk({ content }));
        response.write(
          sse({ object: "chat.completion.chunk", choices: [], usage: { prompt_tokens: 20, completion_tokens: 30, total_tokens: 50 } }),
        );
        return response.end("data: [DONE]\n\n");
      }
      case "status":
        response.writeHead(status!, { "Content-Type": "application/json" });
        return response.end(JSON.stringify({ error: { type: "fake_error", message: `status ${status}` } }));
      case "hang":
        return; // never answered; the server's stop closes the connection
      case "close":
        return response.socket?.destroy();
      case "sse": {
        const [first, later] = streamEvents(anthropic);
        response.writeHead(200, { "Content-Type": "text/event-stream", "Cache-Control": "no-cache" });
        response.write(first);
        const send = () => {
          for (const event of later) response.write(event);
          response.end();
        };
        const entry = gate(name);
        if (entry.open) send();
        else entry.waiting.push(send);
        return;
      }
      default:
        response.writeHead(404, { "Content-Type": "text/plain" });
        response.end(`fake provider: unknown mode ${mode}`);
    }
  }

  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    url,
    endpoint: (name, mode) => `${url}/${name}/${mode}`,
    calls,
    callsTo: (name) => calls.filter((call) => call.name === name),
    release(name) {
      const entry = gate(name);
      entry.open = true;
      for (const send of entry.waiting.splice(0)) send();
    },
    released: (name) => gate(name).open,
    setHealthy(name, healthy) {
      if (healthy) unhealthy.delete(name);
      else unhealthy.add(name);
    },
    stop: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
