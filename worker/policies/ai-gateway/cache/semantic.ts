/**
 * Semantic matching: a prompt's embedding, looked up among the embeddings of prompts answered
 * before in the same scope (key.ts), answered from the nearest one's entry when their cosine
 * similarity reaches `similarity_threshold`.
 *
 * In production the embeddings come from Workers AI (`AI` binding, EMBEDDING_MODEL) and live in
 * Vectorize (`AI_CACHE_INDEX` binding: an index of EMBEDDING_DIMENSIONS dimensions, cosine metric),
 * one Vectorize namespace per scope, so a query never sees another tenant's, provider's or
 * model's prompts. Neither runs under `wrangler dev --local` (README, "AI gateway": the exact-match
 * cache runs there; the tests drive this logic with a deterministic embedding stand-in).
 */

/** Workers AI's BGE base model: 768 dimensions, inputs up to 512 tokens. */
export const EMBEDDING_MODEL = "@cf/baai/bge-base-en-v1.5";
export const EMBEDDING_DIMENSIONS = 768;
/**
 * Prompts longer than this are matched exactly only: the model reads at most 512 tokens, and two
 * long prompts that share their first 512 tokens would look identical to it.
 */
export const MAX_SEMANTIC_PROMPT_CHARS = 1500;

export interface Embedder {
  embed(text: string): Promise<number[]>;
}

export interface VectorMatch {
  id: string;
  score: number;
}

export interface VectorIndex {
  /** The nearest vector of `namespace`, if any. */
  nearest(vector: number[], namespace: string): Promise<VectorMatch | undefined>;
  upsert(id: string, vector: number[], namespace: string): Promise<void>;
}

export interface SemanticMatcher {
  embedder: Embedder;
  index: VectorIndex;
  threshold: number;
}

/** The `AI` binding's embedding model. */
export function workersAiEmbedder(ai: Ai): Embedder {
  return {
    async embed(text) {
      const output = (await ai.run(EMBEDDING_MODEL, { text: [text] })) as { data?: number[][] };
      const vector = output.data?.[0];
      if (!Array.isArray(vector) || vector.length !== EMBEDDING_DIMENSIONS) throw new Error("Workers AI returned no embedding");
      return vector;
    },
  };
}

/** A Vectorize index (cosine metric): scores are cosine similarities. */
export function vectorizeIndex(index: Vectorize): VectorIndex {
  return {
    async nearest(vector, namespace) {
      const { matches } = await index.query(vector, { topK: 1, namespace, returnValues: false, returnMetadata: "none" });
      const [best] = matches;
      return best ? { id: best.id, score: best.score } : undefined;
    },
    async upsert(id, vector, namespace) {
      await index.upsert([{ id, values: vector, namespace }]);
    },
  };
}

/** Cosine similarity of two vectors of one length; 0 when either is all zeros. */
export function cosineSimilarity(a: readonly number[], b: readonly number[]): number {
  if (a.length !== b.length) throw new Error("vectors of different lengths");
  let dot = 0;
  let normA = 0;
  let normB = 0;
  for (let i = 0; i < a.length; i++) {
    dot += a[i]! * b[i]!;
    normA += a[i]! * a[i]!;
    normB += b[i]! * b[i]!;
  }
  return normA === 0 || normB === 0 ? 0 : dot / Math.sqrt(normA * normB);
}
