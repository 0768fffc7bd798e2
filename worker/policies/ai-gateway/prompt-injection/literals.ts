/**
 * The literals a regex cannot match without. `requiredLiterals(/\bignore\W{1,6}(?:all )?rules\b/g)`
 * is [["ignore"], ["all rules", "rules"]]: every match contains "ignore" and one of "all rules",
 * "rules"; a text that lacks them cannot match and the regex need not scan it. This is the
 * analysis of Russ Cox's trigram index for Google Code Search ("Regular Expression Matching with a
 * Trigram Index", 2012): small alternatives are multiplied out into whole phrases, larger ones
 * kept as groups, all ANDed.
 *
 * Soundness is all that matters: every match of the regex contains a literal of every returned
 * group. Anything the analysis does not understand (classes of many characters, escapes such as
 * `\w` or `\p{..}`) counts as "any string", which requires nothing; lookarounds, `\b`, `^` and `$`
 * match the empty string, which requires nothing either; syntax it does not parse (back-references,
 * `\c`, group modifiers, flags `i` and `v`) gives no requirement at all. Derived from the pattern
 * itself, so a rule added or changed is covered without anyone writing triggers
 * (literals.test.ts checks it on random regexes).
 */

/** Alternative strings, with the length of the shortest (0: one of them is empty). */
interface Literals {
  strings: readonly string[];
  shortest: number;
}

/** What is known of the strings a piece of regex matches. */
interface Info {
  /** All the strings it can match, when they are few; undefined otherwise. */
  exact?: Literals;
  /**
   * Alternatives every match contains one of, for each entry (a conjunction of disjunctions);
   * empty when nothing is required. Ignored when `exact` is set.
   */
  required?: readonly Literals[];
}

/** Exact sets larger than this are given up (cross products grow fast). */
const MAX_EXACT = 64;
/** Groups of each side an alternation keeps (their product is what it requires). */
const KEPT_PER_BRANCH = 3;
/** A character class of up to this many characters is an exact set of them. */
const MAX_CLASS = 8;

const BRACES = /\{(\d+)(?:(,)(\d*))?\}/y;
const LOOKAROUND = /\?<?[=!]/y;
const GROUP_PREFIX = /\?(?::|<[A-Za-z_$][\w$]*>)/y;
const HEX_BYTE = /[0-9a-fA-F]{2}/y;
const HEX_UNICODE = /[0-9a-fA-F]{4}|\{[0-9a-fA-F]{1,6}\}/y;
const HEX_UTF16 = /[0-9a-fA-F]{4}/y;
const PROPERTY = /\{[^}]*\}/y;

const ANY: Info = {};
const EMPTY: Info = { exact: literals([""]) };

/**
 * What every match of `pattern` contains: for each returned group, one of its literals. Groups
 * come most telling first (longest shortest literal). Undefined when the analysis finds nothing
 * required (the regex must then always run).
 */
export function requiredLiterals(pattern: RegExp): string[][] | undefined {
  if (/[iv]/.test(pattern.flags)) return undefined;
  const parser = new Parser(pattern.source, pattern.flags.includes("u"));
  try {
    const info = parser.alternation();
    if (parser.position !== pattern.source.length) return undefined;
    // Alternations repeat groups (each side's kept groups are ORed with the other's): once each.
    const groups = new Map(requirements(info).map((group) => [[...new Set(group.strings)].sort().join("\0"), group]));
    return groups.size > 0 ? [...groups.values()].sort(byStrength).map((group) => [...new Set(group.strings)]) : undefined;
  } catch {
    return undefined; // syntax the parser does not know: the regex always runs
  }
}

function literals(strings: readonly string[]): Literals {
  let shortest = Infinity;
  for (const string of strings) shortest = Math.min(shortest, string.length);
  return { strings, shortest };
}

/** What `info` requires: an exact set is a requirement unless it holds the empty string. */
function requirements(info: Info): readonly Literals[] {
  if (info.exact) return info.exact.shortest > 0 ? [info.exact] : [];
  return info.required ?? [];
}

/** The more telling group first: the longer shortest literal, then the fewer literals. */
function byStrength(a: Literals, b: Literals): number {
  return b.shortest - a.shortest || a.strings.length - b.strings.length;
}

function product(a: Literals, b: Literals): Literals {
  const strings: string[] = [];
  for (const left of a.strings) for (const right of b.strings) strings.push(left + right);
  return { strings, shortest: a.shortest + b.shortest };
}

function union(a: Literals, b: Literals): Literals {
  return { strings: [...a.strings, ...b.strings], shortest: Math.min(a.shortest, b.shortest) };
}

