import { requiredLiterals } from "./literals";

/**
 * A rule's regex runs only on a view that holds a literal of each of its required groups
 * (literals.ts): most rules cannot match an ordinary prompt, and proving that costs far less than
 * the regex scan, whose leading alternations irregexp cannot skip ahead on.
 *
 * The literals of every rule are found at once: one Aho-Corasick automaton (Aho and Corasick,
 * "Efficient string matching", CACM 18(6), 1975) over all of them, compiled to a table of
 * transitions (a DFA: one lookup per character, no failure links followed while scanning), reads
 * a view once and marks each group that has a literal in it. What a rule needs is then a few
 * flag reads, however many rules and literals there are; a 1 MB prompt costs one pass.
 *
 * Two automata, as the table is states × alphabet: literals of ASCII characters only (the English
 * rules, most of them) over a small alphabet, and the others (the multilingual rules) over theirs,
 * run only on a view that has a non-ASCII character, which most prompts do not.
 *
 * A literal is searched by its first SEARCHED_LENGTH characters: a prefix is in every text the
 * literal is in, so this stays sound, and it halves the English table (28,374 states to 15,203:
 * the rules' phrases share their beginnings, not their ends) for 4 % more regex runs over the
 * corpora. The table is read at a random row per character, so its size is what a scan costs
 * once other work has pushed it out of the caches, as on a busy gateway.
 */
export class RulePrefilters {
  private readonly ascii: Automaton | undefined;
  /** Built on the first view with a non-ASCII character: many isolates never see one. */
  private nonAscii: Automaton | undefined;
  private readonly nonAsciiLiterals: readonly string[];
  private readonly groupsOf: (literal: string) => readonly number[];
  /**
   * Rule index r → its groups' numbers, requiredGroups[requiredStart[r] .. requiredStart[r + 1]),
   * flat: the scoring loop reads them for every rule. No group: the analysis found nothing
   * required, and the regex always runs.
   */
  private readonly requiredStart: Uint32Array;
  private readonly requiredGroups: Uint32Array;
  private readonly groupCount: number;
  /** The length of the longest literal searched (at most SEARCHED_LENGTH). */
  readonly longest: number;

  constructor(patterns: readonly RegExp[]) {
    const groupNumbers = new Map<string, number>();
    const literalGroups = new Map<string, number[]>();
    const required = patterns.map((pattern) => {
      const groups = requiredLiterals(pattern);
      return groups?.map((literals) => {
        const key = [...new Set(literals)].sort().join("\0");
        let number = groupNumbers.get(key);
        if (number === undefined) {
          groupNumbers.set(key, (number = groupNumbers.size));
          for (const literal of new Set(literals.map((whole) => whole.slice(0, SEARCHED_LENGTH)))) {
            const numbers = literalGroups.get(literal);
            if (numbers) numbers.push(number);
            else literalGroups.set(literal, [number]);
          }
        }
        return number;
      });
    });
    this.requiredStart = new Uint32Array(patterns.length + 1);
    required.forEach((groups, rule) => (this.requiredStart[rule + 1] = this.requiredStart[rule]! + (groups?.length ?? 0)));
    this.requiredGroups = Uint32Array.from(required.flatMap((groups) => groups ?? []));
    this.groupCount = groupNumbers.size;
    const literals = [...literalGroups.keys()];
    this.longest = Math.max(0, ...literals.map((literal) => literal.length));
    this.groupsOf = (literal) => literalGroups.get(literal)!;
    const ascii = literals.filter((literal) => !NON_ASCII.test(literal));
    this.ascii = ascii.length > 0 ? new Automaton(ascii, this.groupsOf, asciiClasses) : undefined;
    this.nonAsciiLiterals = literals.filter((literal) => NON_ASCII.test(literal));
  }

