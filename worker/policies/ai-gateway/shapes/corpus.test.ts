import { describe, expect, it } from "vitest";
import { ANTHROPIC, CORPUS, OPENAI_CHAT, OPENAI_EMBEDDINGS, OPENAI_RESPONSES, type LabelledBody } from "./corpus.test-data";
import { recognise } from "./recognise";

/** Recognised as labelled: the same API (or unknown), and exactly the labelled texts and opaque inputs in body order. */
function matches(entry: LabelledBody): boolean {
  const result = recognise(entry.path, entry.body);
  if (result.api !== entry.api) return false;
  if (result.api === "unknown") return true;
  const texts = JSON.stringify(result.texts.map((slot) => slot.text)) === JSON.stringify(entry.texts ?? []);
  const opaque = JSON.stringify(result.opaque.map((input) => input.type)) === JSON.stringify(entry.opaque ?? []);
  return texts && opaque;
}

describe("the labelled corpus", () => {
  it.each(CORPUS.map((entry) => [`${entry.api}: ${entry.name}`, entry] as const))("%s", (_, entry) => {
    const result = recognise(entry.path, entry.body);
    expect(result.api).toBe(entry.api);
    if (result.api === "unknown") expect(result.reason).toMatch(/\S/);
    else {
      expect(result.texts.map((slot) => slot.text)).toEqual(entry.texts ?? []);
      expect(result.opaque.map((input) => input.type)).toEqual(entry.opaque ?? []);
    }
  });

  it("scores 1.00 per class (recognised and refused bodies apart)", () => {
    const classes = {
      "anthropic-messages": ANTHROPIC,
      "openai-chat": OPENAI_CHAT,
      "openai-responses": OPENAI_RESPONSES,
      "openai-embeddings": OPENAI_EMBEDDINGS,
    };
    const rows = Object.entries(classes).flatMap(([api, entries]) =>
      [true, false].map((understood) => {
        const subset = entries.filter((entry) => (entry.api !== "unknown") === understood);
        const correct = subset.filter(matches).length;
        return { class: `${api} ${understood ? "recognised" : "unknown"}`, bodies: subset.length, accuracy: correct / subset.length };
      }),
    );
    console.log(
      `shapes corpus (${CORPUS.length} bodies):\n${rows.map((row) => `  ${row.class.padEnd(34)} n=${String(row.bodies).padStart(2)}  accuracy ${row.accuracy.toFixed(2)}`).join("\n")}`,
    );
    for (const row of rows) expect(row.accuracy, row.class).toBe(1);
  });
});
