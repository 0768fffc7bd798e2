/**
 * What a GraphQL document would cost, measured on its AST (graphql-js's parser, the reference
 * implementation), never on its text: Loom's own code counts braces and blocks `__typename`;
 * this counts what the server would execute.
 *
 * - **Parsing** is bounded before it starts: at most `maxTokens` lexical tokens and
 *   `maxSourceLength` characters (graphql-js stops at the limit), so a hostile document cannot
 *   spend the request's CPU in the parser.
 * - **Depth**: the deepest field nesting of an operation, through fragment spreads and inline
 *   fragments (`{ a { b } }` is 2).
 * - **Cost** (the README's "cost model"): every field selection costs 1, plus its sub-selection's
 *   cost times its list multiplier: the `first`, `last` or `limit` argument (a literal, or the
 *   variable's value, or the variable's default), 1 without one. A fragment spread costs its
 *   fragment's cost each time it is spread, so fan-out and duplicated fields are counted as the
 *   server executes them. Each fragment is measured once (memoised), so measuring is linear in
 *   the document's size whatever the fan-out.
 * - **Aliases and directives**: counted as the server meets them: in the operation, and a
 *   fragment's once per spread.
 * - **Introspection**: a `__schema` or `__type` field anywhere the operation reaches, aliased or in
 *   a fragment; `__typename` is not introspection of the schema and is allowed.
 * - **Cycles**: a fragment that spreads itself, directly or not, makes the document invalid
 *   (GraphQL spec §5.5.2.2 "Fragment spreads must not form cycles"); it is refused before
 *   anything is measured, and no walk follows a cycle.
 */
import {
  Kind,
  parse,
  type ArgumentNode,
  type DocumentNode,
  type FragmentDefinitionNode,
  type OperationDefinitionNode,
  type SelectionSetNode,
} from "graphql/language";
import { LruMap } from "../../http/lru-map";

export interface ParseLimits {
  maxTokens: number;
  maxSourceLength: number;
}

export interface OperationMeasure {
  name: string | undefined;
  type: "query" | "mutation" | "subscription";
  depth: number;
  cost: number;
  aliases: number;
  directives: number;
  introspection: boolean;
}

export type Measured =
  { ok: true; operations: OperationMeasure[] } | { ok: false; code: "GRAPHQL_PARSE_FAILED" | "GRAPHQL_VALIDATION_FAILED"; message: string };

/** Arguments whose value multiplies what a list field returns. */
const LIST_ARGUMENTS = new Set(["first", "last", "limit"]);

/** A document that parsed and passed the checks that do not depend on variables: what is measured. */
export interface ParsedDocument {
  fragments: ReadonlyMap<string, FragmentDefinitionNode>;
  operations: readonly OperationDefinitionNode[];
  /**
   * Its measures by the values of the variables its list arguments read (measureParsed): a kept
   * document is measured again only for values it was not measured with. Per operation, the
   * names of those variables, known once it was first measured.
   */
  measured: { listVariables: string[][] | undefined; byValues: LruMap<OperationMeasure[]> };
}

export type Parsed = { ok: true; document: ParsedDocument } | Extract<Measured, { ok: false }>;

/**
 * Parses `source` within `limits` and checks what needs no variables: operations and fragments
 * only, fragment names unique, no cycle, no unknown fragment. The result depends on the source
 * and the limits alone, so it may be kept for the next request that sends the same document.
 */
export function parseDocument(source: string, limits: ParseLimits): Parsed {
  let document: DocumentNode;
  try {
    document = parse(source, { noLocation: true, maxLexicalTokens: limits.maxTokens, maxSourceLength: limits.maxSourceLength });
  } catch (error) {
    // graphql-js's syntax errors name the token and its position, never more of the document.
    const message = error instanceof Error ? error.message.split("\n")[0]! : "unreadable document";
    return { ok: false, code: "GRAPHQL_PARSE_FAILED", message };
  }
  const fragments = new Map<string, FragmentDefinitionNode>();
  const operations: OperationDefinitionNode[] = [];
  for (const definition of document.definitions) {
    if (definition.kind === Kind.FRAGMENT_DEFINITION) {
      if (fragments.has(definition.name.value)) return invalid(`there can be only one fragment named "${definition.name.value}"`);
      fragments.set(definition.name.value, definition);
    } else if (definition.kind === Kind.OPERATION_DEFINITION) operations.push(definition);
    else return invalid("a request document holds operations and fragments only, not type system definitions");
  }
  if (operations.length === 0) return invalid("the document has no operation");
  const cycle = fragmentCycle(fragments);
  if (cycle) return invalid(`fragment cycle: ${cycle.join(" → ")}`);
  const missing = missingFragment(document, fragments);
  if (missing) return invalid(`unknown fragment "${missing}"`);
  return { ok: true, document: { fragments, operations, measured: { listVariables: undefined, byValues: new LruMap(MAX_MEASURED) } } };
}