  /**
   * Which groups have a literal in `view`, for `mayMatch`; with `lettersOnly`, in the string of
   * its a-z letters alone (read in place: the `squashed` view from `latin`, without building it).
   */
  scan(view: string, lettersOnly = false): LiteralHits {
    const hits = new Uint8Array(this.groupCount);
    this.ascii?.scan(view, hits, lettersOnly);
    if (!lettersOnly && this.nonAsciiLiterals.length > 0 && NON_ASCII.test(view)) {
      this.nonAscii ??= new Automaton(this.nonAsciiLiterals, this.groupsOf, literalClasses);
      this.nonAscii.scan(view, hits, false);
    }
    return hits;
  }

  /** Whether pattern number `rule` may match the view `hits` was scanned from. */
  mayMatch(rule: number, hits: LiteralHits): boolean {
    return this.mayMatchEither(rule, hits, hits);
  }

  /** Whether each group of pattern number `rule` has a literal in one of two scanned views. */
  mayMatchEither(rule: number, hits: LiteralHits, others: LiteralHits): boolean {
    const { requiredStart, requiredGroups } = this;
    for (let index = requiredStart[rule]!; index < requiredStart[rule + 1]!; index++) {
      const group = requiredGroups[index]!;
      if (hits[group] !== 1 && others[group] !== 1) return false;
    }
    return true;
  }
}

/**
 * RulePrefilters for rules over several views: one set of automata per view, so that a view is
 * read only for its own rules' literals (a view with two rules gets a table of a few kilobytes,
 * not the whole one). Rules are numbered in the order given.
 */
export class ViewPrefilters<View extends string> {
  private readonly views = new Map<View, RulePrefilters>();
  /** Rule number → its view's prefilters and its number among them. */
  private readonly local: { prefilters: RulePrefilters; number: number }[];

  constructor(rules: readonly { pattern: RegExp; view: View }[]) {
    const patterns = new Map<View, RegExp[]>();
    const numbers = rules.map(({ pattern, view }) => {
      const list = patterns.get(view) ?? [];
      patterns.set(view, list);
      return list.push(pattern) - 1;
    });
    for (const [view, list] of patterns) this.views.set(view, new RulePrefilters(list));
    this.local = rules.map(({ view }, rule) => ({ prefilters: this.views.get(view)!, number: numbers[rule]! }));
  }

  /** The longest literal of `view`'s rules. */
  longest(view: View): number {
    return this.views.get(view)?.longest ?? 0;
  }

  /** Which of `view`'s groups have a literal in `text` (in its a-z letters alone, with `lettersOnly`). */
  scan(view: View, text: string, lettersOnly = false): LiteralHits {
    return this.views.get(view)!.scan(text, lettersOnly);
  }

  /** Whether rule number `rule` may match the text `hits` was scanned from (by its view). */
  mayMatch(rule: number, hits: LiteralHits): boolean {
    const { prefilters, number } = this.local[rule]!;
    return prefilters.mayMatch(number, hits);
  }

  /** Whether each group of rule number `rule` has a literal in one of two texts scanned by its view. */
  mayMatchEither(rule: number, hits: LiteralHits, others: LiteralHits): boolean {
    const { prefilters, number } = this.local[rule]!;
    return prefilters.mayMatchEither(number, hits, others);
  }
}

/** Per group, 1 when one of its literals is in the scanned view. */
export type LiteralHits = Uint8Array;

const NON_ASCII = /[^\x00-\x7f]/;

/** An automaton's alphabet: each character's class (0: in no literal) and the number of classes. */
interface Alphabet {
  classOf: Uint16Array;
  width: number;
}

/** Gives each character of the literals that has no class yet in `classOf` the class `classFor()` returns. */
function classifyLiterals(literals: readonly string[], classOf: Uint16Array, classFor: () => number): void {
  for (const literal of literals) {
    for (let index = 0; index < literal.length; index++) {
      const code = literal.charCodeAt(index);
      if (classOf[code] === 0) classOf[code] = classFor();
    }
  }
}

/** One class per character of the literals, in order of appearance: exact, for the few non-ASCII literals' table. */
function literalClasses(literals: readonly string[]): Alphabet {
  const classOf = new Uint16Array(0x10000);
  let width = 1;
  classifyLiterals(literals, classOf, () => width++);
  return { classOf, width };
}

