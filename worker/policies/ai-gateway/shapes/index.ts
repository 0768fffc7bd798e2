/**
 * # AI gateway: provider request shapes (issue 15)
 *
 * What the AI gateway's checks read in a provider request, and the counts its token budget needs.
 * A library: the pipeline wires it (not this module).
 *
 * - `recognise(path, body)`: the API, by the URL path suffix AND the parsed body's shape —
 *   Anthropic Messages (`…/v1/messages`), OpenAI Chat Completions (`…/v1/chat/completions`,
 *   Azure `…/openai/deployments/<d>/chat/completions`), Responses (`…/v1/responses`, Azure
 *   `…/openai/responses`), Embeddings (`…/v1/embeddings`, Azure `…/openai/deployments/<d>/embeddings`)
 *   — with every text the model will read as a `TextSlot` (`path` into the body, `role`, `kind`,
 *   `text`), the inputs it reads but the edge cannot (`opaque`: images, audio, files, PDFs,
 *   stored items, token arrays), `model`, `maxOutputTokens` (the largest of `max_tokens`,
 *   `max_completion_tokens`, `max_output_tokens`), `completions` (`n`) and `stream`. Anything
 *   else — another path, a wrong type at any level, an unknown block, part or item type — is
 *   `{ api: "unknown", reason }`, for the caller to refuse when a content check is on. It never
 *   throws on a JSON value. Which fields hold text, per API: see each reader's header.
 * - `applyReplacements(body, [{ path, text }])`: a new body with only those strings changed
 *   (masking), every other field and key order as sent.
 * - `estimateTokens(texts)`: a documented prompt token estimate that errs high (token-estimate.ts).
 * - `usageFromResponse(api, json)`, `StreamUsageMeter` (an SSE parser underneath, `SseParser`):
 *   the usage the provider reports; `withIncludeUsage(body)` makes a Chat Completions stream report it.
 *
 * Tool DEFINITIONS (`tools[].description`, JSON schemas) are not slots: the application, not the
 * end user, writes them, and masking must leave them unchanged. Top-level fields a reader does not
 * name are ignored (sampling options, metadata, provider extensions).
 *
 * The caller must refuse a body with duplicate member names before `recognise` (JSON.parse keeps
 * the last, a provider's parser may keep the first: the edge would check one text and the model
 * read another).
 *
 * Measured on the labelled corpus of corpus.test-data.ts, 59 bodies after the providers'
 * documented examples plus malformed and unsupported ones (`npx vitest run
 * worker/policies/ai-gateway/shapes/corpus.test.ts --reporter verbose` prints the table): accuracy
 * 1.00 for each API, recognised (8 Anthropic, 5 Chat, 4 Responses, 4 Embeddings; every labelled
 * text and opaque input found, in order) and refused as unknown (15, 12, 7, 4).
 */
export { recognise, apiOfPath } from "./recognise";
export { applyReplacements, type TextReplacement } from "./replace";
export { estimateTokens, estimateTextTokens } from "./token-estimate";
export { SseParser, type SseEvent } from "./sse";
export { StreamUsageMeter, usageFromResponse, withIncludeUsage, type TokenUsage } from "./usage";
export type { JsonPath, OpaqueInput, ProviderApi, RecognisedRequest, Recognition, TextKind, TextSlot, UnknownRequest } from "./shape";
