/**
 * IP addresses.
 * - IPv4: four decimal octets 0–255 in dotted-quad form, without leading zeros (RFC 6943 §3.1.1
 *   warns those are read as octal by some parsers; "010.001.002.003" is rather an identifier).
 *   Not part of a longer dotted run ("1.2.3.4.5", "10.0.19045.3803"), not after a letter
 *   ("v1.2.3.4"), and not right after a word that announces a version ("version", "build", "patch"…).
 * - IPv6 (RFC 4291 §2.2): eight groups of 1–4 hex digits, or fewer with one "::", optionally
 *   ending in a dotted IPv4 ("::ffff:192.0.2.1"); zone ids ("%eth0") are not part of the match.
 *   Without a decimal digit ("dead::beef", "Foo::Bar") it is taken for code, not an address,
 *   and eight groups are required without "::" so that times ("10:30:00") and MAC addresses
 *   (six groups) are not addresses.
 */
import type { Candidate } from "../types";
import { hasContextBefore } from "../context";

const OCTET = "(?:25[0-5]|2[0-4]\\d|1\\d\\d|[1-9]?\\d)";
const IPV4 = new RegExp(`(?<![\\w.\\-])${OCTET}(?:\\.${OCTET}){3}(?![\\w\\-]|\\.\\d)`, "g");
const VERSION_WORD = /(?:version|\b(?:ver\.?|release|build|firmware|v|rev|revision|patch|update|driver|sdk|bios))\s*:?\s*$/i;

// Colon-terminated groups are unambiguous; the validator below checks the group count.
const IPV6_LIKE = /(?<![\w:.])(?:[0-9A-Fa-f]{0,4}:){2,7}(?:(?:\d{1,3}\.){3}\d{1,3}|[0-9A-Fa-f]{1,4})?(?![\w:]|\.\d)/g;
const IPV4_STRICT = new RegExp(`^${OCTET}(?:\\.${OCTET}){3}$`);

export function findIpAddresses(text: string): Candidate[] {
  const found: Candidate[] = [];
  for (const match of text.matchAll(IPV4)) {
    if (!hasContextBefore(text, match.index, VERSION_WORD)) found.push({ start: match.index, end: match.index + match[0].length });
  }
  if (text.includes(":")) {
    for (const match of text.matchAll(IPV6_LIKE)) {
      if (isIpv6(match[0])) found.push({ start: match.index, end: match.index + match[0].length });
    }
  }
  return found;
}

function isIpv6(candidate: string): boolean {
  if (!/\d/.test(candidate)) return false;
  const halves = candidate.split("::");
  if (halves.length > 2) return false;
  const groupsOf = (half: string) => (half === "" ? [] : half.split(":"));
  const groups = [...groupsOf(halves[0]!), ...groupsOf(halves[1] ?? "")];
  let width = 0;
  for (let i = 0; i < groups.length; i++) {
    const group = groups[i]!;
    if (i === groups.length - 1 && group.includes(".")) {
      if (!IPV4_STRICT.test(group)) return false;
      width += 2;
    } else if (/^[0-9A-Fa-f]{1,4}$/.test(group)) width += 1;
    else return false;
  }
  return halves.length === 2 ? width >= 1 && width <= 7 : width === 8;
}