/**
 * The ASCII literals' alphabet in at most 32 classes, so that a state's row is 64 bytes, one
 * cache line. When the literals hold more characters (the English rules' hold 62): a-z, space,
 * newline, comma and full stop each their own class (what prose is made of), every other
 * character of a literal (digits, capitals, brackets, the rarer punctuation) one class. A literal
 * then also "occurs" where another character of that class stands in for one of its own: the
 * prefilter lets a few more regexes run, and stays sound (a literal in the text is always found).
 */
function asciiClasses(literals: readonly string[]): Alphabet {
  const exact = literalClasses(literals);
  if (exact.width <= ROW_WIDTH) return exact;
  const classOf = new Uint16Array(0x10000);
  for (let code = 0x61; code <= 0x7a; code++) classOf[code] = code - 0x60;
  [" ", "\n", ",", "."].forEach((char, index) => (classOf[char.charCodeAt(0)] = 27 + index));
  classifyLiterals(literals, classOf, () => ROW_WIDTH - 1);
  return { classOf, width: ROW_WIDTH };
}

/**
 * One Aho-Corasick automaton as a DFA. Characters map to classes (Alphabet: a character in no
 * literal to class 0, on which every state returns to the root). A state's transition is the next
 * state, with REPORTS set when a literal ends there (the scan's one branch). `report[s]` is the
 * first state on s's suffix chain (itself included) where a literal ends, or -1; `suffix[t]` the
 * next such state after t. A state's literals are the same every time it is reached, so each is
 * reported once per scan (`reported` holds the scan's stamp): repeated words cost one lookup each.
 *
 * What a scan reads is what it costs once other work has pushed the automaton out of the caches,
 * as on a busy gateway, so the automaton is kept small where it is read at random:
 * - States are numbered breadth first. Those within DENSE_DEPTH characters of the root (a thousand
 *   of the English rules' 18,000, where ordinary text spends most of its characters) have a full
 *   row of 16-bit transitions: `next[s * width + class]`.
 * - Deeper states, which ordinary text visits a few hundred of per 2 KB, each somewhere else, keep
 *   only their children in the trie and their failure state, in one 8-byte record (a 64-byte row
 *   each would be 1 MB): a character that is no child's goes on from the failure state, a shorter
 *   one, until a state with a row. Each character still costs a bounded number of steps (the
 *   depth), and a step reads one record, one cache line, not one per array a state's fields
 *   were spread over.
 * At most MAX_STATES states: a literal that would need more ends where the states ran out, as a
 * prefix of itself: a prefix is in every text the literal is in, so the prefilter stays sound and
 * only lets a few more regexes run.
 */
class Automaton {
  private readonly classOf: Uint16Array;
  private readonly width: number;
  /** States below this number have rows in `next`; the others are deep (`deep*`, indexed by number - dense). */
  private readonly dense: number;
  private readonly next: Uint16Array;
  /**
   * Deep state d's record, DEEP_RECORD entries from d * DEEP_RECORD: its failure state, its first
   * child's class (NO_CHILD: none) and transition, and where its other children are in
   * `deepMore` (0: none). 8 bytes in one place, so that a visit reads one cache line: nine in ten
   * deep states have one child or none.
   */
  private readonly deep: Uint16Array;
  /** Deep states' further children: (class, transition) pairs, each state's ended by NO_CHILD; index 0 unused. */
  private readonly deepMore: Uint16Array;
  private readonly report: Int32Array;
  private readonly suffix: Int32Array;
  /** State → the groups of the literals ending there: groups[groupEnds[s - 1] .. groupEnds[s]). */
  private readonly groupEnds: Uint32Array;
  private readonly groups: Uint32Array;
  private readonly reported: Uint32Array;
  /** Groups with a literal cut down to nothing (no state left for its first character): always hit. */
  private readonly always: readonly number[];
  private stamp = 0;

