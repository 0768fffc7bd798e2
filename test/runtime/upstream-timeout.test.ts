/**
 * The upstream `timeout` through the whole worker, against the fake origin's slow bodies
 * (test/support/fake-origin.ts): it bounds the wait for the response headers and each gap
 * between body chunks, never the whole body.
 */
import { beforeAll, describe, expect, it } from "vitest";
import { putConfig, send } from "./admin-harness";

const TIMEOUT_MS = 500;

const config = {
  routes: [{ id: "timed", path: "/timed/*", upstream: "timed", strip_prefix: true }],
  upstreams: [{ name: "timed", endpoints: ["https://origin.test"], timeout: `${TIMEOUT_MS}ms`, retries: 0 }],
};

/** Reads a body to its end or its error: the text received and whether it was cut. */
async function readAll(res: Response): Promise<{ text: string; cut: boolean }> {
  const reader = res.body!.getReader();
  const decoder = new TextDecoder();
  let text = "";
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) return { text, cut: false };
      text += decoder.decode(value, { stream: true });
    }
  } catch {
    return { text, cut: true };
  }
}

beforeAll(async () => {
  await putConfig(config);
});

describe("upstream timeout", () => {
  it("answers 504 when the headers do not come within the timeout", async () => {
    const res = await send(`/timed/slow/${TIMEOUT_MS * 3}`);
    expect(res.status).toBe(504);
    expect(await res.json()).toMatchObject({ error: "upstream_timeout" });
  });

  it("never cuts a body that keeps coming, however long it lasts in total", async () => {
    // 8 chunks, one every 150 ms: 1.2 s in all, more than twice the timeout, no gap near it.
    const res = await send("/timed/drip/8/150");
    expect(res.status).toBe(200);
    const body = await readAll(res);
    expect(body.cut).toBe(false);
    expect(body.text.trim().split("\n")).toEqual(Array.from({ length: 8 }, (_, i) => `drip ${i}`));
  });

  it("cuts a body that stalls for the timeout, after passing on everything sent before the gap", async () => {
    // 6 chunks over 0.9 s (longer than the timeout), then silence.
    const res = await send("/timed/stall/6/150");
    expect(res.status).toBe(200);
    const body = await readAll(res);
    expect(body).toEqual({ text: Array.from({ length: 6 }, (_, i) => `stall ${i}\n`).join(""), cut: true });
  });

  it("cuts a small body of declared length that has not ended within the timeout of its headers", async () => {
    // Passed natively (no per-chunk watch), bounded as a whole: 1000 bytes declared, 16 sent.
    const res = await send("/timed/stall/2/50?declare=1000");
    expect(res.status).toBe(200);
    expect(res.headers.get("Content-Length")).toBe("1000");
    expect(await readAll(res)).toEqual({ text: "stall 0\nstall 1\n", cut: true });
  });
});
