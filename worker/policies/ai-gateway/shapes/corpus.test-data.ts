/**
 * Labelled provider request bodies: realistic ones after the providers' documented examples, and
 * malformed or unsupported ones that must be "unknown". `texts` lists, in body order, every text
 * the model reads; `opaque` the types of the inputs it reads that are not text.
 */
import type { ProviderApi } from "./shape";

export interface LabelledBody {
  name: string;
  path: string;
  body: unknown;
  api: ProviderApi | "unknown";
  texts?: string[];
  opaque?: string[];
}

const PNG = "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg==";

const weatherTool = {
  name: "get_weather",
  description: "Get the current weather in a given location",
  input_schema: {
    type: "object",
    properties: { location: { type: "string", description: "The city and state, e.g. San Francisco, CA" } },
    required: ["location"],
  },
};

const openaiWeatherTool = {
  type: "function",
  function: {
    name: "get_current_weather",
    description: "Get the current weather in a given location",
    parameters: {
      type: "object",
      properties: { location: { type: "string" }, unit: { type: "string", enum: ["celsius", "fahrenheit"] } },
      required: ["location"],
    },
  },
};

export const ANTHROPIC: LabelledBody[] = [
  {
    name: "basic message",
    path: "/v1/messages",
    body: { model: "claude-sonnet-4-5", max_tokens: 1024, messages: [{ role: "user", content: "Hello, world" }] },
    api: "anthropic-messages",
    texts: ["Hello, world"],
  },
  {
    name: "system string and a multi-turn conversation behind a route prefix",
    path: "/ai/v1/messages",
    body: {
      model: "claude-opus-4-1",
      max_tokens: 2048,
      system: "You are a helpful assistant that answers in French.",
      temperature: 0.2,
      messages: [
        { role: "user", content: "Hello there." },
        { role: "assistant", content: "Bonjour ! Comment puis-je vous aider ?" },
        { role: "user", content: "Can you explain LLMs in plain English?" },
      ],
    },
    api: "anthropic-messages",
    texts: [
      "You are a helpful assistant that answers in French.",
      "Hello there.",
      "Bonjour ! Comment puis-je vous aider ?",
      "Can you explain LLMs in plain English?",
    ],
  },
  {
    name: "system blocks with cache_control, text and image blocks, streamed",
    path: "/v1/messages",
    body: {
      model: "claude-3-5-haiku-latest",
      max_tokens: 512,
      stream: true,
      system: [
        { type: "text", text: "You are an AI assistant tasked with analyzing literary works." },
        { type: "text", text: "<the entire contents of Pride and Prejudice>", cache_control: { type: "ephemeral" } },
      ],
      messages: [
        {
          role: "user",
          content: [
            { type: "image", source: { type: "base64", media_type: "image/png", data: PNG } },
            { type: "text", text: "What is in this image?" },
          ],
        },
      ],
      metadata: { user_id: "user-1234" },
    },
    api: "anthropic-messages",
    texts: [
      "You are an AI assistant tasked with analyzing literary works.",
      "<the entire contents of Pride and Prejudice>",
      "What is in this image?",
    ],
    opaque: ["image"],
  },
  {
    name: "tool use round trip: tool_use input and tool_result string and blocks",
    path: "/v1/messages",
    body: {
      model: "claude-sonnet-4-5",
      max_tokens: 1024,
      tools: [weatherTool],
      tool_choice: { type: "auto" },
      messages: [
        { role: "user", content: "What's the weather like in San Francisco?" },
        {
          role: "assistant",
          content: [
            { type: "text", text: "<thinking>I need to use get_weather</thinking>" },
            {
              type: "tool_use",
              id: "toolu_01A09q90qw90lq917835lq9",
              name: "get_weather",
              input: { location: "San Francisco, CA", unit: "celsius", days: 3, extra: { notes: ["foggy"] } },
            },
          ],
        },
        {
          role: "user",
          content: [
            { type: "tool_result", tool_use_id: "toolu_01A09q90qw90lq917835lq9", content: "15 degrees" },
            {
              type: "tool_result",
              tool_use_id: "toolu_02",
              is_error: false,
              content: [
                { type: "text", text: "Forecast: fog until noon" },
                { type: "image", source: { type: "base64", media_type: "image/jpeg", data: "/9j/4AAQ" } },
              ],
            },
            { type: "tool_result", tool_use_id: "toolu_03" },
          ],
        },
      ],
    },
    api: "anthropic-messages",
    texts: [
      "What's the weather like in San Francisco?",
      "<thinking>I need to use get_weather</thinking>",
      "San Francisco, CA",
      "celsius",
      "foggy",
      "15 degrees",
      "Forecast: fog until noon",
    ],
    opaque: ["image"],
  },
  {
    name: "documents: plain text with title and context, custom content, base64 PDF, URL",
    path: "/v1/messages",
    body: {
      model: "claude-sonnet-4-5",
      max_tokens: 1024,
      messages: [
        {
          role: "user",
          content: [
            {
              type: "document",
              source: { type: "text", media_type: "text/plain", data: "The grass is green. The sky is blue." },
              title: "My Document",
              context: "This is a trustworthy document.",
              citations: { enabled: true },
            },
            {
              type: "document",
              source: {
                type: "content",
                content: [
                  { type: "text", text: "First chunk" },
                  { type: "text", text: "Second chunk" },
                ],
              },
            },
            { type: "document", source: { type: "base64", media_type: "application/pdf", data: "JVBERi0xLjQK" } },
            {
              type: "document",
              source: {
                type: "url",
                url: "https://assets.anthropic.com/m/1cd9d098ac3e6467/original/Claude-3-Model-Card-October-Addendum.pdf",
              },
            },
            { type: "text", text: "What color is the grass and sky?" },
          ],
        },
      ],
    },
    api: "anthropic-messages",
    texts: [
      "My Document",
      "This is a trustworthy document.",
      "The grass is green. The sky is blue.",
      "First chunk",
      "Second chunk",
      "What color is the grass and sky?",
    ],
    opaque: ["document:base64", "document:url"],
  },
  {
    name: "extended thinking blocks passed back (signed: not texts)",
    path: "/v1/messages",
    body: {
      model: "claude-sonnet-4-5",
      max_tokens: 16000,
      thinking: { type: "enabled", budget_tokens: 10000 },
      messages: [
        { role: "user", content: "Are there an infinite number of prime numbers such that n mod 4 == 3?" },
        {
          role: "assistant",
          content: [
            {
              type: "thinking",
              thinking: "Let me analyze this step by step...",
              signature: "WaUjzkypQ2mUEVM36O2TxuC06KN8xyfbJwyem2dw3URve/op91XWHOEBLLqIOMfFG/UvLEczmEsUjavL....",
            },
            { type: "redacted_thinking", data: "EmwKAhgBEgy3va3pzix/LafPsn4aDFIT2Xlxh0L5L8rLVyIwxtE3rAFBa8cr3qpP..." },
            { type: "text", text: "Yes, there are infinitely many such primes." },
          ],
        },
      ],
    },
    api: "anthropic-messages",
    texts: ["Are there an infinite number of prime numbers such that n mod 4 == 3?", "Yes, there are infinitely many such primes."],
  },
  {
    name: "search results in a tool result",
    path: "/v1/messages",
    body: {
      model: "claude-sonnet-4-5",
      max_tokens: 1024,
      messages: [
        {
          role: "user",
          content: [
            {
              type: "tool_result",
              tool_use_id: "toolu_04",
              content: [
                {
                  type: "search_result",
                  source: "https://docs.company.com/api",
                  title: "API Reference",
                  content: [{ type: "text", text: "All endpoints require an API key." }],
                },
              ],
            },
          ],
        },
      ],
    },
    api: "anthropic-messages",
    texts: ["API Reference", "All endpoints require an API key."],
  },
  {
    name: "server web search and MCP tool blocks passed back, a container upload",
    path: "/v1/messages",
    body: {
      model: "claude-sonnet-4-5",
      max_tokens: 1024,
      tools: [{ type: "web_search_20250305", name: "web_search", max_uses: 5 }],
      mcp_servers: [{ type: "url", url: "https://example-server.modelcontextprotocol.io/sse", name: "example-mcp" }],
      messages: [
        { role: "user", content: "How do I update a web app to TypeScript 5.5?" },
        {
          role: "assistant",
          content: [
            { type: "text", text: "I'll search for that." },
            {
              type: "server_tool_use",
              id: "srvtoolu_01WYG3ziw53XMcoyKL4XcZmE",
              name: "web_search",
              input: { query: "TypeScript 5.5 upgrade guide" },
            },
            {
              type: "web_search_tool_result",
              tool_use_id: "srvtoolu_01WYG3ziw53XMcoyKL4XcZmE",
              content: [
                {
                  type: "web_search_result",
                  url: "https://devblogs.microsoft.com/typescript/announcing-typescript-5-5/",
                  title: "Announcing TypeScript 5.5",
                  encrypted_content: "EqgfCioIARgBIiQ3YTAwMjY1Mi1mZjM5LTQ1NGUtODgxNC1kNjNjNTk1ZWI3Y2Y...",
                  page_age: "June 20, 2024",
                },
              ],
            },
            {
              type: "mcp_tool_use",
              id: "mcptoolu_014Q35RayjACSWkSj4X2yov1",
              name: "echo",
              server_name: "example-mcp",
              input: { param1: "value1" },
            },
            {
              type: "mcp_tool_result",
              tool_use_id: "mcptoolu_014Q35RayjACSWkSj4X2yov1",
              is_error: false,
              content: [{ type: "text", text: "Tool result text" }],
            },
          ],
        },
        {
          role: "user",
          content: [
            { type: "container_upload", file_id: "file_011CNha8iCJcU1wXNR6q4V8w" },
            { type: "text", text: "Analyse this CSV." },
          ],
        },
      ],
    },
    api: "anthropic-messages",
    texts: [
      "How do I update a web app to TypeScript 5.5?",
      "I'll search for that.",
      "TypeScript 5.5 upgrade guide",
      "value1",
      "Tool result text",
      "Analyse this CSV.",
    ],
    opaque: ["web_search_tool_result", "container_upload"],
  },
  {
    name: "an MCP tool result with an image block",
    path: "/v1/messages",
    body: {
      model: "m",
      max_tokens: 1,
      messages: [{ role: "assistant", content: [{ type: "mcp_tool_result", tool_use_id: "m", content: [{ type: "image", source: {} }] }] }],
    },
    api: "unknown",
  },
  { name: "messages missing", path: "/v1/messages", body: { model: "claude-sonnet-4-5", max_tokens: 10 }, api: "unknown" },
  {
    name: "messages an object",
    path: "/v1/messages",
    body: { model: "m", max_tokens: 10, messages: { role: "user", content: "hi" } },
    api: "unknown",
  },
  {
    name: "system role inside messages",
    path: "/v1/messages",
    body: { model: "m", max_tokens: 10, messages: [{ role: "system", content: "hi" }] },
    api: "unknown",
  },
  {
    name: "content a number",
    path: "/v1/messages",
    body: { model: "m", max_tokens: 10, messages: [{ role: "user", content: 42 }] },
    api: "unknown",
  },
  {
    name: "unknown block type",
    path: "/v1/messages",
    body: { model: "m", max_tokens: 10, messages: [{ role: "user", content: [{ type: "video", url: "x" }] }] },
    api: "unknown",
  },
  {
    name: "text block without text",
    path: "/v1/messages",
    body: { model: "m", max_tokens: 10, messages: [{ role: "user", content: [{ type: "text", value: "hi" }] }] },
    api: "unknown",
  },
  {
    name: "system blocks of another type",
    path: "/v1/messages",
    body: { model: "m", max_tokens: 10, system: [{ type: "image" }], messages: [] },
    api: "unknown",
  },
  { name: "stream a string", path: "/v1/messages", body: { model: "m", max_tokens: 10, stream: "true", messages: [] }, api: "unknown" },
  { name: "max_tokens negative", path: "/v1/messages", body: { model: "m", max_tokens: -1, messages: [] }, api: "unknown" },
  { name: "max_tokens a fraction", path: "/v1/messages", body: { model: "m", max_tokens: 1.5, messages: [] }, api: "unknown" },
  { name: "model a number", path: "/v1/messages", body: { model: 4, max_tokens: 1, messages: [] }, api: "unknown" },
  {
    name: "document without source",
    path: "/v1/messages",
    body: { model: "m", max_tokens: 1, messages: [{ role: "user", content: [{ type: "document", title: "t" }] }] },
    api: "unknown",
  },
  { name: "a JSON array body", path: "/v1/messages", body: [{ role: "user", content: "hi" }], api: "unknown" },
  {
    name: "the count_tokens endpoint",
    path: "/v1/messages/count_tokens",
    body: { model: "m", messages: [{ role: "user", content: "hi" }] },
    api: "unknown",
  },
];

