/**
 * An upstream's `load_balancer`: the order in which the proxy tries its endpoints for one
 * request. Built once per upstream when a config is compiled; the state (round-robin position,
 * smooth-weighted counters, in-flight counts) lives in the compiled config, so it is per
 * isolate and a new config version starts afresh.
 *
 * Every balancer orders only the `candidates` it is given (the endpoints the circuit has not
 * ejected), so ejection applies to all of them alike.
 *
 * - `round_robin`: each request starts one endpoint further on.
 * - `random`: a uniformly random first endpoint, then the others in order.
 * - `weighted`: smooth weighted round-robin (as nginx does it): over any run of requests each
 *   endpoint gets its share of weight, spread out rather than in bursts.
 * - `least_conn`: the endpoint with the fewest attempts of this isolate in flight (until the
 *   response body has been passed on; a small body of declared length, until its headers).
 *   Local: other isolates' requests are not seen (README, "Load balancing and retries").
 * - `consistent_hash`: a hash ring with `replicas` virtual nodes per endpoint; the key is a
 *   request header or the client address. Adding an endpoint moves about 1/n of the keys.
 */
export type LoadBalancerName = "round_robin" | "random" | "weighted" | "least_conn" | "consistent_hash";

/** The hash key meaning "the client's address" rather than a header. */
export const CLIENT_IP_KEY = "${client_ip}";

export interface BalancerConfig {
  load_balancer: LoadBalancerName;
  /** The endpoints as written in the config: the ring's names for them. */
  endpoints: readonly string[];
  /** One weight per endpoint (1 for an endpoint written as a string). */
  weights: readonly number[];
  consistent_hash?: { hash_key: string; replicas: number };
}

/** What a balancer may read of the request. */
export interface BalancedRequest {
  header(name: string): string | null;
  clientIp: string | undefined;
}

export interface LoadBalancer {
  /** `candidates` (endpoint indices) in the order to try them. */
  order(candidates: readonly number[], request: BalancedRequest): number[];
  /** An attempt on `index` starts; the returned function, called once it is over, ends it (only least_conn counts). */
  begin(index: number): () => void;
}

const NOTHING = (): void => {};

export function loadBalancer(config: BalancerConfig, random: () => number = Math.random): LoadBalancer {
  const size = config.endpoints.length;
  switch (config.load_balancer) {
    case "random":
      return { order: (candidates) => rotated(candidates, Math.floor(random() * candidates.length)), begin: () => NOTHING };
    case "weighted":
      return smoothWeighted(config.weights);
    case "least_conn":
      return leastConnections(size);
    case "consistent_hash":
      return hashRing(config.endpoints, config.consistent_hash ?? { hash_key: CLIENT_IP_KEY, replicas: 150 });
    default:
      return roundRobin(size);
  }
}

/** `items` starting at position `start`, wrapping around. */
function rotated(items: readonly number[], start: number): number[] {
  return items.map((_, i) => items[(start + i) % items.length]!);
}

function roundRobin(size: number): LoadBalancer {
  let next = 0;
  return {
    order(candidates) {
      const first = next;
      next = (next + 1) % size;
      return rotated(candidates, first % candidates.length);
    },
    begin: () => NOTHING,
  };
}

function smoothWeighted(weights: readonly number[]): LoadBalancer {
  const current = weights.map(() => 0);
  return {
    order(candidates) {
      let total = 0;
      let best = candidates[0]!;
      for (const index of candidates) {
        current[index]! += weights[index]!;
        total += weights[index]!;
        if (current[index]! > current[best]!) best = index;
      }
      current[best]! -= total;
      return [best, ...candidates.filter((index) => index !== best)];
    },
    begin: () => NOTHING,
  };
}

function leastConnections(size: number): LoadBalancer {
  const inFlight = new Array<number>(size).fill(0);
  let next = 0;
  return {
    order(candidates) {
      // Ties go round-robin, so an idle upstream is not all sent to its first endpoint.
      const start = next;
      next = (next + 1) % size;
      return rotated(candidates, start % candidates.length).sort((a, b) => inFlight[a]! - inFlight[b]!);
    },
    begin(index) {
      inFlight[index]! += 1;
      let ended = false;
      return () => {
        if (!ended) inFlight[index]! -= 1;
        ended = true;
      };
    },
  };
}

/**
 * A 32-bit hash: FNV-1a over the UTF-16 code units, then murmur3's finaliser, which spreads
 * near-identical inputs (`node#1`, `node#2`) over the whole ring. Not a defence against a client
 * choosing keys: a client can send one key every time anyway; rate limits bound that.
 */
export function hash32(text: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}

/** Sorted ring points and the endpoint each belongs to. */
export function ringOf(names: readonly string[], replicas: number): { points: Uint32Array; owners: Uint32Array } {
  const entries: [number, number][] = [];
  names.forEach((name, index) => {
    for (let r = 0; r < replicas; r++) entries.push([hash32(`${name}#${r}`), index]);
  });
  entries.sort((a, b) => a[0] - b[0] || a[1] - b[1]);
  return { points: Uint32Array.from(entries, (e) => e[0]), owners: Uint32Array.from(entries, (e) => e[1]) };
}

/** The endpoint order for `key` on a ring: the owners met walking clockwise from its hash, each once. */
export function ringOrder(ring: { points: Uint32Array; owners: Uint32Array }, key: string, candidates: readonly number[]): number[] {
  const wanted = new Set(candidates);
  const h = hash32(key);
  let low = 0;
  let high = ring.points.length;
  while (low < high) {
    const mid = (low + high) >>> 1;
    if (ring.points[mid]! < h) low = mid + 1;
    else high = mid;
  }
  const order: number[] = [];
  for (let step = 0; step < ring.points.length && order.length < wanted.size; step++) {
    const owner = ring.owners[(low + step) % ring.points.length]!;
    if (wanted.has(owner) && !order.includes(owner)) order.push(owner);
  }
  return order;
}

function hashRing(names: readonly string[], { hash_key, replicas }: { hash_key: string; replicas: number }): LoadBalancer {
  // Built over the endpoints' names, so it is the same in every isolate, and an endpoint added
  // anywhere in the list takes keys only for itself.
  const ring = ringOf(names, replicas);
  return {
    order(candidates, request) {
      // A request without the header is keyed by its client address, never sent to one fixed
      // endpoint: leaving the header out cannot pile every such request onto one endpoint.
      const value = hash_key === CLIENT_IP_KEY ? null : request.header(hash_key);
      const key = value === null ? `ip:${request.clientIp ?? ""}` : `header:${value}`;
      return ringOrder(ring, key, candidates);
    },
    begin: () => NOTHING,
  };
}
