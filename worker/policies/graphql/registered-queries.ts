/**
 * Queries clients registered with Apollo's automatic persisted queries (a query sent with its
 * hash), kept so a later request may send the hash alone. Per isolate, per tenant, bounded and
 * evicting (least recently used first), and never part of the uploaded allow-list: a client can
 * only save itself bytes with it, never widen what `persisted_queries.required` admits.
 */

/** Queries kept per tenant, and tenants kept per isolate. */
export const MAX_QUERIES_PER_TENANT = 500;
export const MAX_TENANTS = 200;
/** A registered query longer than this is not kept (it is still served when sent in full). */
export const MAX_QUERY_LENGTH = 16 * 1024;

export class RegisteredQueries {
  readonly #tenants = new Map<string, Map<string, string>>();

  get(tenant: string, hash: string): string | undefined {
    const queries = this.#touch(this.#tenants, tenant);
    const query = queries && this.#touch(queries, hash);
    return query;
  }

  set(tenant: string, hash: string, query: string): void {
    if (query.length > MAX_QUERY_LENGTH) return;
    let queries = this.#touch(this.#tenants, tenant);
    if (!queries) {
      queries = new Map();
      this.#tenants.set(tenant, queries);
      evictOldest(this.#tenants, MAX_TENANTS);
    }
    queries.delete(hash);
    queries.set(hash, query);
    evictOldest(queries, MAX_QUERIES_PER_TENANT);
  }

  /** The value under `key`, moved to the most recently used end. */
  #touch<V>(map: Map<string, V>, key: string): V | undefined {
    const value = map.get(key);
    if (value !== undefined) {
      map.delete(key);
      map.set(key, value);
    }
    return value;
  }
}

function evictOldest<V>(map: Map<string, V>, max: number): void {
  for (const key of map.keys()) {
    if (map.size <= max) return;
    map.delete(key);
  }
}
