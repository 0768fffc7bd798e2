import { LruMap } from "../../http/lru-map";

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
  readonly #tenants = new LruMap<LruMap<string>>(MAX_TENANTS);

  get(tenant: string, hash: string): string | undefined {
    return this.#tenants.get(tenant)?.get(hash);
  }

  set(tenant: string, hash: string, query: string): void {
    if (query.length > MAX_QUERY_LENGTH) return;
    let queries = this.#tenants.get(tenant);
    if (!queries) this.#tenants.set(tenant, (queries = new LruMap(MAX_QUERIES_PER_TENANT)));
    queries.set(hash, query);
  }
}
