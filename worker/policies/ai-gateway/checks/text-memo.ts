import { LruMap } from "../../../http/lru-map";

/**
 * What the scorers found in a text, remembered per isolate: a chat client sends the whole
 * conversation with every turn (the system prompt, every earlier message), so most texts of a
 * request were checked on the one before, and the checks then cost one lookup instead of a scan.
 * Only the scorers' own findings are kept (an injection score, PII findings): pure functions of
 * the text, so a remembered one is the one a new scan would give; what to do with them (the
 * threshold, the action) is decided per request from the config in force.
 *
 * - Per caller (`scope`: the consumer, else the client's address): a lookup that is faster
 *   when the text was seen would otherwise tell one caller, by timing, what another one sent.
 * - Bounded: at most MAX_CHARS characters of keys in all, least recently used first out; texts
 *   shorter than MIN_CHARS (cheaper to scan than to look up) or longer than MAX_TEXT (one would
 *   push out many) are scanned every time.
 */
export class TextMemo<Finding> {
  private readonly entries = new LruMap<Finding>(MAX_CHARS, (key) => key.length);

  /**
   * `compute(text)`, from memory when `scope` had this text checked recently. One memo may serve
   * several computations, each under scopes of its own (the injection scorer's two origins).
   */
  get(scope: string, text: string, compute: (text: string) => Finding): Finding {
    if (text.length < MIN_CHARS || text.length > MAX_TEXT) return compute(text);
    const key = `${scope}\0${text}`;
    const known = this.entries.get(key);
    if (known !== undefined) return known;
    const finding = compute(text);
    this.entries.set(key, finding);
    return finding;
  }
}

/** Characters of keys one memo holds: about 1 MB of UTF-16. */
const MAX_CHARS = 512 * 1024;
const MIN_CHARS = 64;
const MAX_TEXT = 32 * 1024;