  constructor(
    literals: readonly string[],
    groupsOf: (literal: string) => readonly number[],
    alphabet: (literals: readonly string[]) => Alphabet,
  ) {
    const { classOf, width } = alphabet(literals);
    // The trie, shortest literals first so that only long ones are cut: its transitions in the
    // table (0: none yet; the root is no child), the literals that end at each state.
    let next = new Uint16Array(64 * width);
    let states = 1;
    const ending: string[][] = [[]];
    for (const literal of [...literals].sort((a, b) => a.length - b.length)) {
      let state = 0;
      for (let index = 0; index < literal.length; index++) {
        const entry = state * width + classOf[literal.charCodeAt(index)]!;
        if (next[entry] === 0) {
          if (states === MAX_STATES) break;
          if ((states + 1) * width > next.length) next = grown(next, Math.min(MAX_STATES, states * 2) * width);
          next[entry] = states++;
          ending.push([]);
        }
        state = next[entry]!;
      }
      ending[state]!.push(literal);
    }
    next = next.slice(0, states * width);
    const fail = new Int32Array(states);
    const depth = new Int32Array(states);
    const report = new Int32Array(states).fill(-1);
    const suffix = new Int32Array(states).fill(-1);
    const children: number[][] = Array.from({ length: states }, () => []);
    // Breadth first, so that a state's failure state (shorter) is complete before it. A state's
    // row holds only its trie children until the state is reached: then each missing transition
    // becomes its failure state's.
    const queue = new Int32Array(states);
    let tail = 1;
    for (let head = 0; head < tail; head++) {
      const state = queue[head]!;
      const row = state * width;
      const failRow = fail[state]! * width;
      for (let symbol = 0; symbol < width; symbol++) {
        const child = next[row + symbol]!;
        const fallback = state === 0 ? 0 : next[failRow + symbol]!;
        if (child === 0) {
          next[row + symbol] = fallback;
          continue;
        }
        fail[child] = fallback;
        depth[child] = depth[state]! + 1;
        children[state]!.push(symbol, child);
        queue[tail++] = child;
      }
      if (state !== 0) {
        const inherited = report[fail[state]!]!;
        report[state] = ending[state]!.length > 0 ? state : inherited;
        suffix[state] = inherited;
      }
    }
    // Renumbered in breadth-first order: the states with rows first, and ordinary text rarely
    // gets past a literal's first few characters, so the rows it reads are together.
    const rank = new Int32Array(states);
    for (let order = 0; order < states; order++) rank[queue[order]!] = order;
    let dense = 0;
    while (dense < states && depth[queue[dense]!]! <= DENSE_DEPTH) dense++;
    const reportOf = new Int32Array(states);
    const suffixOf = new Int32Array(states);
    const endingAt: string[][] = [];
    for (let order = 0; order < states; order++) {
      const state = queue[order]!;
      reportOf[order] = report[state]! < 0 ? -1 : rank[report[state]!]!;
      suffixOf[order] = suffix[state]! < 0 ? -1 : rank[suffix[state]!]!;
      endingAt.push(ending[state]!);
    }
    // A transition to a state whose suffix chain ends a literal carries REPORTS.
    const transition = (target: number) => rank[target]! | (reportOf[rank[target]!]! >= 0 ? REPORTS : 0);
    const table = new Uint16Array(dense * width);
    for (let order = 0; order < dense; order++) {
      const row = queue[order]! * width;
      for (let symbol = 0; symbol < width; symbol++) table[order * width + symbol] = transition(next[row + symbol]!);
    }
    const deep = new Uint16Array((states - dense) * DEEP_RECORD);
    const deepMore: number[] = [NO_CHILD];
    for (let order = dense; order < states; order++) {
      const state = queue[order]!;
      const record = (order - dense) * DEEP_RECORD;
      const edges = children[state]!;
      deep[record] = rank[fail[state]!]!;
      deep[record + 1] = edges.length > 0 ? edges[0]! : NO_CHILD;
      deep[record + 2] = edges.length > 0 ? transition(edges[1]!) : 0;
      if (edges.length <= 2) continue;
      if (deepMore.length > 0xffff) throw new Error("prefilter: more deep transitions than 16-bit indices reach");
      deep[record + 3] = deepMore.length;
      for (let edge = 2; edge < edges.length; edge += 2) deepMore.push(edges[edge]!, transition(edges[edge + 1]!));
      deepMore.push(NO_CHILD);
    }
    // State 0 ends no literal: what would is in `always`.
    const groupEnds = new Uint32Array(states);
    const groups: number[] = [];
    for (let state = 1; state < states; state++) {
      for (const literal of endingAt[state]!) groups.push(...groupsOf(literal));
      groupEnds[state] = groups.length;
    }
    this.classOf = classOf;
    this.width = width;
    this.dense = dense;
    this.next = table;
    this.deep = deep;
    this.deepMore = Uint16Array.from(deepMore);
    this.report = reportOf;
    this.suffix = suffixOf;
    this.groupEnds = groupEnds;
    this.groups = Uint32Array.from(groups);
    this.reported = new Uint32Array(states);
    this.always = endingAt[0]!.flatMap(groupsOf);
  }

