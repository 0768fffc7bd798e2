/**
 * What an upstream's `timeout` bounds for one attempt: the wait for the response headers, then
 * every wait for a body chunk, never the whole body. A download or an event stream that keeps
 * sending is never cut, however long it lasts; one that falls silent for `timeout` is. Only the
 * gateway's waits on the upstream count: while a chunk sits unread because the client reads
 * slowly, the upstream is not idle, and the clock does not run.
 *
 * At most one timer per attempt, never one per chunk: a wait and an arrival only stamp the
 * time. When the timer fires during a wait it re-arms itself for what is left of it, or, if
 * the wait has lasted the whole timeout, expires; between waits it lapses, and the next wait
 * arms it again. So a body with a chunk every 100 ms under a 10 s timeout costs one timer
 * callback every 10 s, and a body nobody reads keeps no timer going.
 *
 * Expiring calls the body's `onExpire` hook (which errors the stream the client reads) and
 * aborts the attempt's signal (the runtime's fetch then rejects, or drops the connection of a
 * body already streaming).
 */
const NOT_WAITING = -1;

export class AttemptDeadline {
  readonly #controller = new AbortController();
  readonly #timeoutMs: number;
  #timer: ReturnType<typeof setTimeout> | undefined;
  /** Since when the gateway waits for the upstream (headers first); NOT_WAITING between waits. */
  #waitingSince = Date.now();
  /** Called on expiry, to error the client's stream. */
  onExpire: (() => void) | undefined;
  /**
   * Called once, when the gateway is done with the attempt: it failed, or its body ended, was
   * cut or cancelled, or was handed to the runtime whole (`boundWhole`). least_conn counts an
   * attempt as in flight until then.
   */
  onOver: (() => void) | undefined;

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
    this.#timer ??= setTimeout(this.#fire, this.#timeoutMs);
  }

  /** A chunk arrived: no wait until the next `wait()`. A stamp; the timer lapses by itself. */
  arrived(): void {
    this.#waitingSince = NOT_WAITING;
  }

  /** The headers arrived: the first wait is over, and no timer runs until the body is asked for. */
  responded(): void {
    this.#waitingSince = NOT_WAITING;
    clearTimeout(this.#timer);
    this.#timer = undefined;
  }

  /**
   * The headers of a small body of declared length arrived, and it is passed on natively (no
   * per-chunk watch): it must end within the timeout from now. The runtime's own timer aborts
   * the attempt then, which cuts such a body still in transit and does nothing to one that
   * ended; no JS timer is left behind.
   */
  boundWhole(): void {
    this.responded();
    this.#over();
    AbortSignal.timeout(this.#timeoutMs).addEventListener("abort", () =>
      this.#controller.abort(new DOMException("The upstream body did not end within its timeout.", "TimeoutError")),
    );
  }

  /** The attempt is over (failed, body ended, cut or cancelled, no body): nothing to watch. */
  stop(): void {
    this.responded();
    this.onExpire = undefined;
    this.#over();
  }

  #over(): void {
    const hook = this.onOver;
    this.onOver = undefined;
    hook?.();
  }

  readonly #fire = (): void => {
    this.#timer = undefined;
    if (this.#waitingSince === NOT_WAITING) return;
    const waited = Date.now() - this.#waitingSince;
    if (waited < this.#timeoutMs) {
      this.#timer = setTimeout(this.#fire, this.#timeoutMs - waited);
      return;
    }
    this.onExpire?.();
    this.onExpire = undefined;
    this.#controller.abort(new DOMException("The upstream did not answer within its timeout.", "TimeoutError"));
  };
}
