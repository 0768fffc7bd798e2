/**
 * Repeated events counted per isolate instead of recorded one by one. The first occurrence of
 * an id opens a window; later ones only count; when the window closes, one aggregate (the
 * first occurrence's facts, the count, the first and last time) goes to the sink, in the
 * waitUntil of the request that opened the window, whose context the sink receives (its
 * response is long sent). A flood of a million refusals on one key is a handful of events (one
 * per isolate per window), not a million rows.
 *
 * At most `maxKeys` ids (MAX_KEYS_PER_WINDOW, 100, unless the ids come from a bounded set such
 * as the config's route ids) have windows open at once; every other id counts in one overflow
 * window, whose aggregate also says how many distinct ids it folded (`foldedKeys`). So a
 * flood of distinct ids costs at most maxKeys + 1 events per window length and isolate,
 * whatever it varies.
 *
 * The window closes on a timer inside that waitUntil, so it must stay well under the 30 s a
 * Worker may keep working after its response. A window of 0 (or less) aggregates nothing:
 * every occurrence goes to the sink on its own, with a count of 1.
 */
import type { Context } from "hono";
import type { AppEnv } from "../env";
import { errorName, log } from "./logger";

/** How often, and when, an aggregated event happened (epoch ms). */
export interface Occurrences {
  count: number;
  firstAt: number;
  lastAt: number;
  /** The overflow window's only: how many distinct ids it counted (exactly up to MAX_FOLDED_COUNTED, then at least that). */
  foldedKeys?: number;
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
  /** Stands for every id that finds `maxKeys` windows open: they share one window. */
  overflow: T;
  /** Ids with a window of their own at once; default MAX_KEYS_PER_WINDOW. */
  maxKeys?: number;
  failureEvent: string;
  clock?: () => number;
}

/** Ids with a window of their own at once, by default; further ids share the one `overflow` window until some close. */
export const MAX_KEYS_PER_WINDOW = 100;
/** Distinct ids the overflow window tells apart (memory: the ids themselves); beyond, `foldedKeys` stays at this. */
export const MAX_FOLDED_COUNTED = 50_000;

interface Window<T> {
  sample: T;
  occurrences: Occurrences;
}

export class EventWindows<T, C extends WindowContext = Context<AppEnv>> {
  readonly #open = new Map<string, Window<T>>();
  /** The overflow window, while open, and the distinct ids it folded. */
  #overflow: { window: Window<T>; folded: Set<string> } | undefined;
  readonly #options: EventWindowsOptions<T, C>;
  readonly #clock: () => number;
  readonly #maxKeys: number;

  constructor(options: EventWindowsOptions<T, C>) {
    this.#options = options;
    this.#clock = options.clock ?? Date.now;
    this.#maxKeys = options.maxKeys ?? MAX_KEYS_PER_WINDOW;
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
    const window = this.#open.get(id);
    if (window) return count(window, now);
    if (this.#open.size < this.#maxKeys) {
      this.#open.set(id, { sample, occurrences: { count: 1, firstAt: now, lastAt: now } });
      this.#closeLater(length, c, () => this.#close(id, c));
      return;
    }
    if (this.#overflow) {
      count(this.#overflow.window, now);
      if (this.#overflow.folded.size < MAX_FOLDED_COUNTED) this.#overflow.folded.add(id);
      return;
    }
    const overflow = {
      window: { sample: this.#options.overflow, occurrences: { count: 1, firstAt: now, lastAt: now } },
      folded: new Set([id]),
    };
    this.#overflow = overflow;
    this.#closeLater(length, c, async () => {
      this.#overflow = undefined;
      await this.#deliver(overflow.window.sample, { ...overflow.window.occurrences, foldedKeys: overflow.folded.size }, c);
    });
  }

  #closeLater(length: number, c: C, close: () => Promise<void>): void {
    // setTimeout rather than scheduler.wait: the same in workerd, and tests can drive it with fake timers.
    c.executionCtx.waitUntil(new Promise((resolve) => setTimeout(resolve, length)).then(close));
  }

  async #close(id: string, c: C): Promise<void> {
    const window = this.#open.get(id);
    if (!window) return;
    this.#open.delete(id);
    await this.#deliver(window.sample, window.occurrences, c);
  }

  async #deliver(sample: T, occurrences: Occurrences, c: C): Promise<void> {
    try {
      await this.#options.sink(sample, occurrences, c);
    } catch (error) {
      log.error(this.#options.failureEvent, { name: errorName(error) });
    }
  }
}

function count({ occurrences }: Window<unknown>, now: number): void {
  occurrences.count += 1;
  occurrences.lastAt = now;
}
