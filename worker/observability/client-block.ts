/**
 * The block a client address is counted and aggregated in: an IPv4 address on its own, an
 * IPv6 address by its /64. The low 64 bits of an IPv6 address are the interface identifier
 * (RFC 4291 §2.5.4), which the host chooses freely (and changes: RFC 8981 temporary addresses),
 * and a subscriber is assigned at least a /64 (RFC 6177), so one client may use 2^64
 * addresses; counting per address would give it that many counters and audit rows.
 *
 * `unknown` for anything that is not an address (no CF-Connecting-IP, as in local tests).
 */

const UNKNOWN = "unknown";
const IPV4 = /^(?:(?:25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)\.){3}(?:25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)$/;
const IPV4_MAPPED = /^::ffff:(\d{1,3}(?:\.\d{1,3}){3})$/i;
const HEX_GROUP = /^[0-9a-f]{1,4}$/i;

/** `203.0.113.7` → `203.0.113.7`; `2001:db8:0:1:aa:bb:cc:dd` → `2001:db8:0:1::/64`; `::ffff:192.0.2.1` → `192.0.2.1`. */
export function clientBlock(ip: string): string {
  if (IPV4.test(ip)) return ip;
  const mapped = IPV4_MAPPED.exec(ip);
  if (mapped) return IPV4.test(mapped[1]!) ? mapped[1]! : UNKNOWN;
  const network = ipv6Network(ip);
  return network ? `${network.join(":")}::/64` : UNKNOWN;
}

/** The first four groups of an IPv6 address (RFC 4291 §2.2 text forms), without leading zeros; undefined if it is none. */
function ipv6Network(ip: string): string[] | undefined {
  const halves = ip.split("::");
  if (halves.length > 2) return undefined;
  const groupsOf = (half: string, last: boolean): string[] | undefined => {
    if (half === "") return [];
    const parts = half.split(":");
    // A dotted IPv4 tail (RFC 4291 §2.2 form 3) stands for the last two groups.
    if (last && parts.at(-1)!.includes(".")) {
      if (!IPV4.test(parts.pop()!)) return undefined;
      parts.push("0", "0");
    }
    return parts.every((part) => HEX_GROUP.test(part)) ? parts : undefined;
  };
  const head = groupsOf(halves[0]!, halves.length === 1);
  const tail = halves.length === 2 ? groupsOf(halves[1]!, true) : [];
  if (!head || !tail) return undefined;
  const given = head.length + tail.length;
  if (halves.length === 2 ? given > 7 : given !== 8) return undefined;
  const groups = [...head, ...Array<string>(8 - given).fill("0"), ...tail];
  return groups.slice(0, 4).map((group) => parseInt(group, 16).toString(16));
}
