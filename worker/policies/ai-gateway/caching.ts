/**
 * `ai_gateway.cache` in the AI gateway's step: which requests the AI cache (cache/) serves, under
 * which key, and which answers it keeps.
 *
 * - Looked up after the content checks (a request they refuse is never answered from the cache)
 *   and before the budgets (a hit costs no tokens): recognised requests that do not stream.
 * - The key's provider is the route's pinned provider, or every provider the route may use: a
 *   routed request may be answered by any of them, so an entry is shared between them.
 * - A 200 answer is stored as the client gets it (masked, when `pii_responses` masks it), from a
 *   copy, after the response. Looked-up answers carry `X-Cache: HIT` or `MISS`.
 * - Semantic matching needs the `AI` and `AI_CACHE_INDEX` bindings (wrangler.toml); without them
 *   (a local `wrangler dev --local`, a deploy that left them out) the cache matches exactly, and
 *   says so once per config version in the log.
 */
import type { Context } from "hono";
import type { AppEnv, Env } from "../../env";
import { targetOf } from "../../http/request-target";
import { log } from "../../observability/logger";
import { AiCache, cachedRequest, vectorizeIndex, workersAiEmbedder, type AiCacheLookup, type SemanticMatcher } from "./cache";
import type { ReadRequest } from "./checks";
import type { AiCacheConfig } from "./schema";

export interface CachedRequest {
  cache: AiCache;
  host: string;
  lookup: AiCacheLookup;
}

function semanticMatcher(env: Env, threshold: number): SemanticMatcher | undefined {
  if (!env.AI || !env.AI_CACHE_INDEX) {
    log.warn("ai_cache_semantic_unavailable", { reason: "the AI and AI_CACHE_INDEX bindings are not both set: exact matches only" });
    return undefined;
  }
  return { embedder: workersAiEmbedder(env.AI), index: vectorizeIndex(env.AI_CACHE_INDEX), threshold };
}

/** The cache of a config version, built by its first request (the bindings come with a request); undefined when off. */
export function aiCacheOf(config: AiCacheConfig | undefined): ((env: Env) => AiCache) | undefined {
  if (!config?.enabled) return undefined;
  let cache: AiCache | undefined;
  return (env) =>
    (cache ??= new AiCache({
      ttlSeconds: Math.ceil(config.default_ttl / 1000),
      varyByHeaders: config.vary_by_headers,
      semantic: config.semantic_matching ? semanticMatcher(env, config.similarity_threshold) : undefined,
    }));
}

/** The lookup of a request the cache serves (a hit in `lookup.hit`), or undefined for one it does not. */
export async function lookUp(
  c: Context<AppEnv>,
  cacheOf: ((env: Env) => AiCache) | undefined,
  provider: string,
  read: ReadRequest | undefined,
): Promise<CachedRequest | undefined> {
  if (!cacheOf || !read?.ok || !cachedRequest(read.request)) return undefined;
  const cache = cacheOf(c.env);
  const target = targetOf(c);
  const host = target.authority.toLowerCase();
  const path = `${c.get("route")!.forwardPath}${target.query}`;
  const lookup = await cache.lookup(host, {
    tenant: c.get("tenant"),
    provider,
    path,
    body: read.body,
    recognised: read.request,
    headers: c.req.raw.headers,
  });
  return { cache, host, lookup };
}

/** The answer to a looked-up request that missed: `X-Cache: MISS`, and a 200 filed from a copy after the response. */
export function filed(c: Context<AppEnv>, cached: CachedRequest, response: Response): Response {
  const answer = new Response(response.body, response);
  answer.headers.set("X-Cache", "MISS");
  if (answer.status !== 200) return answer;
  c.executionCtx.waitUntil(cached.cache.store(cached.host, cached.lookup, answer.clone()));
  return answer;
}
