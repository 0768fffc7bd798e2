/**
 * A deterministic stand-in for Workers AI's embeddings and for Vectorize (neither runs locally):
 * word and word-pair features hashed into 256 dimensions (the hashing trick), and an in-memory
 * index scored by cosine similarity, as a Vectorize index with the cosine metric scores.
 * Prompts with the same words in a similar order score near 1; unrelated ones near 0.
 */
import { cosineSimilarity, type Embedder, type VectorIndex, type VectorMatch } from "./semantic";

const DIMENSIONS = 256;

function bucket(feature: string): number {
  let hash = 2166136261;
  for (let i = 0; i < feature.length; i++) hash = Math.imul(hash ^ feature.charCodeAt(i), 16777619);
  return (hash >>> 0) % DIMENSIONS;
}

export class StandInEmbedder implements Embedder {
  readonly calls: string[] = [];
  failing = false;

  async embed(text: string): Promise<number[]> {
    this.calls.push(text);
    if (this.failing) throw new Error("embedding service down");
    const vector = new Array<number>(DIMENSIONS).fill(0);
    const words = text.toLowerCase().match(/[\p{L}\p{N}]+/gu) ?? [];
    words.forEach((word, i) => {
      vector[bucket(word)]! += 1;
      if (i > 0) vector[bucket(`${words[i - 1]} ${word}`)]! += 1;
    });
    return vector;
  }
}

export class InMemoryIndex implements VectorIndex {
  readonly namespaces = new Map<string, Map<string, number[]>>();
  failing = false;

  async nearest(vector: number[], namespace: string): Promise<VectorMatch | undefined> {
    if (this.failing) throw new Error("index down");
    let best: VectorMatch | undefined;
    for (const [id, values] of this.namespaces.get(namespace) ?? []) {
      const score = cosineSimilarity(vector, values);
      if (!best || score > best.score) best = { id, score };
    }
    return best;
  }

  async upsert(id: string, vector: number[], namespace: string): Promise<void> {
    if (this.failing) throw new Error("index down");
    let space = this.namespaces.get(namespace);
    if (!space) this.namespaces.set(namespace, (space = new Map()));
    space.set(id, vector);
  }
}