/**
 * Measures every operation of a parsed document; variables give list multipliers written as
 * `$var`. The measures depend on the variables only through the values those multipliers read,
 * so they are kept per document for the MAX_MEASURED most recently used sets of such values.
 */
export function measureParsed(document: ParsedDocument, variables: Record<string, unknown>): OperationMeasure[] {
  const values = document.operations.map((operation) => variableValues(operation, variables));
  const { measured } = document;
  const keyOf = (listVariables: string[][]) =>
    listVariables.map((names, index) => names.map((name) => Number(values[index]!.get(name))).join(",")).join(";");
  const known = measured.listVariables && measured.byValues.get(keyOf(measured.listVariables));
  if (known) return known;
  const walker = new Walker(document.fragments);
  const measures = document.operations.map((operation, index) => walker.operation(operation, values[index]!));
  // The walk visits every argument whatever the values, so the names it read are the document's.
  measured.listVariables ??= walker.listVariablesRead;
  measured.byValues.set(keyOf(measured.listVariables), measures);
  return measures;
}

/** Sets of list-argument values a kept document keeps the measures of (a client varies its page sizes a little). */
const MAX_MEASURED = 16;

/** Measures every operation of `source` (parseDocument, then measureParsed). */
export function measureDocument(source: string, limits: ParseLimits, variables: Record<string, unknown>): Measured {
  const parsed = parseDocument(source, limits);
  return parsed.ok ? { ok: true, operations: measureParsed(parsed.document, variables) } : parsed;
}

const invalid = (message: string): Extract<Measured, { ok: false }> => ({ ok: false, code: "GRAPHQL_VALIDATION_FAILED", message });

/** The fragments a selection set spreads, directly (not through other fragments). */
function spreads(selectionSet: SelectionSetNode, into: Set<string> = new Set()): Set<string> {
  for (const selection of selectionSet.selections) {
    if (selection.kind === Kind.FRAGMENT_SPREAD) into.add(selection.name.value);
    else if (selection.selectionSet) spreads(selection.selectionSet, into);
  }
  return into;
}

/** A cycle among the fragments, as the names along it, or undefined (depth-first, each fragment finished once). */
function fragmentCycle(fragments: ReadonlyMap<string, FragmentDefinitionNode>): string[] | undefined {
  const done = new Set<string>();
  const path: string[] = [];
  const visit = (name: string): string[] | undefined => {
    const at = path.indexOf(name);
    if (at !== -1) return [...path.slice(at), name];
    const fragment = fragments.get(name);
    if (done.has(name) || !fragment) return undefined;
    path.push(name);
    for (const next of spreads(fragment.selectionSet)) {
      const cycle = visit(next);
      if (cycle) return cycle;
    }
    path.pop();
    done.add(name);
    return undefined;
  };
  for (const name of fragments.keys()) {
    const cycle = visit(name);
    if (cycle) return cycle;
  }
  return undefined;
}

/** A spread of a fragment the document does not define (spec §5.5.2.1), or undefined. */
function missingFragment(document: DocumentNode, fragments: ReadonlyMap<string, FragmentDefinitionNode>): string | undefined {
  for (const definition of document.definitions) {
    if (definition.kind !== Kind.OPERATION_DEFINITION && definition.kind !== Kind.FRAGMENT_DEFINITION) continue;
    for (const name of spreads(definition.selectionSet)) if (!fragments.has(name)) return name;
  }
  return undefined;
}

