/**
 * Work that concurrent requests of an isolate share: a consumer-key query, a config refresh, a
 * JWKS download. The work runs in the context of the request that started it. When that
 * request's client goes away, the Workers runtime cancels the request and drops the I/O it was
 * waiting on, except what was handed to `waitUntil`, which it lets finish (for up to 30 s after
 * the disconnect). Without that, every other request awaiting the same promise would wait for
 * an answer that never comes, until the runtime cancels it as hung.
 *
 * So the request that starts shared work hands it to its own `waitUntil`: the work completes,
 * and every request waiting on it gets its answer, whichever of them has gone. (The one that
 * started it does not wait longer: its response does not depend on `waitUntil`.)
 */
export type WaitUntil = Pick<ExecutionContext, "waitUntil">;

/** `work`, kept running until it settles even if the request that started it is cancelled. */
export function sharedWork<T>(work: Promise<T>, ctx: WaitUntil | undefined): Promise<T> {
  // The waiters see a rejection; waitUntil only keeps the work alive and must not report it again.
  ctx?.waitUntil(
    work.then(
      () => undefined,
      () => undefined,
    ),
  );
  return work;
}

/** The request's ExecutionContext, or undefined where there is none (a test's `app.request`). */
export function waitUntilOf(c: { executionCtx: WaitUntil }): WaitUntil | undefined {
  try {
    return c.executionCtx;
  } catch {
    return undefined;
  }
}
