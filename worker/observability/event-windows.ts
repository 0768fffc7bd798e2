/**
 * Repeated events counted per isolate instead of recorded one by one. The first occurrence of
 * an id opens a window; later ones only count; when the window closes, one aggregate (the
 * first occurrence's facts, the count, the first and last time) goes to the sink, in the
 * waitUntil of the request that opened the window, whose context the sink receives (its
 * response is long sent). A flood of a million refusals on one key is a handful of events (one
 * per isolate per window), not a million rows.
 *
 * The window closes on a timer inside that waitUntil, so it must stay well under the 30 s a
 * Worker may keep working after its response. A window of 0 (or less) aggregates nothing:
 * every occurrence goes to the sink on its own, with a count of 1.
 */
import type { Context } from "hono";
import type { AppEnv } from "../env";

/** How often, and when, an aggregated event happened (epoch ms). */
export interface Occurrences {
  count: number;
  firstAt: number;
  lastAt: number;
}

/** What a window needs from the request that opens it. */
export interface WindowContext {
  readonly executionCtx: Pick<ExecutionContext, "waitUntil">;
}

export type WindowSink<T, C extends WindowContext> = (sample: T, occurrences: Occurrences, c: C) => void | Promise<void>;

export interface EventWindowsOptions<T, C extends WindowContext> {
  /** Receives each closed window. A failure is logged under `failureEvent`, never thrown. */
  sink: WindowSink<T, C>;
  /** Window length in ms, fixed or read from the opening request (e.g. from its env). */
  windowMs: number | ((c: C) => number);
  /** Stands for every id that finds MAX_OPEN_WINDOWS windows open: they share one window. */
  overflow: T;
  failureEvent: string;
  clock?: () => number;
}

/** Windows open at once; further ids share the one `overflow` window until some close. */
export const MAX_OPEN_WINDOWS = 10_000;

const OVERFLOW_ID = "\u0000overflow";

export class EventWindows<T, C extends WindowContext = Context<AppEnv>> {
  readonly #open = new Map<string, { sample: T; occurrences: Occurrences }>();
  readonly #options: EventWindowsOptions<T, C>;
  readonly #clock: () => number;

  constructor(options: EventWindowsOptions<T, C>) {
    this.#options = options;
    this.#clock = options.clock ?? Date.now;
  }

  /** Counts one occurrence of `id`; `sample` is kept only if it opens the window. */
  note(id: string, sample: T, c: C): void {
    const now = this.#clock();
    const { windowMs } = this.#options;
    const length = typeof windowMs === "number" ? windowMs : windowMs(c);
    if (!(length > 0)) {
      c.executionCtx.waitUntil(this.#deliver(sample, { count: 1, firstAt: now, lastAt: now }, c));
      return;
    }
    const key = this.#open.has(id) || this.#open.size < MAX_OPEN_WINDOWS ? id : OVERFLOW_ID;
    const window = this.#open.get(key);
    if (window) {
      window.occurrences.count += 1;
      window.occurrences.lastAt = now;
      return;
    }
    this.#open.set(key, { sample: key === OVERFLOW_ID ? this.#options.overflow : sample, occurrences: { count: 1, firstAt: now, lastAt: now } });
    // setTimeout rather than scheduler.wait: the same in workerd, and tests can drive it with fake timers.
    c.executionCtx.waitUntil(new Promise((resolve) => setTimeout(resolve, length)).then(() => this.#close(key, c)));
  }

  async #close(key: string, c: C): Promise<void> {
    const window = this.#open.get(key);
    if (!window) return;
    this.#open.delete(key);
    await this.#deliver(window.sample, window.occurrences, c);
  }

  async #deliver(sample: T, occurrences: Occurrences, c: C): Promise<void> {
    try {
      await this.#options.sink(sample, occurrences, c);
    } catch (error) {
      console.error(JSON.stringify({ level: "error", event: this.#options.failureEvent, name: error instanceof Error ? error.name : typeof error }));
    }
  }
}
