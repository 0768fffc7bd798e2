import type { PromptViews } from "./normalise";
import { anyOf, forEachMatch, type PatternRule } from "./rule";

/**
 * Prefilters: most rules cannot match a prompt that lacks their key words, and one scan for all
 * key words costs less than a scan per rule (a 2 KB prompt takes some seventy scans otherwise).
 *
 * `requiredLiterals(source)` reads a rule's regex source and names strings one of which every
 * match contains (RE2's "prefilter" idea, Cox 2012, "Regular Expression Matching with a
 * Trigram Index"): the literal alternatives a pattern starts or ends with, a fixed word inside.
 * It understands the subset the rule files use (literals, escapes, classes, groups, lookarounds,
 * alternation, quantifiers) and answers undefined for anything else, so a rule it cannot read
 * always runs. `PhraseGate` then finds, in one pass, which of many phrases occur in a text.
 */

/** What is known of the strings a piece of regex matches. */
interface Facts {
  /** All of them, when there are few (each as a literal). */
  exact?: Set<string>;
  /** Strings one of which each of them contains. */
  required?: Set<string>;
}

const MAX_EXACT = 64;
const UNKNOWN: Facts = {};
const EMPTY: Facts = { exact: new Set([""]) };
/** Zero or more of something: possibly empty, nothing required. */
const EMPTY_OR_MORE: Facts = {};
const CLASS_ESCAPES = new Set(["d", "D", "w", "W", "s", "S", "p", "P"]);
const ZERO_WIDTH_ESCAPES = new Set(["b", "B"]);
const CONTROL_ESCAPES: Record<string, string> = { n: "\n", t: "\t", r: "\r", f: "\f", v: "\v" };

class Unreadable extends Error {}

/** One literal character's facts, shared: facts are never changed once made. */
const LITERALS = new Map<string, Facts>();
function literal(char: string): Facts {
  let facts = LITERALS.get(char);
  if (!facts) LITERALS.set(char, (facts = { exact: new Set([char]) }));
  return facts;
}

// Sticky: matched where the parser stands.
const QUANTIFIER = /(?:\?|\*|\+|\{(\d+)(?:,(\d*))?\})\??/y;
const LOOKAROUND = /\?(?:=|!|<=|<!)/y;
// Plain words separated by "|" up to the group's end: no escape, class, group or quantifier.
const WORD_LIST = /([^\\()[\]{}|?*+.^$]+(?:\|[^\\()[\]{}|?*+.^$]+)*)\)/y;

/** The better of two any-of sets: the one whose shortest string is longer (fewer false hits). */
const SHORTEST = new WeakMap<Set<string>, number>();

/** The length of the shortest string in `set` (0 for none), computed once per set. */
function shortest(set: Set<string> | undefined): number {
  if (!set) return 0;
  let length = SHORTEST.get(set);
  if (length === undefined) {
    length = Infinity;
    for (const string of set) length = Math.min(length, string.length);
    SHORTEST.set(set, length);
  }
  return length;
}

function selective(a: Set<string> | undefined, b: Set<string> | undefined): Set<string> | undefined {
  if (shortest(a) === 0) return shortest(b) === 0 ? undefined : b;
  if (shortest(b) === 0) return a;
  return shortest(b) > shortest(a) ? b : a;
}

function requiredOf(facts: Facts): Set<string> | undefined {
  return selective(facts.exact, facts.required);
}

class Parser {
  private at = 0;
  constructor(private readonly source: string) {}

  parse(): Facts {
    const facts = this.alternation();
    if (this.at !== this.source.length) throw new Unreadable();
    return facts;
  }

  private alternation(): Facts {
    const branches = [this.sequence()];
    while (this.source[this.at] === "|") {
      this.at++;
      branches.push(this.sequence());
    }
    if (branches.length === 1) return branches[0]!;
    if (branches.every((branch) => branch.exact) && branches.reduce((size, branch) => size + branch.exact!.size, 0) <= MAX_EXACT)
      return { exact: new Set(branches.flatMap((branch) => [...branch.exact!])) };
    const required = branches.map(requiredOf);
    if (required.some((set) => set === undefined)) return UNKNOWN;
    return { required: new Set(required.flatMap((set) => [...set!])) };
  }

