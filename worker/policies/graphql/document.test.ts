import { describe, expect, it } from "vitest";
import { measureDocument, measureParsed, parseDocument, type OperationMeasure, type ParsedDocument } from "./document";

const LIMITS = { maxTokens: 5000, maxSourceLength: 64 * 1024 };

function measure(source: string, variables: Record<string, unknown> = {}): OperationMeasure[] {
  const result = measureDocument(source, LIMITS, variables);
  if (!result.ok) throw new Error(`${result.code}: ${result.message}`);
  return result.operations;
}

const one = (source: string, variables?: Record<string, unknown>) => measure(source, variables)[0]!;

describe("measureDocument", () => {
  it("measures depth as field nesting, through fragments and inline fragments", () => {
    expect(one("{ a }").depth).toBe(1);
    expect(one("{ a { b { c } } }").depth).toBe(3);
    expect(one("query Q { a { ...F } } fragment F on T { b { ... on U { c { d } } } }").depth).toBe(4);
  });

  it("costs each field 1 plus its sub-selection times its first/last/limit", () => {
    expect(one("{ a b c }").cost).toBe(3);
    expect(one("{ users(first: 10) { name email } }").cost).toBe(1 + 10 * 2);
    expect(one("{ users(first: 10) { friends(last: 5) { name } } }").cost).toBe(1 + 10 * (1 + 5 * 1));
    expect(one("{ items(limit: 3, first: 7) { id } }").cost).toBe(1 + 7);
  });

  it("reads multipliers from variables, else the operation's default, else 1", () => {
    const source = "query Q($n: Int = 4) { users(first: $n) { id } }";
    expect(one(source, { n: 50 }).cost).toBe(51);
    expect(one(source).cost).toBe(5);
    expect(one("query Q($n: Int) { users(first: $n) { id } }").cost).toBe(2);
    expect(one("query Q($n: Int) { users(first: $n) { id } }", { n: "lots" }).cost).toBe(2);
  });

  it("counts a fragment once per spread, so fan-out and duplicated fields cost what they execute", () => {
    // 10 spreads of a fragment of 10 fields: 100 fields; and a fragment fanning out into that one, 10 times: 1000.
    const fields = Array.from({ length: 10 }, (_, i) => `f${i}`).join(" ");
    const tenOf = (name: string) => Array.from({ length: 10 }, () => `...${name}`).join(" ");
    const fanOut = `query { ${tenOf("B")} } fragment B on Q { ${tenOf("A")} } fragment A on Q { ${fields} }`;
    expect(one(fanOut).cost).toBe(1000);
    expect(one(`{ ${Array.from({ length: 500 }, () => "a").join(" ")} }`).cost).toBe(500);
  });

  it("measures a deep fan-out bomb in time linear in the document, however large its cost", () => {
    // Each level spreads the one below it twice: 2^40 fields executed.
    const levels = Array.from({ length: 40 }, (_, i) => `fragment L${i} on Q { ...L${i + 1} ...L${i + 1} }`).join("\n");
    const { cost } = one(`query { ...L0 }\n${levels}\nfragment L40 on Q { leaf }`);
    expect(cost).toBe(2 ** 40);
  });

  it("counts aliases and directives, a fragment's once per spread", () => {
    const op = one("query @a { x: f y: g @skip(if: true) ...F ...F } fragment F on Q @b { z: h @include(if: true) }");
    expect(op.aliases).toBe(4);
    expect(op.directives).toBe(1 + 1 + 2 * 2);
  });

  it("finds introspection anywhere the operation reaches, aliased or in a fragment, but not __typename", () => {
    expect(one("{ __typename a { __typename } }").introspection).toBe(false);
    expect(one("{ __schema { types { name } } }").introspection).toBe(true);
    expect(one('{ harmless: __type(name: "User") { name } }').introspection).toBe(true);
    expect(one("{ a { ...F } } fragment F on A { ... on A { s: __schema { queryType { name } } } }").introspection).toBe(true);
  });

  it("measures every operation of a document, with its type and name", () => {
    const [query, mutation] = measure("query Read { a } mutation Write { b { c } }");
    expect(query).toMatchObject({ name: "Read", type: "query", depth: 1 });
    expect(mutation).toMatchObject({ name: "Write", type: "mutation", depth: 2 });
  });

  it("refuses fragment cycles, direct and indirect, without looping", () => {
    for (const source of [
      "{ ...A } fragment A on Q { ...A }",
      "{ ...A } fragment A on Q { b { ...B } } fragment B on Q { ...C } fragment C on Q { ...A }",
      // An unused cycle makes the document invalid too (spec §5.5.2.2).
      "{ a } fragment X on Q { ...Y } fragment Y on Q { ...X }",
    ]) {
      const result = measureDocument(source, LIMITS, {});
      expect(result).toMatchObject({ ok: false, code: "GRAPHQL_VALIDATION_FAILED" });
      expect(!result.ok && result.message).toMatch(/^fragment cycle: /);
    }
  });

  it("refuses unknown and duplicate fragments, type definitions and documents without an operation", () => {
    expect(measureDocument("{ ...Nope }", LIMITS, {})).toMatchObject({ ok: false, code: "GRAPHQL_VALIDATION_FAILED" });
    expect(measureDocument("{ a } fragment F on Q { a } fragment F on Q { b }", LIMITS, {})).toMatchObject({ ok: false });
    expect(measureDocument("type User { id: ID }", LIMITS, {})).toMatchObject({ ok: false, code: "GRAPHQL_VALIDATION_FAILED" });
    expect(measureDocument("fragment F on Q { a }", LIMITS, {})).toMatchObject({ ok: false, code: "GRAPHQL_VALIDATION_FAILED" });
  });

  it("refuses malformed documents as parse failures, and stops parsing at the token and length limits", () => {
    for (const source of ["{ a ", "query {", "}{", "{ a(: 1) }", ""]) {
      expect(measureDocument(source, LIMITS, {})).toMatchObject({ ok: false, code: "GRAPHQL_PARSE_FAILED" });
    }
    const manyTokens = `{ ${Array.from({ length: 200 }, (_, i) => `f${i}`).join(" ")} }`;
    expect(measureDocument(manyTokens, { maxTokens: 100, maxSourceLength: 1e6 }, {})).toMatchObject({
      ok: false,
      code: "GRAPHQL_PARSE_FAILED",
    });
    expect(measureDocument(manyTokens, { maxTokens: 1000, maxSourceLength: 100 }, {})).toMatchObject({
      ok: false,
      code: "GRAPHQL_PARSE_FAILED",
    });
    expect(measureDocument(manyTokens, { maxTokens: 1000, maxSourceLength: 1e6 }, {}).ok).toBe(true);
  });
});

