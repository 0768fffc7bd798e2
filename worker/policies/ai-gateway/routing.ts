/**
 * `routing_strategy`: the order in which a request tries the providers. The first is the pick;
 * the rest are its fallbacks, tried in turn after a connection failure, a timeout, a 429 or a
 * 5xx (forward.ts).
 *
 * - priority: lowest `priority` first (as DNS SRV records, RFC 2782), ties in list order.
 * - round_robin: each request starts one provider further along the list (per isolate), the
 *   rest following in list order, wrapping round.
 * - weighted: the first drawn at random in proportion to `weight`, the rest by priority.
 * - cost_optimized: cheapest `cost_per_1k` first (a provider without one last), ties by priority.
 * - latency_optimized: providers never measured in this isolate first (by priority), so each gets
 *   measured, then by an exponentially weighted moving average of the time to response headers
 *   (each new measure weighs ALPHA). A failed attempt counts as the provider's whole timeout, so
 *   a failing provider sorts last instead of looking fast.
 *
 * State (the round-robin counter, the averages) is per isolate and per config version: nothing
 * is shared between Cloudflare's data centres or isolates, and a new config starts afresh.
 */
import type { RoutingStrategy } from "./schema";
import type { ProviderTarget } from "./providers";

/** Weight of the newest measure in the latency average. */
const ALPHA = 0.3;

export interface ProviderRouting {
  /** The providers to try, first the pick. */
  order(): ProviderTarget[];
  /** How long `target` took to answer with headers (or, failing, its timeout). */
  measured(target: ProviderTarget, ms: number): void;
}

const byPriority = (a: ProviderTarget, b: ProviderTarget) => a.priority - b.priority || a.index - b.index;

export function providerRouting(strategy: RoutingStrategy, targets: readonly ProviderTarget[], random: () => number): ProviderRouting {
  const prioritised = [...targets].sort(byPriority);
  const latency = new Map<ProviderTarget, number>();
  const measured = (target: ProviderTarget, ms: number) => {
    if (strategy !== "latency_optimized") return;
    const average = latency.get(target);
    latency.set(target, average === undefined ? ms : average + ALPHA * (ms - average));
  };
  switch (strategy) {
    case "priority":
      return { order: () => prioritised, measured };
    case "round_robin": {
      let next = 0;
      return {
        order: () => {
          const start = next;
          next = (next + 1) % targets.length;
          return [...targets.slice(start), ...targets.slice(0, start)];
        },
        measured,
      };
    }
    case "weighted": {
      const total = targets.reduce((sum, target) => sum + target.weight, 0);
      return {
        order: () => {
          let draw = random() * total;
          const pick = targets.find((target) => (draw -= target.weight) < 0) ?? targets[targets.length - 1]!;
          return [pick, ...prioritised.filter((target) => target !== pick)];
        },
        measured,
      };
    }
    case "cost_optimized": {
      const cheapest = [...targets].sort((a, b) => (a.costPer1k ?? Infinity) - (b.costPer1k ?? Infinity) || byPriority(a, b));
      return { order: () => cheapest, measured };
    }
    case "latency_optimized":
      return {
        order: () => {
          const unmeasured = prioritised.filter((target) => !latency.has(target));
          const fastest = prioritised.filter((target) => latency.has(target)).sort((a, b) => latency.get(a)! - latency.get(b)!);
          return [...unmeasured, ...fastest];
        },
        measured,
      };
  }
}