  private sequence(): Facts {
    let exact: Set<string> | undefined = new Set([""]);
    // A run of single strings (most pieces are one literal character) is appended to `exact` in
    // one go: a cross product per character would cost a set per character.
    let tail = "";
    const flush = () => {
      if (exact && tail) exact = new Set([...exact].map((left) => left + tail));
      tail = "";
    };
    let best: Set<string> | undefined;
    while (this.at < this.source.length && this.source[this.at] !== "|" && this.source[this.at] !== ")") {
      const piece = this.quantified();
      if (exact && piece.exact?.size === 1) {
        tail += piece.exact.values().next().value;
        continue;
      }
      flush();
      if (exact && piece.exact && exact.size * piece.exact.size <= MAX_EXACT) {
        exact = new Set([...exact].flatMap((left) => [...piece.exact!].map((right) => left + right)));
        continue;
      }
      // The exact run ends here: what it matched is one candidate, the piece another.
      best = selective(best, exact);
      best = selective(best, requiredOf(piece));
      exact = piece.exact;
    }
    flush();
    if (best === undefined) return { exact };
    return { required: selective(best, exact) ?? best };
  }

  private quantified(): Facts {
    const atom = this.atom();
    if (!"?*+{".includes(this.source[this.at] ?? "")) return atom;
    const quantifier = this.sticky(QUANTIFIER);
    if (!quantifier) return atom;
    this.at += quantifier[0].length;
    const symbol = quantifier[0][0];
    const min = symbol === "+" ? 1 : symbol === "{" ? Number(quantifier[1]) : 0;
    const max =
      symbol === "{"
        ? quantifier[2] === undefined
          ? min
          : quantifier[2] === ""
            ? Infinity
            : Number(quantifier[2])
        : symbol === "?"
          ? 1
          : Infinity;
    if (min === 0) return max === 1 && atom.exact ? { exact: new Set([...atom.exact, ""]) } : EMPTY_OR_MORE;
    if (min === 1 && max === 1) return atom;
    return { required: requiredOf(atom) };
  }

  private atom(): Facts {
    const char = this.source[this.at++];
    if (char === undefined) throw new Unreadable();
    if (char === "(") return this.group();
    if (char === "[") return this.characterClass();
    if (char === "\\") return this.escape();
    if (char === ".") return UNKNOWN;
    if (char === "^" || char === "$") return EMPTY;
    if ("*+?{}])|".includes(char)) throw new Unreadable();
    return literal(char);
  }

  private group(): Facts {
    const lookaround = this.sticky(LOOKAROUND);
    if (lookaround) {
      this.at += lookaround[0].length;
      this.alternation();
      this.expect(")");
      return EMPTY;
    }
    if (this.source.startsWith("?:", this.at)) this.at += 2;
    else if (this.source[this.at] === "?") throw new Unreadable();
    // The word lists (`anyOf`) are most of the rules' source: read as a whole, not character by character.
    const words = this.sticky(WORD_LIST);
    if (words) {
      this.at += words[0].length;
      const alternatives = new Set(words[1]!.split("|"));
      return alternatives.size <= MAX_EXACT ? { exact: alternatives } : { required: alternatives };
    }
    const inner = this.alternation();
    this.expect(")");
    return inner;
  }