export const OPENAI_CHAT: LabelledBody[] = [
  {
    name: "system and user",
    path: "/v1/chat/completions",
    body: {
      model: "gpt-4o",
      messages: [
        { role: "system", content: "You are a helpful assistant." },
        { role: "user", content: "Hello!" },
      ],
    },
    api: "openai-chat",
    texts: ["You are a helpful assistant.", "Hello!"],
  },
  {
    name: "developer role, text and image_url parts, max_completion_tokens",
    path: "/v1/chat/completions",
    body: {
      model: "gpt-4.1",
      max_completion_tokens: 300,
      messages: [
        { role: "developer", content: [{ type: "text", text: "Answer in one sentence." }] },
        {
          role: "user",
          content: [
            { type: "text", text: "What's in this image?" },
            {
              type: "image_url",
              image_url: {
                url: "https://upload.wikimedia.org/wikipedia/commons/thumb/d/dd/Gfp-wisconsin-madison-the-nature-boardwalk.jpg/2560px-Gfp-wisconsin-madison-the-nature-boardwalk.jpg",
                detail: "low",
              },
            },
          ],
        },
      ],
    },
    api: "openai-chat",
    texts: ["Answer in one sentence.", "What's in this image?"],
    opaque: ["image_url"],
  },
  {
    name: "function calling round trip with names, null content and a tool message",
    path: "/v1/chat/completions",
    body: {
      model: "gpt-4o-mini",
      tools: [openaiWeatherTool],
      tool_choice: "auto",
      messages: [
        { role: "user", name: "alice", content: "What's the weather like in Boston today?" },
        {
          role: "assistant",
          content: null,
          tool_calls: [
            {
              id: "call_abc123",
              type: "function",
              function: { name: "get_current_weather", arguments: '{"location":"Boston, MA","unit":"celsius"}' },
            },
          ],
        },
        { role: "tool", tool_call_id: "call_abc123", content: '{"temperature": 22, "condition": "sunny"}' },
      ],
    },
    api: "openai-chat",
    texts: [
      "alice",
      "What's the weather like in Boston today?",
      '{"location":"Boston, MA","unit":"celsius"}',
      '{"temperature": 22, "condition": "sunny"}',
    ],
  },
  {
    name: "Azure deployment path, stream with stream_options, n and both token limits",
    path: "/openai/deployments/gpt-4o-prod/chat/completions?api-version=2024-10-21",
    body: {
      messages: [{ role: "user", content: "Tell me a joke" }],
      stream: true,
      stream_options: { include_usage: true },
      n: 2,
      max_tokens: 100,
      max_completion_tokens: 150,
    },
    api: "openai-chat",
    texts: ["Tell me a joke"],
  },
  {
    name: "audio input, refusal, legacy function_call, input_text part from a compatible server",
    path: "/v1/chat/completions",
    body: {
      model: "gpt-4o-audio-preview",
      modalities: ["text"],
      messages: [
        {
          role: "user",
          content: [
            { type: "input_audio", input_audio: { data: "UklGRiQAAABXQVZF", format: "wav" } },
            { type: "input_text", text: "Transcribe this." },
          ],
        },
        { role: "assistant", content: null, refusal: "I can't help with that." },
        { role: "assistant", content: [{ type: "refusal", refusal: "Sorry." }], function_call: { name: "lookup", arguments: '{"q":"x"}' } },
        { role: "function", name: "lookup", content: "result" },
      ],
    },
    api: "openai-chat",
    texts: ["Transcribe this.", "I can't help with that.", "Sorry.", '{"q":"x"}', "lookup", "result"],
    opaque: ["input_audio"],
  },
  {
    name: "unknown role",
    path: "/v1/chat/completions",
    body: { model: "gpt-4o", messages: [{ role: "robot", content: "beep" }] },
    api: "unknown",
  },
  {
    name: "a prototype key as role",
    path: "/v1/chat/completions",
    body: { model: "gpt-4o", messages: [{ role: "constructor", content: "x" }] },
    api: "unknown",
  },
  {
    name: "content an object",
    path: "/v1/chat/completions",
    body: { model: "gpt-4o", messages: [{ role: "user", content: { text: "hi" } }] },
    api: "unknown",
  },
  {
    name: "unknown part type",
    path: "/v1/chat/completions",
    body: { model: "gpt-4o", messages: [{ role: "user", content: [{ type: "video_url", url: "x" }] }] },
    api: "unknown",
  },
  {
    name: "tool call of another type",
    path: "/v1/chat/completions",
    body: { model: "gpt-4o", messages: [{ role: "assistant", tool_calls: [{ type: "shell", cmd: "ls" }] }] },
    api: "unknown",
  },
  {
    name: "arguments not a string",
    path: "/v1/chat/completions",
    body: {
      model: "gpt-4o",
      messages: [{ role: "assistant", tool_calls: [{ type: "function", function: { name: "f", arguments: { a: 1 } } }] }],
    },
    api: "unknown",
  },
  {
    name: "messages missing (legacy completions body)",
    path: "/v1/chat/completions",
    body: { model: "gpt-3.5-turbo-instruct", prompt: "Say this is a test" },
    api: "unknown",
  },
  {
    name: "the legacy completions endpoint",
    path: "/v1/completions",
    body: { model: "gpt-3.5-turbo-instruct", prompt: "Say this is a test" },
    api: "unknown",
  },
  { name: "a trailing slash", path: "/v1/chat/completions/", body: { model: "gpt-4o", messages: [] }, api: "unknown" },
  { name: "another case", path: "/V1/Chat/Completions", body: { model: "gpt-4o", messages: [] }, api: "unknown" },
  { name: "Azure path without a deployment", path: "/openai/deployments//chat/completions", body: { messages: [] }, api: "unknown" },
  { name: "n a string", path: "/v1/chat/completions", body: { model: "gpt-4o", n: "2", messages: [] }, api: "unknown" },
];