describe("measureParsed on a kept document", () => {
  const LIMITS = { maxTokens: 5000, maxSourceLength: 65536 };
  const kept = (source: string): ParsedDocument => {
    const parsed = parseDocument(source, LIMITS);
    if (!parsed.ok) throw new Error(parsed.message);
    return parsed.document;
  };
  const SOURCE = "query Q($n: Int = 3, $id: ID) { item(id: $id) { id } items(first: $n) { id name } }";

  it("measures again only for list-argument values it was not measured with", () => {
    const document = kept(SOURCE);
    const five = measureParsed(document, { n: 5, id: "a" });
    expect(five[0]!.cost).toBe(2 + 1 + 5 * 2);
    // Another id (no list argument reads it): the same measures, not walked again.
    expect(measureParsed(document, { n: 5, id: "b" })).toBe(five);
    const fifty = measureParsed(document, { n: 50, id: "a" });
    expect(fifty[0]!.cost).toBe(2 + 1 + 50 * 2);
    expect(measureParsed(document, { n: "5" })).toBe(five);
    // Without `n`, its default.
    expect(measureParsed(document, {})[0]!.cost).toBe(2 + 1 + 3 * 2);
  });

  it("gives a kept document's measures as a fresh parse would, for every value", () => {
    const document = kept(SOURCE);
    for (const n of [1, 7, 1, 1000, 7, -4, "x", null]) {
      expect(measureDocument(SOURCE, LIMITS, { n })).toEqual({ ok: true, operations: measureParsed(document, { n }) });
    }
  });

  it("keeps the measures of at most 16 sets of values, the oldest going first", () => {
    const document = kept(SOURCE);
    const first = measureParsed(document, { n: 0 });
    for (let n = 1; n <= 16; n++) measureParsed(document, { n });
    expect(document.measured.byValues.size).toBe(16);
    expect(measureParsed(document, { n: 16 })).toBe(measureParsed(document, { n: 16 }));
    expect(measureParsed(document, { n: 0 })).not.toBe(first);
    expect(measureParsed(document, { n: 0 })).toEqual(first);
  });
});
