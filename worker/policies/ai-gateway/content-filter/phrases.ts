/**
 * Phrases matched as whole words in a list of words (words.ts), all at once: a trie over words,
 * walked from every word of the text. A phrase is its words as words.ts reads them, so it
 * matches on word boundaries only ("bomb" does not match "bombastic") and whatever the case,
 * accents, spacing or lookalike letters; `*` stands for exactly one word of any spelling.
 *
 * Cost: from each word of the text the walk follows at most one literal branch and one `*`
 * branch per level, at most MAX_PHRASE_WORDS levels deep, and a phrase holds at most
 * MAX_WILDCARDS `*`; so the work per word is bounded by the phrase set, not the text, and a
 * scan is linear in the text (a 1 MB prompt is one walk per word).
 *
 * A phrase of several words also matches glued into one word ("killyourself"), which is also
 * what a phrase spelled out letter by letter reads as ("k i l l y o u r s e l f").
 */
import { contentWords } from "./words";

export const MAX_PHRASE_WORDS = 8;
export const MAX_WILDCARDS = 2;
const WILDCARD = "*";
/** A word contentWords would return as it is, so read as it is: the built-in categories insert thousands. */
const PLAIN_WORD = /^[a-z0-9]+$/;

interface Found {
  rules: Set<string>;
  exceptions: Set<string>;
}

interface TrieNode {
  words: Map<string, TrieNode>;
  anyWord?: TrieNode;
  /** The rules whose phrase ends here. */
  rules: string[];
  /** The rules for which a phrase ending here is an exception. */
  exceptions: string[];
}

/** A phrase of a rule, or an exception to it: a longer ordinary phrase that starts like one of the rule's. */
export type PhraseKind = "rules" | "exceptions";

const newNode = (): TrieNode => ({ words: new Map(), rules: [], exceptions: [] });

export class PhraseMatcher {
  private readonly root = newNode();

  /**
   * Adds `phrase` (words; `*` one word of any spelling) for `rule`, or as an exception to it: a
   * rule's match is no match when one of its exceptions matches from the same word. Throws when
   * the phrase has no word or is longer than the bounds above: a configuration error, caught
   * when the config compiles.
   */
  add(rule: string, phrase: string, kind: PhraseKind = "rules"): void {
    const words = phrase
      .trim()
      .split(/\s+/)
      .flatMap((part) => (part === WILDCARD ? [WILDCARD] : PLAIN_WORD.test(part) ? [part] : contentWords(part)));
    if (words.length === 0 || words.every((word) => word === WILDCARD)) throw new Error(`"${phrase}" has no word to match`);
    if (words.length > MAX_PHRASE_WORDS) throw new Error(`"${phrase}" has more than ${MAX_PHRASE_WORDS} words`);
    if (words.filter((word) => word === WILDCARD).length > MAX_WILDCARDS)
      throw new Error(`"${phrase}" has more than ${MAX_WILDCARDS} wildcards`);
    this.insert(rule, words, kind);
    if (words.length > 1 && !words.includes(WILDCARD)) this.insert(rule, [words.join("")], kind);
  }

  /** Adds how many times each rule's phrases occur in `words` (contentWords of a text) to `counts`: once per rule and starting word. */
  count(words: readonly string[], counts: Map<string, number>): void {
    const found: Found = { rules: new Set(), exceptions: new Set() };
    for (let start = 0; start < words.length; start++) {
      if (!this.root.words.has(words[start]!) && this.root.anyWord === undefined) continue;
      found.rules.clear();
      found.exceptions.clear();
      this.walk(this.root, words, start, found);
      for (const rule of found.rules) if (!found.exceptions.has(rule)) counts.set(rule, (counts.get(rule) ?? 0) + 1);
    }
  }

  private insert(rule: string, words: readonly string[], kind: PhraseKind): void {
    let node = this.root;
    for (const word of words) {
      if (word === WILDCARD) node = node.anyWord ??= newNode();
      else {
        let next = node.words.get(word);
        if (next === undefined) node.words.set(word, (next = newNode()));
        node = next;
      }
    }
    if (!node[kind].includes(rule)) node[kind].push(rule);
  }

  /** Depth-first from `words[at]`; at most MAX_PHRASE_WORDS deep (the trie is no deeper). */
  private walk(node: TrieNode, words: readonly string[], at: number, found: Found): void {
    for (const rule of node.rules) found.rules.add(rule);
    for (const rule of node.exceptions) found.exceptions.add(rule);
    if (at >= words.length) return;
    const literal = node.words.get(words[at]!);
    if (literal !== undefined) this.walk(literal, words, at + 1, found);
    if (node.anyWord !== undefined) this.walk(node.anyWord, words, at + 1, found);
  }
}