  private characterClass(): Facts {
    const negated = this.source[this.at] === "^";
    if (negated) this.at++;
    const chars = new Set<string>();
    let plain = !negated;
    for (let first = true; ; first = false) {
      const char = this.source[this.at++];
      if (char === undefined) throw new Unreadable();
      if (char === "]" && !first) break;
      if (char === "\\") {
        const escaped = this.source[this.at++]!;
        if (CLASS_ESCAPES.has(escaped)) {
          plain = false;
          if (escaped === "p" || escaped === "P") this.skipProperty();
        } else chars.add(CONTROL_ESCAPES[escaped] ?? escaped);
      } else if (this.source[this.at] === "-" && this.source[this.at + 1] !== "]") {
        this.at += 2; // a range: its members are not listed
        plain = false;
      } else chars.add(char);
    }
    return plain && chars.size <= 8 ? { exact: chars } : UNKNOWN;
  }

  private escape(): Facts {
    const char = this.source[this.at++];
    if (char === undefined) throw new Unreadable();
    if (ZERO_WIDTH_ESCAPES.has(char)) return EMPTY;
    if (CLASS_ESCAPES.has(char)) {
      if (char === "p" || char === "P") this.skipProperty();
      return UNKNOWN;
    }
    if (/[0-9kcxu]/.test(char)) throw new Unreadable(); // back-references, named groups, code points
    return literal(CONTROL_ESCAPES[char] ?? char);
  }

  private skipProperty() {
    const end = this.source.indexOf("}", this.at);
    if (this.source[this.at] !== "{" || end < 0) throw new Unreadable();
    this.at = end + 1;
  }

  /** `pattern` (sticky) matched at the current position, without copying the rest of the source. */
  private sticky(pattern: RegExp): RegExpExecArray | null {
    pattern.lastIndex = this.at;
    return pattern.exec(this.source);
  }

  private expect(char: string) {
    if (this.source[this.at++] !== char) throw new Unreadable();
  }
}

/**
 * Strings (of at least `minLength` characters) one of which every match of `pattern` contains,
 * or undefined when the pattern says too little (or uses syntax this reader does not know).
 */
export function requiredLiterals(pattern: RegExp, minLength = 3): string[] | undefined {
  if (pattern.flags.includes("i")) return undefined;
  let facts: Facts;
  try {
    facts = new Parser(pattern.source).parse();
  } catch (error) {
    if (error instanceof Unreadable) return undefined;
    throw error;
  }
  const required = requiredOf(facts);
  if (!required || [...required].some((literal) => literal.length < minLength)) return undefined;
  return [...required];
}

/** A phrase to look for, and whether it must not touch a word character before or after it. */
export interface GatePhrase {
  text: string;
  wordBefore?: boolean;
  wordAfter?: boolean;
}

