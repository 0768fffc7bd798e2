import { requiredLiterals } from "./literals";

/**
 * A rule's regex runs only on a view that holds a literal of each of its required groups
 * (literals.ts): most rules cannot match an ordinary prompt, and proving that with table lookups
 * costs far less than the regex scan, whose leading alternations irregexp cannot skip ahead on.
 *
 * A view is indexed once into a bit table of the trigrams (three UTF-16 units) it holds; a
 * literal of three or more units may occur only if all its trigrams' bits are set, and a search
 * then confirms it. Colliding hashes only cost a search, never skip a regex that could match, so
 * the table can be small.
 */
export interface Prefilter {
  /** For each group, one of its literals must occur in the view. */
  groups: LiteralGroup[];
  /** The length of its longest literal. */
  longest: number;
}

/**
 * A group's literals of three or more units, bucketed by their first trigram: one lookup rules out
 * a bucket ("i am your", "i am the", "i am an" share "i a"). Shorter ones are searched for (a
 * search for an absent literal reads the whole view: table lookups are much cheaper). Flat typed
 * arrays, as the check runs for every rule on every prompt:
 * bucket b holds literals [bucketEnds[b-1], bucketEnds[b]) of `texts`, whose first trigram's hash
 * is firsts[b]; literal l's other trigrams' hashes are trigrams[trigramEnds[l-1] .. trigramEnds[l]).
 */
export interface LiteralGroup {
  firsts: Uint32Array;
  bucketEnds: Uint32Array;
  texts: string[];
  trigramEnds: Uint32Array;
  trigrams: Uint32Array;
  searched: string[];
  /** All the literals, when the prefilter has few: searched for while the view has no table. */
  few: string[] | undefined;
  /** Every literal has a non-ASCII character: an ASCII view (most prompts) has none of them. */
  nonAscii: boolean;
}

const NON_ASCII = /[^\x00-\x7f]/;

/** The prefilter of `pattern`, or undefined when the regex must always run. */
export function prefilterOf(pattern: RegExp): Prefilter | undefined {
  const groups = requiredLiterals(pattern);
  if (groups === undefined) return undefined;
  // The cheapest group first: most views lack a literal of any one group, and the first miss ends the check.
  const cost = (group: LiteralGroup) => group.firsts.length + group.searched.length;
  const few = groups.flat().length <= FEW_LITERALS;
  return {
    groups: groups.map((literals) => literalGroup(literals, few)).sort((a, b) => cost(a) - cost(b)),
    longest: Math.max(...groups.flat().map((literal) => literal.length)),
  };
}

/**
 * A prefilter of this many literals or fewer searches for them while its view has no trigram
 * table: a few searches cost less than indexing a view that no other rule needs indexed (the
 * `cased` view: two rules of a few names each). Once the table exists, lookups cost less.
 */
const FEW_LITERALS = 6;

function literalGroup(literals: string[], few: boolean): LiteralGroup {
  const buckets = new Map<number, { text: string; rest: number[] }[]>();
  const searched: string[] = [];
  for (const text of literals) {
    if (text.length < 3) {
      searched.push(text);
      continue;
    }
    const hashes: number[] = [];
    for (let index = 0; index + 2 < text.length; index++) {
      hashes.push(trigramHash(text.charCodeAt(index), text.charCodeAt(index + 1), text.charCodeAt(index + 2)));
    }
    const [first, ...rest] = hashes as [number, ...number[]];
    const bucket = buckets.get(first);
    if (bucket) bucket.push({ text, rest });
    else buckets.set(first, [{ text, rest }]);
  }
  const members = [...buckets.values()].flat();
  let ends = 0;
  let trigramEnd = 0;
  return {
    firsts: Uint32Array.from(buckets.keys()),
    bucketEnds: Uint32Array.from(buckets.values(), (bucket) => (ends += bucket.length)),
    texts: members.map((member) => member.text),
    trigramEnds: Uint32Array.from(members, (member) => (trigramEnd += member.rest.length)),
    trigrams: Uint32Array.from(members.flatMap((member) => member.rest)),
    searched,
    few: few ? literals : undefined,
    nonAscii: literals.every((literal) => NON_ASCII.test(literal)),
  };
}

