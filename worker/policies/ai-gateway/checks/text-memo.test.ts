import { describe, expect, it } from "vitest";
import { TextMemo } from "./text-memo";

/** A memo over a function that counts its calls. */
function counting() {
  const calls: string[] = [];
  const memo = new TextMemo<{ length: number }>();
  const compute = (text: string) => {
    calls.push(text);
    return { length: text.length };
  };
  return { memo: { get: (scope: string, text: string) => memo.get(scope, text, compute) }, calls };
}

const text = (seed: string, length = 200) => seed.repeat(Math.ceil(length / seed.length)).slice(0, length);

describe("TextMemo", () => {
  it("computes a caller's text once and answers it again from memory", () => {
    const { memo, calls } = counting();
    const first = memo.get("consumer:a", text("system prompt "));
    expect(memo.get("consumer:a", text("system prompt "))).toBe(first);
    expect(calls).toHaveLength(1);
  });

  it("never answers one caller from what another sent: the same text is computed for each", () => {
    const { memo, calls } = counting();
    memo.get("consumer:a", text("hello "));
    memo.get("consumer:b", text("hello "));
    memo.get("ip:192.0.2.1", text("hello "));
    expect(calls).toHaveLength(3);
  });

  it("keeps no text shorter than 64 or longer than 32 K characters: those are computed each time", () => {
    const { memo, calls } = counting();
    for (let i = 0; i < 2; i++) {
      memo.get("s", "short text");
      memo.get("s", text("long ", 40_000));
    }
    expect(calls).toHaveLength(4);
  });

  it("holds at most 512 K characters, the first text kept going first, however often it is used", () => {
    const { memo, calls } = counting();
    const texts = Array.from({ length: 18 }, (_, index) => text(`${index} `, 30_000));
    // 17 texts of 30,000 fit, texts[0] used again after each.
    for (const kept of texts.slice(0, 17)) {
      memo.get("s", kept);
      memo.get("s", texts[0]!);
    }
    expect(calls).toEqual(texts.slice(0, 17));
    calls.length = 0;
    // The 18th pushes out the first kept, texts[0]; texts[1] stays.
    memo.get("s", texts[17]!);
    memo.get("s", texts[1]!);
    memo.get("s", texts[0]!);
    expect(calls).toEqual([texts[17], texts[0]]);
  });
});
