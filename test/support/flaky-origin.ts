/**
 * Commands to the fake origin's flaky ids (test/support/fake-origin.ts), for runtime tests
 * whose upstreams fail and recover on command and whose requests are counted.
 */
import { expect } from "vitest";

/** Sets the status `/flaky/<id>/…` answers with from now on. */
export const setOrigin = async (id: string, status: number) =>
  expect((await fetch(`https://origin.test/flaky-status/${id}/${status}`)).status).toBe(204);

/** The `/flaky/<id>/…` requests received so far. */
export const hits = async (id: string) => (await (await fetch(`https://origin.test/hits/${id}`)).json<{ hits: number }>()).hits;