  /** Sets `hits[g]` for each group g that has a literal in `text` (in its a-z letters alone, with `lettersOnly`). */
  scan(text: string, hits: Uint8Array, lettersOnly: boolean): void {
    const { classOf, dense, next, report, reported, width } = this;
    const stamp = this.nextStamp();
    for (const group of this.always) hits[group] = 1;
    let state = 0;
    for (let index = 0; index < text.length; index++) {
      const code = text.charCodeAt(index);
      if (lettersOnly && (code < 0x61 || code > 0x7a)) continue;
      const symbol = classOf[code]!;
      const entry = state < dense ? next[state * width + symbol]! : this.deepTransition(state, symbol);
      state = entry & ~REPORTS;
      if (entry === state) continue;
      const found = report[state]!;
      if (reported[found] !== stamp) this.reportFrom(found, stamp, hits);
    }
  }

  /** The transition from deep state `state` on `symbol`: a child's, else the failure state's (Aho-Corasick's goto and fail). */
  private deepTransition(state: number, symbol: number): number {
    const { dense, deep, deepMore } = this;
    for (let at = state; ;) {
      const record = (at - dense) * DEEP_RECORD;
      if (deep[record + 1] === symbol) return deep[record + 2]!;
      for (let more = deep[record + 3]!; more !== 0 && deepMore[more] !== NO_CHILD; more += 2) {
        if (deepMore[more] === symbol) return deepMore[more + 1]!;
      }
      at = deep[record]!;
      if (at < dense) return this.next[at * this.width + symbol]!;
    }
  }

  /** Marks the groups of every literal on the suffix chain from `state`, up to one already reported. */
  private reportFrom(state: number, stamp: number, hits: Uint8Array): void {
    const { reported, suffix, groupEnds, groups } = this;
    for (let found = state; found >= 0 && reported[found] !== stamp; found = suffix[found]!) {
      reported[found] = stamp;
      for (let index = groupEnds[found - 1]!; index < groupEnds[found]!; index++) hits[groups[index]!] = 1;
    }
  }

  private nextStamp(): number {
    if (this.stamp === 0xffffffff) {
      this.reported.fill(0);
      this.stamp = 0;
    }
    return ++this.stamp;
  }
}

/** `table` copied into a larger one of `size` entries. */
function grown(table: Uint16Array<ArrayBuffer>, size: number): Uint16Array<ArrayBuffer> {
  const larger = new Uint16Array(size);
  larger.set(table);
  return larger;
}

/** A deep state's record in Automaton.deep: failure state, first child's class and transition, index of the others. */
const DEEP_RECORD = 4;
/** A class no character has: a deep state without (further) children. */
const NO_CHILD = 0xffff;
/** States this many characters from the root or fewer have a full row of transitions (Automaton). */
const DENSE_DEPTH = 3;
/** Classes of the ASCII literals' alphabet: a row of 16-bit entries, 64 bytes. */
const ROW_WIDTH = 32;
/** How many of a literal's first characters are searched (above). */
const SEARCHED_LENGTH = 12;
/** A transition entry's flag: a literal ends in the state it leads to. */
const REPORTS = 0x8000;
/** States an automaton may have: state numbers fit beside REPORTS in 16 bits. */
const MAX_STATES = REPORTS;
