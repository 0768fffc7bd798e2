/**
 * One bulkhead per upstream (`BULKHEAD.getByName(upstreamName)`): the concurrency slots of
 * Loom's `upstreams[].bulkhead`, shared by every isolate as leases (worker/policies/bulkhead).
 *
 * An isolate holds a lease of slots and starts requests on them without calling the object; it
 * asks again when it needs more, to give spare ones back, and to renew the lease while it holds
 * slots. The object's one rule: the unexpired leases never add up to more than `max`. A lease
 * expires `ttlMs` after the call that set it, so the slots of an isolate that died come back
 * after at most that long. Leases are stored (SQLite, synchronous KV API) on every change:
 * an eviction or a restart must not forget slots that are in use, or it would grant them twice.
 *
 * The object never waits: an isolate whose need is not met is told so (and every isolate learns
 * that slots are contended, so they give back their spare ones at once) and asks again shortly.
 */
import { DurableObject } from "cloudflare:workers";

export interface LeaseRequest {
  /** The isolate's id, random per isolate. */
  isolate: string;
  /** Slots the isolate needs now: those in use and those its queued requests wait for. */
  need: number;
  /** `need` and the spare slots it would like to hold for the requests to come (0: give everything back). */
  want: number;
  /** `max_concurrent` of the config in force: it travels with every call, so a change applies at the next. */
  max: number;
  /** How long the lease lasts unless renewed. */
  ttlMs: number;
  /** For tests only; production callers omit it and the object uses its own clock. */
  now?: number;
}

export interface LeaseAnswer {
  /** The isolate's lease from now on: at most `want`, and never more than the other leases leave of `max`. */
  slots: number;
  /** Isolates that held or asked for slots within a lease's lifetime, this one included: the queue's share divisor. */
  isolates: number;
  /** Some isolate's need was not met within the last CONTENDED_MS: spare slots are wanted elsewhere. */
  contended: boolean;
}

export interface BulkheadView {
  /** Slots leased out, over all unexpired leases. */
  leased: number;
  isolates: number;
  contended: boolean;
}

interface Lease {
  slots: number;
  expiresAt: number;
}

interface Leases {
  leases: Record<string, Lease>;
  contendedUntil: number;
}

const STATE_KEY = "leases";
/** How long an unmet need makes the object say "contended". */
export const CONTENDED_MS = 1_000;

/** The unexpired leases (refused isolates' empty ones included: they count for the queue's share). */
function unexpired(state: Leases, now: number): Leases {
  const leases = Object.fromEntries(Object.entries(state.leases).filter(([, lease]) => lease.expiresAt > now));
  return { leases, contendedUntil: state.contendedUntil };
}

/** The lease arithmetic, apart from storage: `state` after the request, and the answer. */
export function grant(state: Leases, request: LeaseRequest, now: number): { state: Leases; answer: LeaseAnswer } {
  const next = unexpired(state, now);
  const others = Object.entries(next.leases).reduce((sum, [isolate, lease]) => (isolate === request.isolate ? sum : sum + lease.slots), 0);
  const free = Math.max(0, request.max - others);
  const slots = Math.max(0, Math.min(request.want, free));
  if (slots < request.need) next.contendedUntil = now + CONTENDED_MS;
  if (request.want === 0 && request.need === 0) delete next.leases[request.isolate];
  else next.leases[request.isolate] = { slots, expiresAt: now + request.ttlMs };
  const isolates = Math.max(1, Object.keys(next.leases).length);
  return { state: next, answer: { slots, isolates, contended: next.contendedUntil > now } };
}

export class Bulkhead extends DurableObject<unknown> {
  #state: Leases;

  constructor(ctx: DurableObjectState, env: unknown) {
    super(ctx, env);
    this.#state = ctx.storage.kv.get<Leases>(STATE_KEY) ?? { leases: {}, contendedUntil: 0 };
  }

  /** Sets the calling isolate's lease (see LeaseRequest); never waits. */
  lease(request: LeaseRequest): LeaseAnswer {
    const now = request.now ?? Date.now();
    const { state, answer } = grant(this.#state, request, now);
    this.#state = state;
    // Nothing leased and nobody contending: no storage left behind.
    if (Object.keys(state.leases).length === 0 && state.contendedUntil <= now) this.ctx.storage.kv.delete(STATE_KEY);
    else this.ctx.storage.kv.put(STATE_KEY, state);
    return answer;
  }

  state(now?: number): BulkheadView {
    const at = now ?? Date.now();
    const { leases, contendedUntil } = unexpired(this.#state, at);
    const leased = Object.values(leases).reduce((sum, lease) => sum + lease.slots, 0);
    return { leased, isolates: Object.keys(leases).length, contended: contendedUntil > at };
  }
}
