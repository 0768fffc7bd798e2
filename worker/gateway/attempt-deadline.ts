/**
 * What an upstream's `timeout` bounds for one attempt: the wait for the response headers, then
 * every wait for a body chunk, never the whole body. A download or an event stream that keeps
 * sending is never cut, however long it lasts; one that falls silent for `timeout` is. Only the
 * gateway's waits on the upstream count: while a chunk sits unread because the client reads
 * slowly, the upstream is not idle, and the clock does not run.
 *
 * One timer per attempt, never one per chunk: a wait and an arrival only stamp the time, and
 * when the timer fires it re-arms itself for what is left of the current wait, or, if that wait
 * has lasted the whole timeout, expires. So a body with a chunk every 100 ms under a 10 s
 * timeout costs one timer callback every 10 s.
 *
 * Expiring calls the body's `onExpire` hook (which errors the stream the client reads) and
 * aborts the attempt's signal (the runtime's fetch then rejects, or drops the connection of a
 * body already streaming).
 */
const NOT_WAITING = -1;

export class AttemptDeadline {
  readonly #controller = new AbortController();
  readonly #timeoutMs: number;
  #timer: ReturnType<typeof setTimeout>;
  /** Since when the gateway waits for the upstream (headers first); NOT_WAITING between waits. */
  #waitingSince = Date.now();
  /** Called on expiry, to error the client's stream. */
  onExpire: (() => void) | undefined;

  constructor(timeoutMs: number) {
    this.#timeoutMs = timeoutMs;
    this.#timer = setTimeout(this.#fire, timeoutMs);
  }

  /** The signal of the attempt's upstream request. */
  get signal(): AbortSignal {
    return this.#controller.signal;
  }

  get expired(): boolean {
    return this.#controller.signal.aborted;
  }

  /** The gateway starts waiting for the upstream (the client asked for the next chunk). */
  wait(): void {
    this.#waitingSince = Date.now();
  }

  /** The headers or a chunk arrived: no wait until the next `wait()`. */
  arrived(): void {
    this.#waitingSince = NOT_WAITING;
  }

  /** The attempt is over (failed, body ended, cut or cancelled, no body): nothing to watch. */
  stop(): void {
    clearTimeout(this.#timer);
    this.onExpire = undefined;
  }

  readonly #fire = (): void => {
    const waited = this.#waitingSince === NOT_WAITING ? 0 : Date.now() - this.#waitingSince;
    if (waited < this.#timeoutMs) {
      this.#timer = setTimeout(this.#fire, this.#timeoutMs - waited);
      return;
    }
    this.onExpire?.();
    this.onExpire = undefined;
    this.#controller.abort(new DOMException("The upstream did not answer within its timeout.", "TimeoutError"));
  };
}
