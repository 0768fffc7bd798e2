import { describe, expect, it } from "vitest";
import { CORPUS } from "./corpus.test-data";
import { recognise } from "./recognise";
import { applyReplacements } from "./replace";

describe("applyReplacements", () => {
  it("round-trips every corpus body: masked texts only, everything else as sent, the input untouched", () => {
    let bodies = 0;
    for (const entry of CORPUS) {
      const before = recognise(entry.path, entry.body);
      if (before.api === "unknown" || before.texts.length === 0) continue;
      const sent = JSON.stringify(entry.body);
      const masked = applyReplacements(
        entry.body,
        before.texts.map((slot, index) => ({ path: slot.path, text: `[MASK ${index}]` })),
      );
      expect(JSON.stringify(entry.body)).toBe(sent);
      const after = recognise(entry.path, masked);
      if (after.api === "unknown") throw new Error(after.reason);
      expect(after.texts).toEqual(before.texts.map((slot, index) => ({ ...slot, text: `[MASK ${index}]` })));
      expect(after.opaque).toEqual(before.opaque);
      expect({ ...after, texts: [] }).toEqual({ ...before, texts: [] });
      // Putting the texts back gives the very JSON the client sent (values and key order).
      const restored = applyReplacements(
        masked,
        before.texts.map((slot) => ({ path: slot.path, text: slot.text })),
      );
      expect(JSON.stringify(restored)).toBe(sent);
      bodies++;
    }
    expect(bodies).toBeGreaterThan(15);
  });

  it("shares the subtrees it does not touch (tool definitions, other messages)", () => {
    const tools = [{ name: "f", description: "desc", input_schema: { type: "object" } }];
    const other = { role: "assistant", content: "untouched" };
    const body = { model: "m", max_tokens: 5, tools, messages: [{ role: "user", content: "mail me at a@b.co" }, other] };
    const masked = applyReplacements(body, [{ path: ["messages", 0, "content"], text: "mail me at [EMAIL]" }]) as typeof body;
    expect(masked.tools).toBe(tools);
    expect(masked.messages[1]).toBe(other);
    expect(masked.messages[0]!.content).toBe("mail me at [EMAIL]");
    expect(body.messages[0]!.content).toBe("mail me at a@b.co");
  });

  it("applies several replacements in one container and the same path twice (the last wins)", () => {
    const body = { input: ["a", "b", "c"] };
    expect(
      applyReplacements(body, [
        { path: ["input", 0], text: "A" },
        { path: ["input", 2], text: "C" },
        { path: ["input", 2], text: "C2" },
      ]),
    ).toEqual({ input: ["A", "b", "C2"] });
  });

  it("writes a `__proto__` key as data, never as the prototype", () => {
    const body = JSON.parse('{"prompt":{"variables":{"__proto__":"secret"}}}');
    const masked = applyReplacements(body, [{ path: ["prompt", "variables", "__proto__"], text: "[SECRET]" }]) as {
      prompt: { variables: object };
    };
    expect(JSON.stringify(masked)).toBe('{"prompt":{"variables":{"__proto__":"[SECRET]"}}}');
    expect(Object.getPrototypeOf(masked.prompt.variables)).toBe(Object.prototype);
  });

  it("returns the body itself when there is nothing to replace", () => {
    const body = { a: 1 };
    expect(applyReplacements(body, [])).toBe(body);
  });

  it("throws a plain Error (a caller's bug) for a path that does not lead to a string", () => {
    const body = { messages: [{ content: "x", parts: [{ n: 1 }] }] };
    for (const path of [
      [],
      ["messages"],
      ["messages", 1, "content"],
      ["messages", "0", "content"],
      ["messages", 0, "parts", 0, "n"],
      ["nope", "x"],
      ["messages", 0, "content", "x"],
      ["toString"],
    ])
      expect(() => applyReplacements(body, [{ path, text: "y" }])).toThrow(Error);
    expect(() => applyReplacements("text", [{ path: ["a"], text: "y" }])).toThrow(/no text at/);
  });
});
