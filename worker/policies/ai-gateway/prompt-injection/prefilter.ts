import { requiredLiterals } from "./literals";

/**
 * A rule's regex runs only on a view that may contain one of its required literals (literals.ts):
 * most rules cannot match an ordinary prompt, and proving that with a table lookup costs far less
 * than the regex scan, whose alternations irregexp cannot skip ahead on.
 *
 * A view is indexed once into a bit table of the trigrams (three UTF-16 units) it holds; a
 * literal of three or more units may occur only if all its trigrams' bits are set. Colliding
 * hashes only let a regex run for nothing, never skip one that could match, so the table can be
 * small.
 */
export interface Prefilter {
  /** For each group, one of its literals must occur in the view. */
  groups: LiteralGroup[];
}

/**
 * A group's literals of three or more units, bucketed by their first trigram: one lookup rules out
 * a bucket ("i am your", "i am the", "i am an" share "i a"). Shorter ones are searched for (a
 * search for an absent literal reads the whole view: table lookups are much cheaper).
 */
interface LiteralGroup {
  buckets: { first: number; literals: { text: string; trigrams: Uint32Array }[] }[];
  searched: string[];
}

/** The prefilter of `pattern`, or undefined when the regex must always run. */
export function prefilterOf(pattern: RegExp): Prefilter | undefined {
  const groups = requiredLiterals(pattern);
  if (groups === undefined) return undefined;
  // The cheapest group first: most views lack a literal of any one group, and the first miss ends the check.
  const cost = (group: LiteralGroup) => group.buckets.length + group.searched.length;
  return { groups: groups.map(literalGroup).sort((a, b) => cost(a) - cost(b)) };
}

function literalGroup(literals: string[]): LiteralGroup {
  const buckets = new Map<number, { text: string; trigrams: Uint32Array }[]>();
  const searched: string[] = [];
  for (const text of literals) {
    if (text.length < 3) {
      searched.push(text);
      continue;
    }
    const trigrams = new Uint32Array(text.length - 2);
    for (let index = 0; index + 2 < text.length; index++) {
      trigrams[index] = trigramHash(text.charCodeAt(index), text.charCodeAt(index + 1), text.charCodeAt(index + 2));
    }
    const bucket = buckets.get(trigrams[0]!);
    if (bucket) bucket.push({ text, trigrams });
    else buckets.set(trigrams[0]!, [{ text, trigrams }]);
  }
  return { buckets: [...buckets].map(([first, members]) => ({ first, literals: members })), searched };
}

/** The trigram table of one view, built once per view and prompt, when a group first needs it. */
export class TrigramIndex {
  private bits: Uint32Array | undefined;
  private shift = 0;

  constructor(private readonly view: string) {}

  private table(): Uint32Array {
    if (this.bits) return this.bits;
    const view = this.view;
    // About 16 bits per trigram keeps collisions rare; 2^10 to 2^20 bits (128 KB for 1 MB).
    const log2 = Math.min(20, Math.max(10, Math.ceil(Math.log2(view.length * 16 + 1))));
    const bits = new Uint32Array(1 << (log2 - 5));
    this.shift = 32 - log2;
    for (let index = 0; index + 2 < view.length; index++) {
      const slot = trigramHash(view.charCodeAt(index), view.charCodeAt(index + 1), view.charCodeAt(index + 2)) >>> this.shift;
      bits[slot >>> 5]! |= 1 << (slot & 31);
    }
    return (this.bits = bits);
  }

  /**
   * Whether every group of `prefilter` has a literal in the view. The trigram table answers most
   * "no"s; a "maybe" is confirmed by a search, so scattered trigrams do not run a regex for nothing.
   */
  mayMatch(prefilter: Prefilter): boolean {
    for (const group of prefilter.groups) if (!this.hasOne(group)) return false;
    return true;
  }

  private hasOne(group: LiteralGroup): boolean {
    for (const text of group.searched) if (this.view.includes(text)) return true;
    for (const bucket of group.buckets) {
      if (!this.has(bucket.first)) continue;
      for (const literal of bucket.literals) if (this.hasAll(literal.trigrams) && this.view.includes(literal.text)) return true;
    }
    return false;
  }

  private hasAll(trigrams: Uint32Array): boolean {
    for (let index = 1; index < trigrams.length; index++) if (!this.has(trigrams[index]!)) return false;
    return true;
  }

  private has(hash: number): boolean {
    const bits = this.table();
    const slot = hash >>> this.shift;
    return (bits[slot >>> 5]! & (1 << (slot & 31))) !== 0;
  }
}

/** A 32-bit hash of three UTF-16 units (multiplicative, constants of MurmurHash3's finaliser). */
function trigramHash(a: number, b: number, c: number): number {
  const mixed = Math.imul(a, 0x9e3779b1) ^ Math.imul(b, 0x85ebca77) ^ Math.imul(c, 0xc2b2ae3d);
  return Math.imul(mixed ^ (mixed >>> 15), 0x2c1b3c6d) >>> 0;
}
