import { describe, expect, it } from "vitest";
import { MAX_KEPT_SOURCE, MAX_TOTAL_SOURCE, ParsedDocuments } from "./parsed-documents";

const LIMITS = { maxTokens: 5000, maxSourceLength: 65536 };

describe("ParsedDocuments", () => {
  it("parses a document once and measures it with each request's variables", () => {
    const documents = new ParsedDocuments();
    const query = "query Q($n: Int) { items(first: $n) { id } }";
    const first = documents.parse(query, LIMITS);
    const again = documents.parse(query, LIMITS);
    expect(first.ok && again.ok && again.document === first.document).toBe(true);
    expect(documents.measure(query, LIMITS, { n: 10 })).toMatchObject({ ok: true, operations: [{ cost: 11 }] });
    expect(documents.measure(query, LIMITS, { n: 100 })).toMatchObject({ ok: true, operations: [{ cost: 101 }] });
    expect(documents.size).toBe(1);
  });

  it("parses again under other limits, and keeps no document that failed", () => {
    const documents = new ParsedDocuments();
    const query = "{ a { b { c } } }";
    expect(documents.parse(query, LIMITS).ok).toBe(true);
    expect(documents.parse(query, { maxTokens: 3, maxSourceLength: 65536 })).toMatchObject({ ok: false, code: "GRAPHQL_PARSE_FAILED" });
    expect(documents.parse("{ a ", LIMITS)).toMatchObject({ ok: false, code: "GRAPHQL_PARSE_FAILED" });
    expect(documents.parse("fragment F on T { ...F } { ...F }", LIMITS)).toMatchObject({ ok: false, code: "GRAPHQL_VALIDATION_FAILED" });
    expect(documents.size).toBe(1);
  });

  it("keeps no document over MAX_KEPT_SOURCE, and evicts the least recently used past MAX_TOTAL_SOURCE", () => {
    const documents = new ParsedDocuments();
    const big = `{ ${"a ".repeat(MAX_KEPT_SOURCE / 2)}}`;
    expect(documents.parse(big, { maxTokens: 100_000, maxSourceLength: 1_000_000 }).ok).toBe(true);
    expect(documents.size).toBe(0);
    const wide = { maxTokens: 100_000, maxSourceLength: 1_000_000 };
    const sized = (i: number) => `{ f${i} ${"x ".repeat(MAX_KEPT_SOURCE / 2 - 20)}}`;
    const documentOf = (i: number) => {
      const parsed = documents.parse(sized(i), wide);
      if (!parsed.ok) throw new Error(parsed.message);
      return parsed.document;
    };
    const fits = Math.floor(MAX_TOTAL_SOURCE / (sized(0).length + 20));
    const kept = Array.from({ length: fits + 5 }, (_, i) => documentOf(i));
    expect(documents.size).toBeLessThanOrEqual(fits);
    expect(documents.size).toBeGreaterThan(fits - 6);
    // The newest are still kept (the same AST comes back); the oldest were parsed again.
    expect(documentOf(fits + 4)).toBe(kept[fits + 4]);
    expect(documentOf(0)).not.toBe(kept[0]);
  });
});
