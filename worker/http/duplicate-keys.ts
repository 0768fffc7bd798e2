/**
 * Duplicate object member names in JSON text. RFC 8259 §4 says names SHOULD be unique and
 * leaves duplicates' meaning to the parser (JSON.parse keeps the last, many parsers the first);
 * RFC 7493 §2.3 (I-JSON) forbids them. A gateway that validates one reading while the upstream
 * acts on another would let `{"role":"user","role":"admin"}` past its schema, so a body with a
 * duplicate, at any depth, is refused. Names are compared after unescaping: `"a"` and `"\u0061"`
 * are the same name.
 *
 * Runs on text JSON.parse has accepted, so one pass over the characters that matter is enough:
 * strings are skipped with indexOf (a quote preceded by an odd number of backslashes is
 * escaped), `{ [ } ]` open and close containers, and at a `:` the string just before it is a
 * member name; it is sliced (and unescaped) only then. About half the cost of JSON.parse itself.
 */

const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const COLON = 0x3a;
const OPEN_OBJECT = 0x7b;
const CLOSE_OBJECT = 0x7d;
const OPEN_ARRAY = 0x5b;
const CLOSE_ARRAY = 0x5d;

/** True when some object in `text` (valid JSON) names a member twice. */
export function hasDuplicateKey(text: string): boolean {
  // One set of names per open object; undefined for an open array.
  const open: (Set<string> | undefined)[] = [];
  let stringStart = 0;
  let stringEnd = 0;
  for (let index = 0; index < text.length; index++) {
    switch (text.charCodeAt(index)) {
      case QUOTE: {
        let end = index;
        do end = text.indexOf('"', end + 1);
        while (end !== -1 && escaped(text, end));
        if (end === -1) return false; // unterminated: not JSON, which JSON.parse has refused already
        stringStart = index;
        stringEnd = end;
        index = end;
        break;
      }
      case OPEN_OBJECT:
        open.push(new Set());
        break;
      case OPEN_ARRAY:
        open.push(undefined);
        break;
      case CLOSE_OBJECT:
      case CLOSE_ARRAY:
        open.pop();
        break;
      case COLON: {
        const raw = text.slice(stringStart + 1, stringEnd);
        const name = raw.includes("\\") ? (JSON.parse(`"${raw}"`) as string) : raw;
        const names = open[open.length - 1]!;
        if (names.has(name)) return true;
        names.add(name);
        break;
      }
    }
  }
  return false;
}

/** The quote at `at` is escaped: an odd number of backslashes right before it. */
function escaped(text: string, at: number): boolean {
  let before = at - 1;
  while (text.charCodeAt(before) === BACKSLASH) before--;
  return (at - 1 - before) % 2 === 1;
}
