/**
 * IPv4 and IPv6 addresses and CIDR blocks (RFC 4632, RFC 4291 §2.2-2.3), all in one 128-bit
 * space: an IPv4 address is its IPv4-mapped IPv6 form `::ffff:a.b.c.d` (RFC 4291 §2.5.5.2), and
 * an IPv4 block `/n` is `::ffff:0:0/96+n`. So `::ffff:192.0.2.1` (as some stacks report an IPv4
 * client) matches `192.0.2.0/24`, and `::/0` matches every address, IPv4 included.
 *
 * Strict on purpose: no leading zeros in IPv4 parts (`010.0.0.1` is octal to some parsers and
 * decimal to others), no zone ids, no host bits set in a block (`10.0.0.1/8` is refused, not
 * silently widened).
 */

export interface Cidr {
  network: bigint;
  mask: bigint;
}

const ALL_BITS = (1n << 128n) - 1n;
const IPV4_MAPPED = 0xffff_0000_0000n;

function parseIPv4(text: string): number | undefined {
  const parts = text.split(".");
  if (parts.length !== 4) return undefined;
  let value = 0;
  for (const part of parts) {
    if (!/^(?:0|[1-9]\d{0,2})$/.test(part) || Number(part) > 255) return undefined;
    value = value * 256 + Number(part);
  }
  return value;
}

function parseIPv6(text: string): bigint | undefined {
  if (!/^[0-9A-Fa-f:.]+$/.test(text)) return undefined;
  let groups = text;
  const tail: number[] = [];
  const lastColon = text.lastIndexOf(":");
  if (text.includes(".")) {
    // RFC 4291 §2.2 form 3: the low 32 bits as dotted IPv4.
    const ipv4 = parseIPv4(text.slice(lastColon + 1));
    if (ipv4 === undefined) return undefined;
    tail.push(Math.floor(ipv4 / 0x10000), ipv4 % 0x10000);
    groups = text.slice(0, lastColon + 1);
    if (groups.endsWith(":") && !groups.endsWith("::")) groups = groups.slice(0, -1);
  }
  const halves = groups.split("::");
  if (halves.length > 2) return undefined;
  const parse = (half: string): number[] | undefined => {
    if (half === "") return [];
    const out: number[] = [];
    for (const group of half.split(":")) {
      if (!/^[0-9A-Fa-f]{1,4}$/.test(group)) return undefined;
      out.push(parseInt(group, 16));
    }
    return out;
  };
  const head = parse(halves[0]!);
  const rest = halves.length === 2 ? parse(halves[1]!) : [];
  if (!head || !rest) return undefined;
  const given = head.length + rest.length + tail.length;
  if (halves.length === 2 ? given > 7 : given !== 8) return undefined;
  const words = [...head, ...Array<number>(8 - given).fill(0), ...rest, ...tail];
  return words.reduce((value, word) => (value << 16n) | BigInt(word), 0n);
}

/** An address in the 128-bit space, or undefined when `text` is not an IPv4 or IPv6 address. */
export function parseIp(text: string): bigint | undefined {
  const ipv4 = parseIPv4(text);
  if (ipv4 !== undefined) return IPV4_MAPPED | BigInt(ipv4);
  return text.includes(":") ? parseIPv6(text) : undefined;
}

/** A block such as `192.0.2.0/24`, `2001:db8::/32`, or a single address (`/32`, `/128`). */
export function parseCidr(text: string): { ok: true; cidr: Cidr } | { ok: false; message: string } {
  const [address = "", prefixText, ...extra] = text.split("/");
  const ipv4 = parseIPv4(address) !== undefined;
  const network = parseIp(address);
  if (network === undefined || extra.length > 0)
    return { ok: false, message: "must be an IPv4 or IPv6 address or CIDR block, such as 192.0.2.0/24 or 2001:db8::/32" };
  const width = ipv4 ? 32 : 128;
  if (prefixText !== undefined && !/^(?:0|[1-9]\d{0,2})$/.test(prefixText))
    return { ok: false, message: `prefix length must be 0-${width}` };
  const prefix = prefixText === undefined ? width : Number(prefixText);
  if (prefix > width) return { ok: false, message: `prefix length must be 0-${width}` };
  const bits = 128 - width + prefix;
  const mask = ALL_BITS ^ ((1n << BigInt(128 - bits)) - 1n);
  if ((network & mask) !== network) return { ok: false, message: "has host bits set below the prefix length; write the network address" };
  return { ok: true, cidr: { network, mask } };
}

export function contains(cidr: Cidr, address: bigint): boolean {
  return (address & cidr.mask) === cidr.network;
}