export const OPENAI_RESPONSES: LabelledBody[] = [
  {
    name: "instructions and a string input",
    path: "/v1/responses",
    body: {
      model: "gpt-4.1",
      instructions: "Talk like a pirate.",
      input: "Are semicolons optional in JavaScript?",
      max_output_tokens: 500,
    },
    api: "openai-responses",
    texts: ["Talk like a pirate.", "Are semicolons optional in JavaScript?"],
  },
  {
    name: "input items: messages with parts, function call and output, reasoning, item reference",
    path: "/v1/responses",
    body: {
      model: "o4-mini",
      tools: [{ type: "function", name: "get_weather", parameters: { type: "object", properties: { location: { type: "string" } } } }],
      input: [
        { role: "developer", content: "Use the tools when needed." },
        {
          role: "user",
          content: [
            { type: "input_text", text: "what is in this image, and what's the weather there?" },
            { type: "input_image", image_url: "https://example.com/boardwalk.jpg" },
            { type: "input_file", file_id: "file-6F2ksmvXxt4VdoqmHRw6kL" },
          ],
        },
        {
          type: "reasoning",
          id: "rs_1",
          summary: [{ type: "summary_text", text: "The user wants the weather." }],
          encrypted_content: "gAAAAAB...",
        },
        {
          type: "message",
          role: "assistant",
          id: "msg_1",
          status: "completed",
          content: [{ type: "output_text", text: "Let me check.", annotations: [] }],
        },
        { type: "function_call", id: "fc_1", call_id: "call_12345xyz", name: "get_weather", arguments: '{"location":"Paris, France"}' },
        { type: "function_call_output", call_id: "call_12345xyz", output: "18 degrees and cloudy" },
        { type: "function_call_output", call_id: "call_2", output: [{ type: "input_text", text: "humidity 70%" }] },
        { type: "item_reference", id: "msg_0" },
      ],
    },
    api: "openai-responses",
    texts: [
      "Use the tools when needed.",
      "what is in this image, and what's the weather there?",
      "The user wants the weather.",
      "Let me check.",
      '{"location":"Paris, France"}',
      "18 degrees and cloudy",
      "humidity 70%",
    ],
    opaque: ["input_image", "input_file", "item_reference"],
  },
  {
    name: "a stored prompt with variables, continuing a previous response, streamed",
    path: "/v1/responses",
    body: {
      model: "gpt-4.1",
      prompt: {
        id: "pmpt_abc123",
        version: "2",
        variables: { customer_name: "Jane Doe", product: { type: "input_text", text: "40oz juice box" } },
      },
      previous_response_id: "resp_68af4030592c81938ec0a5fbab4a3e9f05438e46b5f69a3b",
      input: "And the price?",
      stream: true,
    },
    api: "openai-responses",
    texts: ["And the price?", "Jane Doe", "40oz juice box"],
  },
  {
    name: "Azure responses path with api-version",
    path: "/openai/responses?api-version=2025-04-01-preview",
    body: { model: "gpt-4.1-nano", input: [{ role: "user", content: "This is a test." }], instructions: null },
    api: "openai-responses",
    texts: ["This is a test."],
  },
  {
    name: "an unknown item type",
    path: "/v1/responses",
    body: { model: "gpt-4.1", input: [{ type: "telepathy", thought: "x" }] },
    api: "unknown",
  },
  {
    name: "chat-style text part",
    path: "/v1/responses",
    body: { model: "gpt-4.1", input: [{ role: "user", content: [{ type: "text", text: "x" }] }] },
    api: "unknown",
  },
  { name: "input a number", path: "/v1/responses", body: { model: "gpt-4.1", input: 7 }, api: "unknown" },
  { name: "instructions an array", path: "/v1/responses", body: { model: "gpt-4.1", instructions: ["a"], input: "x" }, api: "unknown" },
  {
    name: "a tool role message",
    path: "/v1/responses",
    body: { model: "gpt-4.1", input: [{ role: "tool", content: "x" }] },
    api: "unknown",
  },
  {
    name: "function_call_output without output",
    path: "/v1/responses",
    body: { model: "gpt-4.1", input: [{ type: "function_call_output", call_id: "c" }] },
    api: "unknown",
  },
  {
    name: "prompt variables an array",
    path: "/v1/responses",
    body: { model: "gpt-4.1", prompt: { id: "p", variables: ["x"] } },
    api: "unknown",
  },
];