/** The request's variables, with the operation's defaults where the request gives none. */
function variableValues(operation: OperationDefinitionNode, variables: Record<string, unknown>): Map<string, unknown> {
  const values = new Map<string, unknown>();
  for (const definition of operation.variableDefinitions ?? []) {
    const name = definition.variable.name.value;
    if (name in variables) values.set(name, variables[name]);
    else if (definition.defaultValue?.kind === Kind.INT) values.set(name, Number(definition.defaultValue.value));
  }
  return values;
}

/** What one selection set adds up to. */
interface Totals {
  depth: number;
  cost: number;
  aliases: number;
  directives: number;
  introspection: boolean;
}

const ZERO: Totals = { depth: 0, cost: 0, aliases: 0, directives: 0, introspection: false };

/** Adds `b` to `a` (depths: the deeper; cost, aliases, directives: summed). */
function combine(a: Totals, b: Totals): Totals {
  return {
    depth: Math.max(a.depth, b.depth),
    cost: a.cost + b.cost,
    aliases: a.aliases + b.aliases,
    directives: a.directives + b.directives,
    introspection: a.introspection || b.introspection,
  };
}

class Walker {
  /** Per fragment and variables in force, its totals: each fragment is walked once per operation. */
  #memo = new Map<string, Totals>();
  #variables = new Map<string, unknown>();
  /** Per operation walked, the variables its list arguments read, in the order first read. */
  readonly listVariablesRead: string[][] = [];
  #read = new Set<string>();

  constructor(private readonly fragments: ReadonlyMap<string, FragmentDefinitionNode>) {}

  operation(operation: OperationDefinitionNode, variables: Map<string, unknown>): OperationMeasure {
    this.#memo.clear();
    this.#variables = variables;
    this.#read = new Set();
    const totals = this.selectionSet(operation.selectionSet);
    this.listVariablesRead.push([...this.#read]);
    return {
      name: operation.name?.value,
      type: operation.operation as OperationMeasure["type"],
      depth: totals.depth,
      cost: totals.cost,
      aliases: totals.aliases,
      directives: totals.directives + (operation.directives?.length ?? 0),
      introspection: totals.introspection,
    };
  }

  private selectionSet(selectionSet: SelectionSetNode): Totals {
    let totals = ZERO;
    for (const selection of selectionSet.selections) {
      const directives = selection.directives?.length ?? 0;
      if (selection.kind === Kind.FIELD) {
        const name = selection.name.value;
        const inner = selection.selectionSet ? this.selectionSet(selection.selectionSet) : ZERO;
        const multiplier = this.multiplier(selection.arguments ?? []);
        totals = combine(totals, {
          depth: inner.depth + 1,
          cost: 1 + multiplier * inner.cost,
          aliases: inner.aliases + (selection.alias ? 1 : 0),
          directives: inner.directives + directives,
          introspection: inner.introspection || name === "__schema" || name === "__type",
        });
      } else if (selection.kind === Kind.INLINE_FRAGMENT) {
        const inner = this.selectionSet(selection.selectionSet);
        totals = combine(totals, { ...inner, directives: inner.directives + directives });
      } else {
        const inner = this.fragment(selection.name.value);
        totals = combine(totals, { ...inner, directives: inner.directives + directives });
      }
    }
    return totals;
  }

  /** A fragment's totals, walked once (the document was checked for cycles and unknown spreads). */
  private fragment(name: string): Totals {
    const known = this.#memo.get(name);
    if (known) return known;
    const fragment = this.fragments.get(name)!;
    const totals = this.selectionSet(fragment.selectionSet);
    const withOwn = { ...totals, directives: totals.directives + (fragment.directives?.length ?? 0) };
    this.#memo.set(name, withOwn);
    return withOwn;
  }

  private variable(name: string): number {
    this.#read.add(name);
    return Number(this.#variables.get(name));
  }

  /** The list multiplier of a field's arguments: the largest `first`/`last`/`limit` given, at least 1. */
  private multiplier(args: readonly ArgumentNode[]): number {
    let multiplier = 1;
    for (const { name, value } of args) {
      if (!LIST_ARGUMENTS.has(name.value)) continue;
      const count =
        value.kind === Kind.INT ? Number(value.value) : value.kind === Kind.VARIABLE ? this.variable(value.name.value) : Number.NaN;
      if (Number.isFinite(count) && count > multiplier) multiplier = count;
    }
    return multiplier;
  }
}