/** The trigram table of one view, built once per view and prompt, when a group first needs it. */
export class TrigramIndex {
  private bits: Uint32Array | undefined;
  private shift = 0;
  /**
   * A search for an absent literal reads the whole view: past this many, a literal whose trigrams
   * are all present counts as present (the regex runs), so a crafted 1 MB prompt holding every
   * trigram of every literal costs a bounded number of searches, not thousands.
   */
  private searchesLeft = MAX_SEARCHES;
  private ascii: boolean | undefined;

  constructor(private readonly view: string) {}

  /** Whether every group of `prefilter` has a literal in the view (or may have). */
  mayMatch(prefilter: Prefilter): boolean {
    return this.missingGroup(prefilter) === undefined;
  }

  /** The first group of `prefilter` none of whose literals is in the view, if any. */
  missingGroup(prefilter: Prefilter): LiteralGroup | undefined {
    for (const group of prefilter.groups) if (!this.hasOne(group)) return group;
    return undefined;
  }

  /** Whether one of the group's literals is in the view (or may be). */
  hasOne(group: LiteralGroup): boolean {
    if (group.nonAscii && this.isAscii()) return false;
    if (group.few && this.bits === undefined) return group.few.some((literal) => this.search(literal));
    for (const text of group.searched) if (this.search(text)) return true;
    const { firsts, bucketEnds, trigramEnds, trigrams } = group;
    if (firsts.length === 0) return false;
    const bits = this.table();
    const shift = this.shift;
    let literal = 0;
    for (let bucket = 0; bucket < firsts.length; bucket++) {
      const end = bucketEnds[bucket]!;
      const first = firsts[bucket]! >>> shift;
      if ((bits[first >>> 5]! & (1 << (first & 31))) === 0) {
        literal = end;
        continue;
      }
      for (; literal < end; literal++) {
        let all = true;
        for (let index = literal === 0 ? 0 : trigramEnds[literal - 1]!; all && index < trigramEnds[literal]!; index++) {
          const slot = trigrams[index]! >>> shift;
          all = (bits[slot >>> 5]! & (1 << (slot & 31))) !== 0;
        }
        // Scattered trigrams are no literal: a search confirms it.
        if (all && this.search(group.texts[literal]!)) return true;
      }
    }
    return false;
  }

  private isAscii(): boolean {
    return (this.ascii ??= !NON_ASCII.test(this.view));
  }

  private search(text: string): boolean {
    return this.searchesLeft-- <= 0 || this.view.includes(text);
  }

  private table(): Uint32Array {
    if (this.bits) return this.bits;
    const view = this.view;
    // About 16 bits per trigram keeps collisions rare; 2^10 to 2^20 bits (128 KB for 1 MB).
    const log2 = Math.min(20, Math.max(10, Math.ceil(Math.log2(view.length * 16 + 1))));
    const bits = new Uint32Array(1 << (log2 - 5));
    const shift = (this.shift = 32 - log2);
    let a = view.charCodeAt(0);
    let b = view.charCodeAt(1);
    for (let index = 2; index < view.length; index++) {
      const c = view.charCodeAt(index);
      const slot = trigramHash(a, b, c) >>> shift;
      bits[slot >>> 5]! |= 1 << (slot & 31);
      a = b;
      b = c;
    }
    return (this.bits = bits);
  }
}

/** Searches for literals per view; see TrigramIndex.searchesLeft. */
const MAX_SEARCHES = 256;

/**
 * A 32-bit hash of three UTF-16 units: their bits overlapped, times the golden ratio (Fibonacci
 * hashing, Knuth TAOCP 6.4); the table takes the top bits.
 */
function trigramHash(a: number, b: number, c: number): number {
  return Math.imul((a << 16) ^ (b << 8) ^ c, 0x9e3779b1) >>> 0;
}
