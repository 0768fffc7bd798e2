/**
 * Runs middleware in sequence, each step's `next` calling the one after it, and the last
 * step's `next` the caller's: Hono's `compose` semantics (the `every` of hono/combine, which
 * builds a new compose and a wrapper per step on every call), with the list fixed once per
 * config version. A step ends the request by returning a Response (it becomes `c.res` unless
 * one is already final) or by setting `c.res`; an error propagates to the caller unchanged.
 * Steps that are `passThrough` are left out.
 */
import type { MiddlewareHandler } from "hono";
import type { AppEnv } from "../env";

/**
 * What a policy factory returns when its options leave it nothing to do on any request (no
 * rules, no listeners, no route that uses it): `chain` leaves it out, so a request does not
 * pay a step, its closure and its promise for it. Used alone, it just calls `next`.
 */
export const passThrough: MiddlewareHandler<AppEnv> = async function passThrough(_c, next) {
  await next();
};

export function chain(steps: readonly MiddlewareHandler<AppEnv>[]): MiddlewareHandler<AppEnv> {
  const list = steps.filter((step) => step !== passThrough);
  return function chain(c, next) {
    let called = -1;
    const settle = (res: Response | void) => {
      if (res && !c.finalized) c.res = res;
    };
    // A plain function with one `then` per step: no async frame per step to suspend and resume.
    function dispatch(i: number): Promise<void> {
      if (i <= called) return Promise.reject(new Error("next() called multiple times"));
      called = i;
      try {
        return Promise.resolve(i < list.length ? list[i]!(c, () => dispatch(i + 1)) : next()).then(settle);
      } catch (error) {
        return Promise.reject(error);
      }
    }
    return dispatch(0);
  };
}
