import { requiredLiterals } from "./literals";

/**
 * A rule's regex runs only on a view that may contain one of its required literals (literals.ts):
 * most rules cannot match an ordinary prompt, and proving that with a table lookup costs far less
 * than the regex scan, whose alternations irregexp cannot skip ahead on.
 *
 * A view is indexed once into a bit table of the trigrams (three UTF-16 units) it holds; a
 * literal of three or more units may occur only if all its trigrams' bits are set. Colliding
 * hashes only let a regex run for nothing, never skip one that could match, so the table can be
 * small. Literals of one or two units are searched for directly.
 */
export interface Prefilter {
  /** For each group, one of its literals must occur in the view; each with its trigrams' hashes. */
  groups: { text: string; trigrams: Uint32Array }[][];
}

/** The prefilter of `pattern`, or undefined when the regex must always run. */
export function prefilterOf(pattern: RegExp): Prefilter | undefined {
  const groups = requiredLiterals(pattern);
  if (groups === undefined) return undefined;
  return {
    groups: groups.map((literals) =>
      literals.map((text) => {
        const trigrams = new Uint32Array(Math.max(0, text.length - 2));
        for (let index = 0; index + 2 < text.length; index++) {
          trigrams[index] = trigramHash(text.charCodeAt(index), text.charCodeAt(index + 1), text.charCodeAt(index + 2));
        }
        return { text, trigrams };
      }),
    ),
  };
}

/** The trigram table of one view, built once per view and prompt. */
export class TrigramIndex {
  private readonly bits: Uint32Array;
  private readonly shift: number;

  constructor(private readonly view: string) {
    // About 16 bits per trigram keeps collisions rare; 2^10 to 2^20 bits (128 KB for 1 MB).
    const log2 = Math.min(20, Math.max(10, Math.ceil(Math.log2(view.length * 16 + 1))));
    this.bits = new Uint32Array(1 << (log2 - 5));
    this.shift = 32 - log2;
    for (let index = 0; index + 2 < view.length; index++) {
      const slot = trigramHash(view.charCodeAt(index), view.charCodeAt(index + 1), view.charCodeAt(index + 2)) >>> this.shift;
      this.bits[slot >>> 5]! |= 1 << (slot & 31);
    }
  }

  /**
   * Whether every group of `prefilter` has a literal in the view. The trigram table answers most
   * "no"s; a "maybe" is confirmed by a search, so scattered trigrams do not run a regex for nothing.
   */
  mayMatch(prefilter: Prefilter): boolean {
    return prefilter.groups.every((literals) =>
      literals.some((literal) => (literal.text.length < 3 || this.mayContain(literal.trigrams)) && this.view.includes(literal.text)),
    );
  }

  private mayContain(trigrams: Uint32Array): boolean {
    for (const hash of trigrams) {
      const slot = hash >>> this.shift;
      if ((this.bits[slot >>> 5]! & (1 << (slot & 31))) === 0) return false;
    }
    return true;
  }
}

/** A 32-bit hash of three UTF-16 units (multiplicative, constants of MurmurHash3's finaliser). */
function trigramHash(a: number, b: number, c: number): number {
  const mixed = Math.imul(a, 0x9e3779b1) ^ Math.imul(b, 0x85ebca77) ^ Math.imul(c, 0xc2b2ae3d);
  return Math.imul(mixed ^ (mixed >>> 15), 0x2c1b3c6d) >>> 0;
}
