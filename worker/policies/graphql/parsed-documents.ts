/**
 * Parsed documents kept per isolate. A GraphQL client sends the same few documents again and
 * again (each a constant in its code, with only the variables changing), so each is parsed and
 * checked once and then only measured with the request's variables: parsing is most of the
 * guard's own work.
 *
 * Keyed by the source and the limits it was parsed within (a route with lower limits parses it
 * again); only documents that parsed and passed are kept. Bounded: documents of at most
 * MAX_KEPT_SOURCE characters, at most MAX_TOTAL_SOURCE characters in all (an AST takes some ten
 * times its source), least recently used out first. A client sending ever new documents only
 * evicts others' entries: they are parsed again, nothing else changes.
 */
import { LruMap } from "../../http/lru-map";
import { measureParsed, parseDocument, type Measured, type ParseLimits, type Parsed, type ParsedDocument } from "./document";

export const MAX_KEPT_SOURCE = 16 * 1024;
export const MAX_TOTAL_SOURCE = 512 * 1024;

export class ParsedDocuments {
  readonly #entries = new LruMap<ParsedDocument>(MAX_TOTAL_SOURCE, (key) => key.length);

  parse(source: string, limits: ParseLimits): Parsed {
    const key = `${limits.maxTokens}:${limits.maxSourceLength}:${source}`;
    const kept = this.#entries.get(key);
    if (kept) return { ok: true, document: kept };
    const parsed = parseDocument(source, limits);
    if (parsed.ok && source.length <= MAX_KEPT_SOURCE) this.#entries.set(key, parsed.document);
    return parsed;
  }

  /** Every operation of `source` measured with `variables` (document.ts), parsed once per source and limits. */
  measure(source: string, limits: ParseLimits, variables: Record<string, unknown>): Measured {
    const parsed = this.parse(source, limits);
    return parsed.ok ? { ok: true, operations: measureParsed(parsed.document, variables) } : parsed;
  }

  get size(): number {
    return this.#entries.size;
  }
}