export const OPENAI_EMBEDDINGS: LabelledBody[] = [
  {
    name: "one string",
    path: "/v1/embeddings",
    body: { model: "text-embedding-3-small", input: "The food was delicious and the waiter...", encoding_format: "float" },
    api: "openai-embeddings",
    texts: ["The food was delicious and the waiter..."],
  },
  {
    name: "an array of strings",
    path: "/v1/embeddings",
    body: { model: "text-embedding-3-large", input: ["first document", "second document"], dimensions: 256 },
    api: "openai-embeddings",
    texts: ["first document", "second document"],
  },
  {
    name: "a token array",
    path: "/v1/embeddings",
    body: { model: "text-embedding-ada-002", input: [1212, 318, 257, 1332] },
    api: "openai-embeddings",
    texts: [],
    opaque: ["token_array"],
  },
  {
    name: "Azure: arrays of token arrays",
    path: "/openai/deployments/embed-prod/embeddings?api-version=2024-10-21",
    body: {
      input: [
        [1212, 318],
        [257, 1332],
      ],
    },
    api: "openai-embeddings",
    texts: [],
    opaque: ["token_array", "token_array"],
  },
  { name: "input an object", path: "/v1/embeddings", body: { model: "m", input: { text: "x" } }, api: "unknown" },
  { name: "strings and numbers mixed", path: "/v1/embeddings", body: { model: "m", input: [1, "a"] }, api: "unknown" },
  { name: "an empty input", path: "/v1/embeddings", body: { model: "m", input: [] }, api: "unknown" },
  { name: "negative token ids", path: "/v1/embeddings", body: { model: "m", input: [-1, 2] }, api: "unknown" },
];

export const CORPUS: LabelledBody[] = [...ANTHROPIC, ...OPENAI_CHAT, ...OPENAI_RESPONSES, ...OPENAI_EMBEDDINGS];
