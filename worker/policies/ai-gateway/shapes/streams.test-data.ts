/** Provider streams as their documentation shows them (SSE bodies). */

const chunk = (choices: string, usage: string) =>
  `data: {"id":"chatcmpl-123","object":"chat.completion.chunk","created":1694268190,"model":"gpt-4o-mini","system_fingerprint":"fp_44709d6fcb","choices":${choices},"usage":${usage}}\n\n`;

export const OPENAI_CHAT_STREAM_WITH_USAGE =
  chunk('[{"index":0,"delta":{"role":"assistant","content":""},"logprobs":null,"finish_reason":null}]', "null") +
  chunk('[{"index":0,"delta":{"content":"Héllo 日本 😀"},"logprobs":null,"finish_reason":null}]', "null") +
  chunk('[{"index":0,"delta":{},"logprobs":null,"finish_reason":"stop"}]', "null") +
  chunk("[]", '{"prompt_tokens":9,"completion_tokens":12,"total_tokens":21}') +
  "data: [DONE]\n\n";

export const OPENAI_CHAT_STREAM_WITHOUT_USAGE =
  'data: {"id":"chatcmpl-123","object":"chat.completion.chunk","choices":[{"index":0,"delta":{"content":"Hi"},"finish_reason":null}]}\n\n' +
  'data: {"id":"chatcmpl-123","object":"chat.completion.chunk","choices":[{"index":0,"delta":{},"finish_reason":"stop"}]}\n\n' +
  "data: [DONE]\n\n";

export const ANTHROPIC_STREAM = [
  'event: message_start\ndata: {"type": "message_start", "message": {"id": "msg_1nZdL29xx5MUA1yADyHTEsnR8uuvGzszyY", "type": "message", "role": "assistant", "content": [], "model": "claude-sonnet-4-5", "stop_reason": null, "stop_sequence": null, "usage": {"input_tokens": 25, "cache_creation_input_tokens": 100, "cache_read_input_tokens": 50, "output_tokens": 1}}}\n\n',
  'event: content_block_start\ndata: {"type": "content_block_start", "index": 0, "content_block": {"type": "text", "text": ""}}\n\n',
  'event: ping\ndata: {"type": "ping"}\n\n',
  'event: content_block_delta\ndata: {"type": "content_block_delta", "index": 0, "delta": {"type": "text_delta", "text": "Hello, the \\"usage\\" is 😀"}}\n\n',
  'event: content_block_stop\ndata: {"type": "content_block_stop", "index": 0}\n\n',
  'event: message_delta\ndata: {"type": "message_delta", "delta": {"stop_reason": "end_turn", "stop_sequence":null}, "usage": {"output_tokens": 15}}\n\n',
  'event: message_stop\ndata: {"type": "message_stop"}\n\n',
].join("");

export const OPENAI_RESPONSES_STREAM = [
  'event: response.created\ndata: {"type":"response.created","response":{"id":"resp_67c9fdcecf488190bdd9a0409de3a1ec07b8b0ad4e5eb654","object":"response","status":"in_progress","usage":null}}\n\n',
  'event: response.output_text.delta\ndata: {"type":"response.output_text.delta","item_id":"msg_1","output_index":0,"content_index":0,"delta":"Hi"}\n\n',
  'event: response.completed\ndata: {"type":"response.completed","response":{"id":"resp_67c9fdcecf488190bdd9a0409de3a1ec07b8b0ad4e5eb654","object":"response","status":"completed","usage":{"input_tokens":37,"input_tokens_details":{"cached_tokens":0},"output_tokens":11,"output_tokens_details":{"reasoning_tokens":0},"total_tokens":48}}}\n\n',
].join("");
