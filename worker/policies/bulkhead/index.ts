/**
 * Bulkheads (Loom `upstreams[].bulkhead`): at most `max_concurrent` requests in flight to an
 * upstream at once across every isolate, on leases of the upstream's Bulkhead object
 * (durable-objects/bulkhead.ts), as the rate limiter leases tokens.
 *
 * - A request holds a slot from before the upstream call (this step runs after the circuit
 *   breaker, before the vault's credential and the proxy) until the response body has been
 *   passed on whole, the client cancelled it or went away, or it failed; a gateway error answer
 *   releases it at once. Retries of one request stay on its one slot.
 * - Each isolate holds a lease: slots it starts requests on without calling the object. It asks
 *   the object (one call in flight at a time, requests join it) when its requests need more, to
 *   give back slots it no longer needs (at once when the object says others wait for slots,
 *   which it asks every SPARE_CHECK_MS while it holds spare ones; all of them once idle for
 *   IDLE_RETURN_MS; otherwise it keeps up to twice `max_concurrent / 8`, rounded up, as spares),
 *   and to renew the lease while it holds slots (each holder renews it from its waitUntil, so it
 *   never lapses under a slow answer or a long download). While a call is in flight the isolate starts no more
 *   requests than it asked to keep, so a lease that shrinks is never overrun.
 * - Over the limit a request waits in the isolate's FIFO queue, bounded by the isolate's share of
 *   `queue_size` (divided by the isolates the object knows, rounded up; one isolate: exact);
 *   queued requests ask the object again every POLL_MS. A request still waiting after `timeout`
 *   is refused with 503 `bulkhead_full`; one that finds the queue full is refused as soon as the
 *   object's next answer has no slot for it (one round trip; it joins the call in flight, if
 *   any, since another isolate may have given slots back); a waiter whose client went away leaves.
 * - The object failing: fail closed. A bulkhead protects the origin, and admitting without the
 *   object could exceed the limit it exists for. Slots already leased are used until the lease
 *   expires; requests that need the object are refused with 503 `bulkhead_unavailable`
 *   (Retry-After: 1), and for a second the object is left alone.
 * - A lease lasts LEASE_TTL_MS from the call that set it (counted by the isolate from before it
 *   sent the call, less CLOCK_MARGIN_MS for the clocks' skew, so it ends there first): the slots of an isolate that died come back after
 *   at most that long. An isolate whose renewals fail keeps the requests it started until they
 *   end, but starts none on an expired lease.
 */
import type { Context, MiddlewareHandler } from "hono";
import type { Bulkhead, LeaseAnswer } from "../../../durable-objects/bulkhead";
import type { AppEnv, Env } from "../../env";
import { passThrough } from "../../http/chain";
import { retryLater } from "../../http/errors";
import { errorName, log } from "../../observability/logger";
import type { BulkheadConfig } from "./schema";

export interface BulkheadOptions {
  upstreams: readonly { name: string; bulkhead?: BulkheadConfig }[];
  /** Which namespace holds the bulkheads; tests wrap it to count or fail calls. */
  namespace?: (env: Env) => DurableObjectNamespace<Bulkhead>;
  /** The isolate's slot pools; by default one set per isolate, kept across config versions. */
  pools?: SlotPools;
  clock?: () => number;
}

export const LEASE_TTL_MS = 10_000;
/** Queued requests ask the object again this often (jittered ±25 %) while no slot is free. */
export const POLL_MS = 100;
/** An isolate holding spare slots asks this often whether other isolates wait for them. */
export const SPARE_CHECK_MS = 250;
/** An isolate with nothing in flight gives its spare slots back after this long. */
export const IDLE_RETURN_MS = 1_000;
/** The lease ends this much earlier here than at the object: their clocks are different machines' clocks. */
const CLOCK_MARGIN_MS = 1_000;
/** A failed call leaves the object alone this long: requests that need it are refused meanwhile. */
const FAILURE_PAUSE_MS = 1_000;
/** A call in flight this long is taken as lost (its request's context ended): the next request makes its own. */
const ABANDONED_CALL_MS = 5_000;

interface Waiter {
  /** A call to the object was sent since it queued: its answer may refuse it (a full queue). */
  asked: boolean;
  /** Hands the waiter a slot. */
  admit(): void;
  refuse(error: Error): void;
}