const WORD_CHARACTER = /[A-Za-z0-9'’]/;

/** Whether the character at `index` (if any) is part of a word. */
function wordAt(text: string, index: number): boolean {
  return index >= 0 && index < text.length && WORD_CHARACTER.test(text[index]!);
}

interface GateEntry<Owner> extends GatePhrase {
  owner: Owner;
}

/**
 * Which of many phrases occur in a text, in one scan of a plain alternation (word boundaries are
 * checked on the few matches, not in the pattern: a lookaround in each alternative would make
 * the scan many times slower). Each match resumes the scan at its next character, so no phrase
 * hides one that starts inside it; where the alternation took a longer phrase ("ignorați"), the
 * phrases it begins with ("ignora") are checked there too.
 */
export class PhraseGate<Owner> {
  /** For each phrase, the entries whose phrase it begins with (itself included). */
  private readonly entriesAt = new Map<string, GateEntry<Owner>[]>();
  private readonly pattern: RegExp;

  constructor(entries: Iterable<readonly [phrase: GatePhrase, owner: Owner]>, flags = "g") {
    const byText = new Map<string, GateEntry<Owner>[]>();
    for (const [phrase, owner] of entries) {
      const list = byText.get(phrase.text) ?? [];
      list.push({ ...phrase, owner });
      byText.set(phrase.text, list);
    }
    // Each phrase's prefixes looked up by length: linear in the phrases' total length.
    for (const text of byText.keys()) {
      const prefixed: GateEntry<Owner>[] = [];
      for (let length = 1; length <= text.length; length++) prefixed.push(...(byText.get(text.slice(0, length)) ?? []));
      this.entriesAt.set(text, prefixed);
    }
    const escaped = [...byText.keys()].map((text) => text.replace(/[.*+?^${}()|[\]\\/]/g, "\\$&"));
    this.pattern = new RegExp(anyOf(escaped), flags);
  }

  /** The owners of the phrases found in `text`. */
  present(text: string): Set<Owner> {
    const found = new Set<Owner>();
    forEachMatch(this.pattern, text, (match) => {
      for (const entry of this.entriesAt.get(match[0])!) {
        if (entry.wordBefore && wordAt(text, match.index - 1)) continue;
        if (entry.wordAfter && wordAt(text, match.index + entry.text.length)) continue;
        found.add(entry.owner);
      }
      // Go on from the next character, not the match's end: a phrase may start inside this one.
      this.pattern.lastIndex = match.index + 1;
    });
    return found;
  }
}

/**
 * What the gate looks for in place of a required literal: a part of it, so still in every match,
 * and fewer, shorter alternatives make a faster scan. Its longest uncommon word ("authorise" for
 * "i hereby authorise you to "), bounded on each side where the literal bounds it (so "story"
 * from "in a story" is not found in "history"); the literal itself when it holds markup
 * ("</user>", "](https://"), rarer than any word in it, or only words found in most prompts.
 */
const COMMON_WORDS = new Set(
  "the and you your you're i'm are was were will with from this that these those what which who have has had not but for all any can now new its it's our out one into then than when where how why just only also more some such there their they them been being about after before over under again very don't do does did".split(
    " ",
  ),
);

function gateKey(literal: string): GatePhrase {
  if (/[^a-z0-9 '’]/i.test(literal)) return { text: literal };
  let best: GatePhrase = { text: literal };
  for (const word of literal.matchAll(/[a-z0-9'’]+/gi)) {
    if (word[0].length < 3 || COMMON_WORDS.has(word[0].toLowerCase())) continue;
    if (best.text !== literal && word[0].length <= best.text.length) continue;
    best = { text: word[0], wordBefore: word.index > 0, wordAfter: word.index + word[0].length < literal.length };
  }
  return best;
}

/**
 * Rules gated by their required literals, per view: `applicable(views)` is every rule that can
 * match (those whose literals occur, and those without literals, which always run).
 */
export class GatedRules {
  private readonly ungated: PatternRule[] = [];
  private readonly gates = new Map<PatternRule["view"], PhraseGate<PatternRule>>();

  constructor(rules: readonly PatternRule[]) {
    const byView = new Map<PatternRule["view"], [GatePhrase, PatternRule][]>();
    for (const rule of rules) {
      const literals = requiredLiterals(rule.pattern);
      if (literals === undefined) {
        this.ungated.push(rule);
        continue;
      }
      const entries = byView.get(rule.view) ?? [];
      for (const literal of literals) entries.push([gateKey(literal), rule]);
      byView.set(rule.view, entries);
    }
    for (const [view, entries] of byView) this.gates.set(view, new PhraseGate(entries));
  }

  /** The rules that can match these views. */
  applicable(views: Pick<PromptViews, PatternRule["view"]>): PatternRule[] {
    const rules = [...this.ungated];
    for (const [view, gate] of this.gates) rules.push(...gate.present(views[view]));
    return rules;
  }

  /** The rules over `view` that can match `text` (another text for that view: a corrected one). */
  applicableOn(view: PatternRule["view"], text: string): PatternRule[] {
    return [...this.ungated.filter((rule) => rule.view === view), ...(this.gates.get(view)?.present(text) ?? [])];
  }
}

/**
 * `build()` on the first call, its result after: the gates take tens of milliseconds to build
 * (reading every rule's source), which a Worker's global scope would pay at startup, within its
 * startup CPU limit, for isolates that may never score a prompt.
 */
export function builtOnFirstUse<T>(build: () => T): () => T {
  let built: { value: T } | undefined;
  return () => (built ??= { value: build() }).value;
}
