/**
 * Duplicate object member names in JSON text. RFC 8259 §4 says names SHOULD be unique and
 * leaves duplicates' meaning to the parser (JSON.parse keeps the last, many parsers the first);
 * RFC 7493 §2.3 (I-JSON) forbids them. A gateway that validates one reading while the upstream
 * acts on another would let `{"role":"user","role":"admin"}` past its schema, so a body with a
 * duplicate, at any depth, is refused. Names are compared after unescaping: `"a"` and `"\u0061"`
 * are the same name.
 *
 * Runs on text JSON.parse has accepted, so only the tokens that matter are picked out (strings
 * and `{ } [ ] :`, one native regex pass); a string followed by `:` is a member name.
 */

/** A JSON string (escapes included, unrolled so long strings cost no backtracking) or a structural character. */
const TOKENS = /"[^"\\]*(?:\\.[^"\\]*)*"|[{}[\]:]/g;

/** True when some object in `text` (valid JSON) names a member twice. */
export function hasDuplicateKey(text: string): boolean {
  // One set of names per open object; undefined for an open array.
  const open: (Set<string> | undefined)[] = [];
  let lastString = "";
  TOKENS.lastIndex = 0;
  for (let match = TOKENS.exec(text); match !== null; match = TOKENS.exec(text)) {
    const token = match[0];
    switch (token) {
      case "{":
        open.push(new Set());
        break;
      case "[":
        open.push(undefined);
        break;
      case "}":
      case "]":
        open.pop();
        break;
      case ":": {
        const names = open[open.length - 1]!;
        const name = lastString.includes("\\") ? (JSON.parse(lastString) as string) : lastString.slice(1, -1);
        if (names.has(name)) return true;
        names.add(name);
        break;
      }
      default:
        lastString = token;
    }
  }
  return false;
}
