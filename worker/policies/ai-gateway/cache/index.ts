/**
 * # The AI cache (`ai_gateway.cache`)
 *
 * Answers a non-streaming provider request from an earlier answer to the same request, within
 * one tenant: `X-Cache: HIT` (with `Age`) or, for a request it looked up, `X-Cache: MISS`.
 *
 * - Exact match (always): the key is the tenant, the provider, the API path, the model, the
 *   `vary_by_headers` values and the whole body in canonical JSON (key.ts). Entries live in the
 *   data centre's Cache API under the request's host at `/__loom-edge-ai-cache/<sha256>` (Cache-Tag
 *   `loom-edge-ai-cache`) for `default_ttl`; what is stored: entry.ts.
 * - Semantic match (`semantic_matching: true`): on an exact miss, the prompt's embedding is
 *   looked up in the scope of requests that differ only in their texts (same tenant, provider,
 *   model, options, tools and turns); the nearest one's entry answers when their cosine
 *   similarity is at least `similarity_threshold` (semantic.ts). Prompts over
 *   MAX_SEMANTIC_PROMPT_CHARS are matched exactly only. A failure of Workers AI or Vectorize is
 *   logged and the request is a miss: the cache saves cost, it never fails a request.
 *
 * Streams are never cached (the client asked to watch the answer being made). Responses are
 * stored in `waitUntil`, from a copy of the answer the client is streamed, never buffered for it.
 * Attack surface: a client fills at most its own tenant's entries, one per distinct request
 * (each costs it a provider call through the rate limits and token budgets); within a tenant, a
 * semantic match answers one consumer's prompt with the answer another consumer's similar
 * prompt got (README, "AI gateway": leave semantic matching off where prompts carry
 * per-user context the model's answer depends on).
 */
import { readAtMost } from "../../../http/body";
import { errorName, log } from "../../../observability/logger";
import type { RecognisedRequest } from "../shapes";
import { entryOf, hitOf, MAX_ENTRY_BYTES, storable } from "./entry";
import { sha256Hex } from "../../../audit/chain";
import { aiCacheKeys, aiCacheScope, semanticPrompt, type AiCacheKeys, type AiCacheRequest, type Digest } from "./key";
import { MAX_SEMANTIC_PROMPT_CHARS, type SemanticMatcher } from "./semantic";

export { cosineSimilarity, vectorizeIndex, workersAiEmbedder, EMBEDDING_DIMENSIONS, EMBEDDING_MODEL } from "./semantic";
export type { Embedder, SemanticMatcher, VectorIndex, VectorMatch } from "./semantic";
export type { AiCacheRequest } from "./key";

/** The path prefix of every AI cache key (no route should serve it). */
export const AI_KEY_PATH = "/__loom-edge-ai-cache/";

export interface AiCacheSettings {
  ttlSeconds: number;
  varyByHeaders: readonly string[];
  /** Set with `semantic_matching: true` where the bindings exist. */
  semantic?: SemanticMatcher;
}

export interface AiCacheOptions {
  /** The Cache API cache; default `caches.default`. */
  cache?: () => Cache;
  now?: () => number;
  /** How keys are digested; default SHA-256 hex. */
  digest?: Digest;
}

/** What a lookup found, and what `store` needs to file the answer of a miss. */
export interface AiCacheLookup {
  keys: AiCacheKeys;
  /** The answer for the client: `X-Cache: HIT`. */
  hit?: Response;
  /** The prompt's embedding and scope, computed on an exact miss with semantic matching on. */
  semantic?: { vector: number[]; scope: string };
}

/** Whether a recognised request is one the cache serves: any but a stream. */
export const cachedRequest = (recognised: RecognisedRequest): boolean => !recognised.stream;

export class AiCache {
  readonly #settings: AiCacheSettings;
  readonly #cache: () => Cache;
  readonly #now: () => number;
  readonly #digest: Digest;

  constructor(settings: AiCacheSettings, options: AiCacheOptions = {}) {
    this.#settings = settings;
    this.#cache = options.cache ?? (() => caches.default);
    this.#now = options.now ?? Date.now;
    this.#digest = options.digest ?? sha256Hex;
  }

  async lookup(host: string, request: AiCacheRequest): Promise<AiCacheLookup> {
    const { varyByHeaders, semantic } = this.#settings;
    const keys = await aiCacheKeys(request, varyByHeaders, this.#digest);
    const exact = await this.#cache().match(keyUrl(host, keys.exact));
    if (exact) return { keys, hit: hitOf(exact, this.#now()) };
    if (!semantic) return { keys };
    const prompt = semanticPrompt(request);
    if (prompt.length > MAX_SEMANTIC_PROMPT_CHARS) return { keys };
    try {
      const [vector, scope] = await Promise.all([semantic.embedder.embed(prompt), aiCacheScope(request, varyByHeaders, this.#digest)]);
      const found = { keys, semantic: { vector, scope } };
      const nearest = await semantic.index.nearest(vector, scope);
      if (!nearest || nearest.score < semantic.threshold || !/^[0-9a-f]{64}$/.test(nearest.id)) return found;
      const similar = await this.#cache().match(keyUrl(host, nearest.id));
      return similar ? { ...found, hit: hitOf(similar, this.#now()) } : found;
    } catch (error) {
      log.warn("ai_cache_semantic_failed", { stage: "lookup", error: errorName(error) });
      return { keys };
    }
  }

  /** Files a miss's answer (a copy of what the client is sent): run it in `waitUntil`. */
  async store(host: string, lookup: AiCacheLookup, response: Response): Promise<void> {
    if (!storable(response) || !response.body) {
      await response.body?.cancel();
      return;
    }
    let body: Uint8Array;
    try {
      body = await readAtMost(response.body, MAX_ENTRY_BYTES, () => new Error("too large"));
    } catch {
      return; // Over the limit, or the provider's stream failed: nothing to file.
    }
    const contentType = response.headers.get("content-type")!;
    await this.#cache().put(keyUrl(host, lookup.keys.exact), entryOf(body, contentType, this.#settings.ttlSeconds, this.#now()));
    const { semantic } = this.#settings;
    if (!semantic || !lookup.semantic) return;
    try {
      await semantic.index.upsert(lookup.keys.exact, lookup.semantic.vector, lookup.semantic.scope);
    } catch (error) {
      log.warn("ai_cache_semantic_failed", { stage: "store", error: errorName(error) });
    }
  }
}

const keyUrl = (host: string, digest: string) => `https://${host}${AI_KEY_PATH}${digest}`;