/** One isolate's side of one upstream's bulkhead. */
class SlotPool {
  /** Slots of the lease, and until when (the isolate's clock). */
  lease = 0;
  expiresAt = 0;
  inUse = 0;
  readonly queue: Waiter[] = [];
  /** The call in flight: when it was sent and the `want` it carries (what the isolate may use meanwhile). */
  call: { sentAt: number; want: number } | undefined;
  /** The last answer's word. */
  isolates = 1;
  contended = false;
  answeredAt = -Infinity;
  failedAt = -Infinity;
  /** A spare check is scheduled (checkSpares). */
  checking = false;
  releasedAt = -Infinity;

  /** Slots requests may start on now. */
  usable(now: number): number {
    if (now >= this.expiresAt) return 0;
    return this.call ? Math.min(this.lease, this.call.want) : this.lease;
  }
}

/** The isolate's slot pools, by upstream name, and its id for the objects. */
export class SlotPools {
  readonly #pools = new Map<string, SlotPool>();
  #isolate: string | undefined;

  pool(upstream: string): SlotPool {
    let pool = this.#pools.get(upstream);
    if (!pool) this.#pools.set(upstream, (pool = new SlotPool()));
    return pool;
  }

  /** Random per isolate; made on first use (no randomness at global scope in Workers). */
  get isolate(): string {
    return (this.#isolate ??= crypto.randomUUID());
  }
}

const isolatePools = new SlotPools();

function bulkheadFull(message: string): Error {
  return retryLater("bulkhead_full", message, 1);
}

function unavailable(): Error {
  return retryLater("bulkhead_unavailable", "the upstream's concurrency limit cannot be checked right now; retry shortly", 1);
}

function jittered(ms: number): number {
  return ms * (0.75 + Math.random() * 0.5);
}

/** A sleep that `cancel` ends early. */
function cancellableSleep(ms: number): { done: Promise<void>; cancel(): void } {
  let cancel = (): void => {};
  const done = new Promise<void>((resolve) => {
    const timer = setTimeout(resolve, ms);
    cancel = () => {
      clearTimeout(timer);
      resolve();
    };
  });
  return { done, cancel };
}

/**
 * `body` as the client reads it; `done` is called once, when it ended, failed or was cancelled.
 * Read on demand (no read-ahead), like the proxy's own body watch.
 */
function untilPassedOn(body: ReadableStream<Uint8Array>, done: () => void): ReadableStream<Uint8Array> {
  const reader = body.getReader();
  return new ReadableStream<Uint8Array>(
    {
      async pull(controller) {
        let chunk: ReadableStreamReadResult<Uint8Array>;
        try {
          chunk = await reader.read();
        } catch (error) {
          done();
          throw error;
        }
        if (!chunk.done) return controller.enqueue(chunk.value);
        done();
        controller.close();
      },
      cancel(reason) {
        done();
        return reader.cancel(reason);
      },
    },
    { highWaterMark: 0 },
  );
}

export const bulkhead = (options: BulkheadOptions): MiddlewareHandler<AppEnv> => {
  const configs = new Map<string, BulkheadConfig>();
  for (const upstream of options.upstreams) if (upstream.bulkhead?.enabled) configs.set(upstream.name, upstream.bulkhead);
  if (configs.size === 0) return passThrough;
  const namespace = options.namespace ?? ((env: Env) => env.BULKHEAD);
  const pools = options.pools ?? isolatePools;
  const clock = options.clock ?? Date.now;

  /** Spare slots an isolate keeps while nobody else waits: its share of a handful of isolates. */
  const spares = (config: BulkheadConfig): number => Math.ceil(config.max_concurrent / 8);

  /** Hands free slots to the queue in order. */
  function serveQueue(pool: SlotPool): void {
    const now = clock();
    while (pool.queue.length > 0 && pool.inUse < pool.usable(now)) {
      pool.inUse += 1;
      pool.queue.shift()!.admit();
    }
  }

  /**
   * After an answer: refuses the waiters beyond the isolate's share of the queue that the call
   * asked for (a later one may still be served by the next answer, another isolate may have
   * given slots back meanwhile).
   */
  function refuseOverflow(pool: SlotPool, config: BulkheadConfig): void {
    const share = Math.ceil(config.queue_size / pool.isolates);
    const overflow = pool.queue.slice(share).filter((waiter) => waiter.asked);
    if (overflow.length === 0) return;
    pool.queue.splice(0, pool.queue.length, ...pool.queue.filter((waiter) => !overflow.includes(waiter)));
    for (const waiter of overflow) waiter.refuse(bulkheadFull("the upstream's concurrency limit is reached and its queue is full"));
  }

  /**
   * A call whose answer will not be read (it failed, or was taken as lost): the object may have
   * set the lease to as little as min(the lease, its `want`) and given the rest away, so the
   * isolate assumes that much (never more than the object may have recorded).
   */
  function unanswered(pool: SlotPool, call: { want: number }): void {
    pool.lease = Math.min(pool.lease, call.want);
  }

  function adopt(pool: SlotPool, answer: LeaseAnswer, sentAt: number): void {
    pool.lease = answer.slots;
    pool.expiresAt = sentAt + LEASE_TTL_MS - CLOCK_MARGIN_MS;
    pool.isolates = answer.isolates;
    pool.contended = answer.contended;
    pool.answeredAt = clock();
  }

  /**
   * Exchanges with the object until its lease fits what it needs: one call at a time (others
   * join), again every POLL_MS while requests queue. The loop runs in `c`'s waitUntil, so it
   * carries on if that request ends first.
   */
  function sync(c: Context<AppEnv>, upstream: string, pool: SlotPool, config: BulkheadConfig, idle = false): void {
    if (pool.call && clock() - pool.call.sentAt < ABANDONED_CALL_MS) return;
    if (clock() - pool.failedAt < FAILURE_PAUSE_MS) return;
    const run = async (): Promise<void> => {
      for (;;) {
        const need = pool.inUse + pool.queue.length;
        const want = Math.min(config.max_concurrent, need + (pool.contended || idle ? 0 : spares(config)));
        for (const waiter of pool.queue) waiter.asked = true;
        const call = { sentAt: clock(), want };
        if (pool.call) unanswered(pool, pool.call);
        pool.call = call;
        try {
          const answer = await namespace(c.env).getByName(upstream).lease({
            isolate: pools.isolate,
            need,
            want,
            max: config.max_concurrent,
            ttlMs: LEASE_TTL_MS,
          });
          if (pool.call !== call) return; // Taken as lost meanwhile; a newer call decides.
          adopt(pool, answer, call.sentAt);
        } catch (error) {
          if (pool.call !== call) return;
          unanswered(pool, call);
          pool.call = undefined;
          pool.failedAt = clock();
          log.warn("bulkhead_unavailable", {
            upstream,
            name: errorName(error),
            overloaded: (error as { overloaded?: unknown } | null)?.overloaded === true,
          });
          for (const waiter of pool.queue.splice(0)) waiter.refuse(unavailable());
          return;
        }
        pool.call = undefined;
        serveQueue(pool);
        refuseOverflow(pool, config);
        if (pool.queue.length === 0) {
          // Requests that ended during the call left spare slots another isolate waits for: once more for them.
          if (pool.contended && pool.lease > pool.inUse) continue;
          return;
        }
        // Requests that queued during the call were not asked for: at once. Else poll.
        if (pool.queue.every((waiter) => waiter.asked)) await new Promise((resolve) => setTimeout(resolve, jittered(POLL_MS)));
        if (pool.queue.length === 0) return;
      }
    };
    c.executionCtx.waitUntil(run());
  }

  /** After a release: give back what others need now, or, once idle, what nobody here uses. */
  function giveBack(c: Context<AppEnv>, upstream: string, pool: SlotPool, config: BulkheadConfig): void {
    pool.releasedAt = clock();
    if (pool.queue.length > 0) return;
    // Not contended: up to twice the spares stay, so steady traffic does not call per request.
    if (pool.lease - pool.inUse > (pool.contended ? 0 : 2 * spares(config))) return sync(c, upstream, pool, config);
    if (pool.lease > pool.inUse) checkSpares(c, upstream, pool, config);
  }

  /**
   * While the isolate holds spare slots, it asks every SPARE_CHECK_MS whether another isolate
   * waits for them (it is told nothing otherwise; a contended answer makes it give them back),
   * and gives everything back once nothing was in flight for IDLE_RETURN_MS. One timer at a
   * time, in the waitUntil of the request that released last.
   */
  function checkSpares(c: Context<AppEnv>, upstream: string, pool: SlotPool, config: BulkheadConfig): void {
    if (pool.checking) return;
    pool.checking = true;
    c.executionCtx.waitUntil(
      new Promise((resolve) => setTimeout(resolve, SPARE_CHECK_MS)).then(() => {
        pool.checking = false;
        // An expired lease has nothing to give back: the object forgot it.
        if (pool.queue.length > 0 || pool.lease <= pool.inUse || clock() >= pool.expiresAt) return;
        const idle = pool.inUse === 0 && clock() - pool.releasedAt >= IDLE_RETURN_MS;
        if (idle || clock() - pool.answeredAt >= SPARE_CHECK_MS) sync(c, upstream, pool, config, idle);
        if (!idle) checkSpares(c, upstream, pool, config);
      }),
    );
  }

  function renewIfDue(c: Context<AppEnv>, upstream: string, pool: SlotPool, config: BulkheadConfig): void {
    if (pool.expiresAt - clock() < LEASE_TTL_MS / 2) sync(c, upstream, pool, config);
  }

  /**
   * The slot a request holds, and the function that frees it (once; later calls do nothing).
   * Freed also when the client goes away (the request's signal, `enable_request_signal`): the
   * runtime then drops the request's own I/O, the upstream call included, and no code after
   * it runs, so neither an error nor the body's end would free the slot. The holder's
   * waitUntil, which the runtime keeps going after the disconnect, lets that listener run, and
   * renews the lease while the slot is held (a slow answer or a long download never outlives it).
   */
  function holdSlot(c: Context<AppEnv>, upstream: string, pool: SlotPool, config: BulkheadConfig): () => void {
    const signal = c.req.raw.signal;
    let released = false;
    let stopWaiting = (): void => {};
    const release = (): void => {
      if (released) return;
      released = true;
      signal?.removeEventListener("abort", release);
      stopWaiting();
      pool.inUse -= 1;
      serveQueue(pool);
      giveBack(c, upstream, pool, config);
    };
    if (signal?.aborted) release();
    signal?.addEventListener("abort", release);
    c.executionCtx.waitUntil(
      (async () => {
        while (!released) {
          const tick = cancellableSleep(LEASE_TTL_MS / 4);
          stopWaiting = tick.cancel;
          await tick.done;
          if (!released) renewIfDue(c, upstream, pool, config);
        }
      })(),
    );
    return release;
  }

  /** Resolves once the request holds a slot; rejects with the 503 that refuses it. */
  async function acquire(c: Context<AppEnv>, upstream: string, pool: SlotPool, config: BulkheadConfig): Promise<void> {
    const now = clock();
    if (pool.queue.length === 0 && pool.inUse < pool.usable(now)) {
      pool.inUse += 1;
      renewIfDue(c, upstream, pool, config);
      return;
    }
    if (now - pool.failedAt < FAILURE_PAUSE_MS) throw unavailable();
    const signal = c.req.raw.signal;
    await new Promise<void>((resolve, reject) => {
      const leave = (): boolean => {
        const index = pool.queue.indexOf(waiter);
        if (index < 0) return false;
        pool.queue.splice(index, 1);
        return true;
      };
      const timer = setTimeout(() => {
        if (leave())
          finish(() => reject(bulkheadFull(`no slot of the upstream's concurrency limit came free within ${config.timeout} ms`)));
      }, config.timeout);
      const onAbort = (): void => {
        if (leave()) finish(() => reject(bulkheadFull("the client went away while queued")));
      };
      const finish = (settle: () => void): void => {
        clearTimeout(timer);
        signal?.removeEventListener("abort", onAbort);
        settle();
      };
      const waiter: Waiter = { asked: false, admit: () => finish(resolve), refuse: (error) => finish(() => reject(error)) };
      pool.queue.push(waiter);
      signal?.addEventListener("abort", onAbort);
      sync(c, upstream, pool, config);
    });
  }

  return async function bulkhead(c, next) {
    const upstream = c.get("route")?.config.upstream;
    const config = upstream === undefined ? undefined : configs.get(upstream);
    if (upstream === undefined || !config) return next();
    const pool = pools.pool(upstream);
    await acquire(c, upstream, pool, config);
    const release = holdSlot(c, upstream, pool, config);
    try {
      await next();
    } catch (error) {
      release();
      throw error;
    }
    const response = c.res;
    if (!response.body) {
      release();
      return;
    }
    // Unset first: Hono would otherwise copy the old response's headers into the new one.
    c.res = undefined;
    c.res = new Response(untilPassedOn(response.body, release), response);
  };
};