/**
 * (A1 and A2) or (B1 and B2) requires (A1 or B1) and (A1 or B2) and ...: the product is kept to
 * the KEPT_PER_BRANCH most telling groups of each side.
 */
function alternate(a: Info, b: Info): Info {
  if (a.exact && b.exact && a.exact.strings.length + b.exact.strings.length <= MAX_EXACT) return { exact: union(a.exact, b.exact) };
  // A branch that requires nothing (or may match "") makes the whole require nothing.
  const left = [...requirements(a)].sort(byStrength).slice(0, KEPT_PER_BRANCH);
  const right = [...requirements(b)].sort(byStrength).slice(0, KEPT_PER_BRANCH);
  return { required: left.flatMap((one) => right.map((other) => union(one, other))) };
}

function repeat(info: Info, min: number, max: number): Info {
  if (min === 0 && max === 1)
    return info.exact && info.exact.strings.length < MAX_EXACT ? { exact: union(info.exact, literals([""])) } : ANY;
  if (min === 0) return ANY;
  if (min === 1 && max === 1) return info;
  // At least one repetition: what one requires, the whole does.
  return { required: requirements(info) };
}

/** A recursive-descent parser of JavaScript regex syntax (ECMA-262 §22.2.1), computing Info. */
class Parser {
  position = 0;

  constructor(
    private readonly source: string,
    private readonly unicode: boolean,
  ) {}

  alternation(): Info {
    let info = this.sequence();
    while (this.source[this.position] === "|") {
      this.position++;
      info = alternate(info, this.sequence());
    }
    return info;
  }

  /**
   * A run of items: exact sets are multiplied out while they stay small ("ignore" + " " + "all");
   * when one would grow too large, the run so far becomes a requirement and a new run starts.
   * Every item's requirements hold for the sequence.
   */
  private sequence(): Info {
    const required: Literals[] = [];
    let run = EMPTY;
    let cut = false;
    while (this.position < this.source.length && this.source[this.position] !== "|" && this.source[this.position] !== ")") {
      const item = this.quantified(this.atom());
      if (run.exact && item.exact && run.exact.strings.length * item.exact.strings.length <= MAX_EXACT) {
        run = { exact: product(run.exact, item.exact) };
        continue;
      }
      required.push(...requirements(run));
      cut = true;
      if (item.exact) {
        run = item;
      } else {
        required.push(...requirements(item));
        run = EMPTY;
      }
    }
    // Nothing cut: the sequence's strings are known exactly.
    if (!cut) return run;
    return { required: [...required, ...requirements(run)] };
  }

  private quantified(info: Info): Info {
    const braces = this.sticky(BRACES);
    const next = this.source[this.position];
    let min: number;
    let max: number;
    if (braces) {
      min = Number(braces[1]);
      max = braces[2] ? (braces[3] ? Number(braces[3]) : Infinity) : min;
    } else if (next === "?" || next === "*" || next === "+") {
      [min, max] = next === "?" ? [0, 1] : next === "*" ? [0, Infinity] : [1, Infinity];
      this.position++;
    } else {
      return info;
    }
    if (this.source[this.position] === "?") this.position++; // lazy: the same strings
    return repeat(info, min, max);
  }

  private atom(): Info {
    const char = this.source[this.position]!;
    this.position++;
    switch (char) {
      case "(":
        return this.group();
      case "[":
        return this.characterClass();
      case "\\":
        return this.escape();
      case "^":
      case "$":
        return EMPTY;
      case ".":
        return ANY;
      case "?":
      case "*":
      case "+":
      case ")":
      case "|":
        throw new Error(`unexpected regex syntax at ${this.position - 1}`);
      default:
        return this.literal(char);
    }
  }

  private literal(char: string): Info {
    // With the `u` flag a surrogate pair is one character, matched as a whole.
    const code = char.charCodeAt(0);
    if (this.unicode && code >= 0xd800 && code <= 0xdbff && this.position < this.source.length) {
      return { exact: literals([char + this.source[this.position++]]) };
    }
    // The plain characters that follow, up to one a quantifier applies to, are one string: one
    // step instead of one per character.
    const start = this.position - 1;
    while (
      this.position < this.source.length &&
      isPlain(this.source.charCodeAt(this.position)) &&
      !isQuantifier(this.source.charCodeAt(this.position + 1))
    ) {
      this.position++;
    }
    return { exact: literals([this.source.slice(start, this.position)]) };
  }

