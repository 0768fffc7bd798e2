/**
 * Request path normalisation, done once before route matching (RFC 3986 §6.2.2), so that every
 * spelling of a path reaches the route its normal form matches and nothing else:
 *
 * - percent-encoded unreserved characters are decoded (§6.2.2.2: `%41` → `A`, `%2e` → `.`), every
 *   other escape is kept with upper-case hex (§6.2.2.1: `%3a` → `%3A`), and characters that may
 *   not appear in a path are encoded (`|`, `é` → `%C3%A9`);
 * - dot segments are resolved (§5.2.4; `%2e` counts as a dot); `..` above the root is rejected
 *   instead of being clamped, because a client that sends it is probing;
 * - repeated slashes collapse into one.
 *
 * Rejected as ambiguous (the caller answers 400), because some origin or framework reads them
 * differently from us: an encoded slash `%2F` or backslash `%5C`, a literal backslash, control
 * characters and NUL (literal or encoded), malformed escapes (`%zz`, `%u002e`), double encoding
 * (`%25` followed by two hex digits, e.g. `%252e`), byte sequences that are not valid UTF-8
 * (`%C0%AE`, an overlong dot), and the servlet path-parameter dot segments `.;` / `..;`
 * (`/api/..;/admin` is `/admin` to Tomcat).
 *
 * The result stays percent-encoded in this canonical form, so it is safe to forward as is.
 */

export type NormalizedPath = { ok: true; path: string } | { ok: false; reason: string };

/** RFC 3986 §2.3 unreserved characters, which mean the same encoded or not. */
const UNRESERVED = /^[A-Za-z0-9\-._~]$/;
/** Characters that may stand literally in a path segment (RFC 3986 §3.3 pchar, minus `%`). */
const PCHAR = /^[A-Za-z0-9\-._~!$&'()*+,;=:@]$/;
/** A path already in normal form: no escapes, no empty or dot segments. Most requests. */
const PLAIN_PATH = /^\/(?:[A-Za-z0-9\-._~!$&'()*+,;=:@]+(?:\/[A-Za-z0-9\-._~!$&'()*+,;=:@]+)*\/?)?$/;
const HAS_DOT_SEGMENT = /\/\.\.?(?:[/;]|$)/;
/** `.;x` and `..;x`: dot segments to servlet containers, which drop `;` path parameters. */
const SERVLET_DOT_SEGMENT = /^\.\.?(?:;|%3B)/;
const HEX_PAIR = /^[0-9A-Fa-f]{2}$/;
/** `%25` before two hex digits: a second decoding by the origin would yield another escape. */
const DOUBLE_ENCODED = /%25[0-9A-Fa-f]{2}/;

const strictUtf8 = new TextDecoder("utf-8", { fatal: true, ignoreBOM: true });

export function normalizePath(rawPath: string): NormalizedPath {
  const path = rawPath === "" ? "/" : rawPath;
  if (!path.startsWith("/")) return reject("the path must start with /");
  if (PLAIN_PATH.test(path) && !HAS_DOT_SEGMENT.test(path)) return { ok: true, path };

  const segments: string[] = [];
  let endsInDirectory = false;
  for (const rawSegment of path.slice(1).split("/")) {
    const segment = canonicalSegment(rawSegment);
    if (typeof segment !== "string") return segment;
    if (segment === "..") {
      if (segments.pop() === undefined) return reject("a .. segment climbs above the root");
    } else if (SERVLET_DOT_SEGMENT.test(segment)) {
      return reject("a dot segment with a ; path parameter");
    } else if (segment !== "" && segment !== ".") {
      segments.push(segment);
    }
    // `/a/` and `/a/b/..` both name the directory `/a/` (§5.2.4); `/a//` collapses to `/a/`.
    endsInDirectory = segment === "" || segment === "." || segment === "..";
  }
  const joined = `/${segments.join("/")}`;
  return { ok: true, path: endsInDirectory && segments.length > 0 ? `${joined}/` : joined };
}

function reject(reason: string): { ok: false; reason: string } {
  return { ok: false, reason };
}

/** One segment in canonical form, or the reason it is ambiguous. */
function canonicalSegment(raw: string): string | { ok: false; reason: string } {
  let out = "";
  let utf8: number[] = []; // a run of escaped non-ASCII bytes, checked as UTF-8 when it ends
  const flushUtf8 = (): boolean => {
    if (utf8.length === 0) return true;
    try {
      strictUtf8.decode(new Uint8Array(utf8));
    } catch {
      return false;
    }
    out += utf8.map(hexEscape).join("");
    utf8 = [];
    return true;
  };

  for (let i = 0; i < raw.length; i++) {
    const char = raw[i]!;
    if (char === "%") {
      const hex = raw.slice(i + 1, i + 3);
      if (!HEX_PAIR.test(hex)) return reject("a malformed percent escape");
      const byte = Number.parseInt(hex, 16);
      i += 2;
      if (byte >= 0x80) {
        utf8.push(byte);
        continue;
      }
      if (!flushUtf8()) return reject("escaped bytes that are not valid UTF-8");
      const decoded = String.fromCharCode(byte);
      if (byte === 0x2f) return reject("an encoded slash (%2F)");
      if (byte === 0x5c) return reject("an encoded backslash (%5C)");
      if (byte < 0x20 || byte === 0x7f) return reject("an encoded control character");
      out += UNRESERVED.test(decoded) ? decoded : hexEscape(byte);
      continue;
    }
    if (!flushUtf8()) return reject("escaped bytes that are not valid UTF-8");
    const code = char.charCodeAt(0);
    if (code < 0x20 || code === 0x7f) return reject("a control character");
    if (char === "\\") return reject("a backslash");
    if (PCHAR.test(char)) {
      out += char;
    } else if (code < 0x80) {
      out += hexEscape(code);
    } else {
      // A literal non-ASCII character (a raw request line may carry UTF-8): encode it as UTF-8.
      let end = i + 1;
      while (end < raw.length && raw.charCodeAt(end) >= 0x80) end++;
      try {
        out += encodeURIComponent(raw.slice(i, end));
      } catch {
        return reject("a lone UTF-16 surrogate");
      }
      i = end - 1;
    }
  }
  if (!flushUtf8()) return reject("escaped bytes that are not valid UTF-8");
  // Checked on the result: `%25%32%65` only becomes `%252e` once `%32%65` is decoded.
  if (DOUBLE_ENCODED.test(out)) return reject("a double-encoded escape (%25XX)");
  return out;
}

function hexEscape(byte: number): string {
  return `%${byte.toString(16).toUpperCase().padStart(2, "0")}`;
}
