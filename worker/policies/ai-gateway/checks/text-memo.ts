import { LruMap } from "../../../http/lru-map";

/**
 * What the scorers found in a text, remembered per isolate: a chat client sends the whole
 * conversation with every turn (the system prompt, every earlier message), so most texts of a
 * request were checked on the one before, and the checks then cost one lookup instead of a scan.
 * Only the scorers' own findings are kept (an injection score and PII findings, together: the
 * request inspector keeps one memo for both, so a text is looked up once): pure functions of
 * the text, so a remembered one is the one a new scan would give; what to do with them (the
 * threshold, the action) is decided per request from the config in force.
 *
 * - Per caller (`scope`: the consumer, else the client's address): a lookup that is faster
 *   when the text was seen would otherwise tell one caller, by timing, what another one sent.
 * - Keyed by the text itself, the callers' findings under it: a request's text is hashed once
 *   (the engine keeps a string's hash with it) for every memo and every lookup, where a key
 *   joined from scope and text would be a new string, copied and hashed again for each.
 * - Bounded: each caller's copy of a text weighs its length, at most MAX_CHARS in all, the
 *   first text in first out (with every caller's finding for it): a hit is one lookup, where
 *   keeping the most recently used would take two more, each comparing the whole text again, and
 *   a text in use all along (a system prompt) is only scanned again once per MAX_CHARS of new
 *   text. Texts shorter than MIN_CHARS (cheaper to scan than to look up) or longer than MAX_TEXT
 *   (one would push out many) are scanned every time.
 */
export class TextMemo<Finding> {
  /** Text → scope → finding; each caller's copy of a text weighs the text's length. */
  private readonly texts = new LruMap<ReadonlyMap<string, Finding>>(MAX_CHARS, (text, scopes) => text.length * scopes.size, false);

  /**
   * `compute(text)`, from memory when `scope` had this text checked recently. One memo may serve
   * several computations, each under scopes of its own (the request inspector's: a text's origin,
   * operator or user, and the caller).
   */
  get(scope: string, text: string, compute: (text: string) => Finding): Finding {
    if (text.length < MIN_CHARS || text.length > MAX_TEXT) return compute(text);
    const scopes = this.texts.get(text);
    const known = scopes?.get(scope);
    if (known !== undefined) return known;
    const finding = compute(text);
    // A new map rather than the kept one changed: the map weighs an entry as it was set.
    this.texts.set(text, new Map(scopes).set(scope, finding));
    return finding;
  }
}

/** Characters of texts one memo holds, counted once per caller: about 1 MB of UTF-16. */
const MAX_CHARS = 512 * 1024;
const MIN_CHARS = 64;
const MAX_TEXT = 32 * 1024;
