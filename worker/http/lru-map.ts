/**
 * A least-recently-used map for the per-isolate memories of the request path (parsed GraphQL
 * documents, registered queries, what the AI checks found in a text): a JavaScript Map keeps
 * insertion order, so a hit moves its key to the end and eviction takes from the front.
 * Bounded by a total weight: each entry's `weightOf` (1 by default: a count of entries, or the
 * key's length for memories keyed by attacker-chosen text).
 *
 * With `refreshOnHit` false the map evicts in insertion order instead (first in, first out): a hit
 * is then one lookup, where moving the key costs two more, each comparing the key again (a long
 * text's every character). For memories whose entries are cheap to make again and looked up far
 * more often than made: an entry in use all along is made again once per `maxWeight` of new ones.
 */
export class LruMap<V> {
  readonly #entries = new Map<string, V>();
  #weight = 0;

  constructor(
    private readonly maxWeight: number,
    private readonly weightOf: (key: string, value: V) => number = () => 1,
    private readonly refreshOnHit = true,
  ) {}

  /** The value under `key`, now the most recently used (with `refreshOnHit`); undefined when absent. */
  get(key: string): V | undefined {
    const value = this.#entries.get(key);
    if (value !== undefined && this.refreshOnHit) {
      this.#entries.delete(key);
      this.#entries.set(key, value);
    }
    return value;
  }

  /** Keeps `value` under `key` as the most recently used, evicting the least recently used past the weight. */
  set(key: string, value: V): void {
    const previous = this.#entries.get(key);
    if (previous !== undefined) {
      this.#entries.delete(key);
      this.#weight -= this.weightOf(key, previous);
    }
    this.#entries.set(key, value);
    this.#weight += this.weightOf(key, value);
    for (const [oldest, kept] of this.#entries) {
      if (this.#weight <= this.maxWeight) break;
      this.#entries.delete(oldest);
      this.#weight -= this.weightOf(oldest, kept);
    }
  }

  get size(): number {
    return this.#entries.size;
  }
}