  private group(): Info {
    if (this.sticky(LOOKAROUND)) {
      // Zero-width: constrains where a match is, adds no character to it.
      this.alternation();
      this.expect(")");
      return EMPTY;
    }
    if (!this.sticky(GROUP_PREFIX) && this.source[this.position] === "?") throw new Error(`unknown group syntax at ${this.position}`); // e.g. (?i:...)
    const info = this.alternation();
    this.expect(")");
    return info;
  }

  private expect(char: string) {
    if (this.source[this.position] !== char) throw new Error(`unexpected regex syntax at ${this.position}`);
    this.position++;
  }

  private escape(): Info {
    const char = this.source[this.position]!;
    this.position++;
    if (char === "b" || char === "B") return EMPTY;
    if ("dDwWsS".includes(char)) return ANY;
    if (char === "p" || char === "P") {
      this.skipProperty();
      return ANY;
    }
    const escaped = this.characterEscape(char);
    // Back-references (\1, \k<name>), \c, octal: not analysed, the regex always runs.
    if (escaped === undefined) throw new Error(`unknown escape \\${char}`);
    return { exact: literals([escaped]) };
  }

  /** The character an escape stands for (`\n`, `\x41`, `\.`), or undefined when not a simple one. */
  private characterEscape(char: string): string | undefined {
    const simple: Record<string, string> = { n: "\n", t: "\t", r: "\r", f: "\f", v: "\v", 0: "\0" };
    if (simple[char] !== undefined) return simple[char];
    const hex = char === "x" ? this.sticky(HEX_BYTE) : char === "u" ? this.sticky(this.unicode ? HEX_UNICODE : HEX_UTF16) : null;
    if (hex) {
      return String.fromCodePoint(parseInt(hex[0].replace(/[{}]/g, ""), 16));
    }
    if (/[A-Za-z0-9]/.test(char)) return undefined; // \c, octal, and the like
    return char; // an identity escape: \. \/ \| \[ ...
  }

  private skipProperty() {
    this.sticky(PROPERTY);
  }

  /** Matches `pattern` (sticky) at the current position and moves past the match. */
  private sticky(pattern: RegExp): RegExpExecArray | null {
    pattern.lastIndex = this.position;
    const match = pattern.exec(this.source);
    if (match) this.position += match[0].length;
    return match;
  }

  private characterClass(): Info {
    const negated = this.source[this.position] === "^";
    if (negated) this.position++;
    const chars = new Set<string>();
    let exact = !negated;
    while (this.position < this.source.length && this.source[this.position] !== "]") {
      const member = this.classMember();
      if (member === undefined) {
        exact = false;
        continue;
      }
      if (this.source[this.position] === "-" && this.source[this.position + 1] !== "]") {
        this.position++;
        const last = this.classMember();
        const from = member.codePointAt(0)!;
        const to = last?.codePointAt(0);
        if (last === undefined || to === undefined || to - from >= MAX_CLASS) exact = false;
        else for (let code = from; code <= to; code++) chars.add(String.fromCodePoint(code));
        continue;
      }
      chars.add(member);
    }
    this.expect("]");
    return exact && chars.size > 0 && chars.size <= MAX_CLASS ? { exact: literals([...chars]) } : ANY;
  }

  /** One character of a class, or undefined for a class escape (`\w`, `\p{L}`). */
  private classMember(): string | undefined {
    const char = this.source[this.position]!;
    this.position++;
    if (char !== "\\") {
      const code = char.charCodeAt(0);
      if (this.unicode && code >= 0xd800 && code <= 0xdbff) return char + this.source[this.position++];
      return char;
    }
    const escaped = this.source[this.position]!;
    this.position++;
    if ("dDwWsS".includes(escaped)) return undefined;
    if (escaped === "p" || escaped === "P") {
      this.skipProperty();
      return undefined;
    }
    if (escaped === "b") return "\b"; // backspace, inside a class
    const member = this.characterEscape(escaped);
    if (member === undefined) throw new Error(`unknown escape \\${escaped}`);
    return member;
  }
}

/** A character that stands for itself: not regex syntax, not half of a surrogate pair. */
function isPlain(code: number): boolean {
  return (code < 0xd800 || code > 0xdfff) && !SYNTAX.has(code);
}

const SYNTAX = new Set([..."\\^$.|?*+()[]{}"].map((char) => char.charCodeAt(0)));

/** Whether a quantifier starts at `code` (NaN past the end is not one). */
function isQuantifier(code: number): boolean {
  return code === 0x3f || code === 0x2a || code === 0x2b || code === 0x7b;
}
