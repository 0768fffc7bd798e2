/**
 * What an upstream's `timeout` bounds for one attempt: the wait for the response headers, then
 * every gap between body chunks, never the whole body. A download or an event stream that keeps
 * sending is never cut; one that falls silent for `timeout` is.
 *
 * One timer per attempt, never one per chunk: a chunk only stamps the time, and when the timer
 * fires during the body it re-arms itself for the rest of the gap since the last chunk, or, if
 * that gap has lasted the whole timeout, expires. So a body with a chunk every 100 ms under a
 * 10 s timeout costs one timer callback every 10 s.
 *
 * Expiring aborts the attempt's signal (the runtime's fetch then rejects, or drops the
 * connection of a body already streaming) and calls the body's `onExpire` hook, which errors
 * the stream the client reads.
 */
export class AttemptDeadline {
  readonly #controller = new AbortController();
  readonly #timeoutMs: number;
  #timer: ReturnType<typeof setTimeout>;
  /** When the last sign of life (headers, a chunk) came; 0 while waiting for the headers. */
  #lastActivity = 0;
  /** Called on expiry during the body, to error the client's stream. */
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

  /** The headers or a chunk arrived: the idle gap starts again. A time stamp, no timer work. */
  touch(): void {
    this.#lastActivity = Date.now();
  }

  /** The attempt is over (failed, body ended or cancelled, no body): nothing to watch. */
  stop(): void {
    clearTimeout(this.#timer);
    this.onExpire = undefined;
  }

  readonly #fire = (): void => {
    const idle = this.#lastActivity === 0 ? this.#timeoutMs : Date.now() - this.#lastActivity;
    if (idle < this.#timeoutMs) {
      this.#timer = setTimeout(this.#fire, this.#timeoutMs - idle);
      return;
    }
    this.onExpire?.();
    this.onExpire = undefined;
    this.#controller.abort(new DOMException("The upstream did not answer within its timeout.", "TimeoutError"));
  };
}
