import { Hono, type MiddlewareHandler } from "hono";
import { describe, expect, it } from "vitest";
import type { AppEnv } from "../env";
import { log as structuredLog } from "../observability/logger";
import { errorHandler } from "./error-handler";
import { httpError } from "./errors";
import { chain, passThrough } from "./chain";

/** An app whose gateway is `chain(steps)`, with an outer middleware that reads `c.res` after it. */
function app(steps: MiddlewareHandler<AppEnv>[], log: string[] = []) {
  const hono = new Hono<AppEnv>();
  hono.onError(errorHandler(structuredLog.error));
  hono.use(async (c, next) => {
    await next();
    log.push(`outer saw ${c.res.status}`);
    c.res.headers.set("X-Outer", "yes");
  });
  hono.all("*", chain(steps));
  hono.notFound((c) => {
    log.push("not found");
    return c.text("fell through", 404);
  });
  return hono;
}

const step =
  (name: string, log: string[]): MiddlewareHandler<AppEnv> =>
  async (_c, next) => {
    log.push(`${name} before`);
    await next();
    log.push(`${name} after`);
  };

describe("chain", () => {
  it("runs the steps in order, each around the rest, and a returned Response becomes c.res", async () => {
    const log: string[] = [];
    const response = await app([step("a", log), step("b", log), async (c) => c.text("answer", 201)], log).request("/x");
    expect(response.status).toBe(201);
    expect(await response.text()).toBe("answer");
    expect(response.headers.get("X-Outer")).toBe("yes");
    expect(log).toEqual(["a before", "b before", "b after", "a after", "outer saw 201"]);
  });

  it("keeps a Response a step set on c.res, and lets earlier steps change it on the way back", async () => {
    const setter: MiddlewareHandler<AppEnv> = async (c) => {
      c.res = new Response("set", { status: 202 });
    };
    const decorate: MiddlewareHandler<AppEnv> = async (c, next) => {
      await next();
      c.res.headers.set("X-Step", "decorated");
    };
    const response = await app([decorate, setter]).request("/x");
    expect(response.status).toBe(202);
    expect(await response.text()).toBe("set");
    expect(response.headers.get("X-Step")).toBe("decorated");
  });

  it("does not replace a final c.res with a Response returned later (Hono's compose rule)", async () => {
    const response = await app([
      async (c) => {
        c.res = new Response("first", { status: 200 });
        return new Response("second", { status: 500 });
      },
    ]).request("/x");
    expect(await response.text()).toBe("first");
  });

  it("a step that does not call next ends the chain: later steps never run", async () => {
    const log: string[] = [];
    const response = await app([step("a", log), async (c) => c.text("early", 403), step("never", log)], log).request("/x");
    expect(response.status).toBe(403);
    expect(log).toEqual(["a before", "a after", "outer saw 403"]);
  });

  it("calls the caller's next after the last step", async () => {
    const log: string[] = [];
    const response = await app([step("a", log)], log).request("/x");
    expect(response.status).toBe(404);
    expect(await response.text()).toBe("fell through");
    expect(log).toEqual(["a before", "not found", "a after", "outer saw 404"]);
  });

  it("propagates an error to the caller, past the steps' code after next", async () => {
    const log: string[] = [];
    const response = await app(
      [
        step("a", log),
        () => {
          throw httpError("payload_too_large", "no room");
        },
      ],
      log,
    ).request("/x");
    expect(response.status).toBe(413);
    expect(await response.json()).toMatchObject({ error: "payload_too_large" });
    expect(log).toEqual(["a before", "outer saw 413"]);
  });

  it("lets a step catch an error thrown further in", async () => {
    const response = await app([
      async (c, next) => {
        try {
          await next();
        } catch {
          return c.text("recovered", 200);
        }
      },
      () => {
        throw new Error("boom");
      },
    ]).request("/x");
    expect(response.status).toBe(200);
    expect(await response.text()).toBe("recovered");
  });

  it("refuses a second call of the same next", async () => {
    const response = await app([
      async (_c, next) => {
        await next();
        await next();
      },
      async (c) => c.text("once"),
    ]).request("/x");
    expect(response.status).toBe(500);
  });

  it("leaves passThrough steps out and runs the others in order", async () => {
    const log: string[] = [];
    const response = await app([passThrough, step("a", log), passThrough, async (c) => c.text("end")], log).request("/x");
    expect(await response.text()).toBe("end");
    expect(log).toEqual(["a before", "a after", "outer saw 200"]);
  });

  it("passThrough used on its own just calls next", async () => {
    const response = await app([async (c, next) => passThrough(c, next), async (c) => c.text("reached")]).request("/x");
    expect(await response.text()).toBe("reached");
  });

  it("keeps no state between requests", async () => {
    const hono = app([step("a", []), async (c) => c.text(c.req.path)]);
    const answers = await Promise.all(["/1", "/2", "/3"].map(async (path) => (await hono.request(path)).text()));
    expect(answers).toEqual(["/1", "/2", "/3"]);
  });
});
