/**
 * The `ip_rules` block, in `middleware` (every request) and on a route (that route, in
 * addition to the global rules).
 */
import { z } from "zod";
import { parseCidr } from "../../http/schema-kit/cidr";

const cidr = z
  .string()
  .superRefine((value, ctx) => {
    const parsed = parseCidr(value);
    if (!parsed.ok) ctx.addIssue({ code: "custom", message: parsed.message });
  })
  .describe(
    "An IPv4 or IPv6 address or CIDR block: 192.0.2.7, 192.0.2.0/24, 2001:db8::/32. IPv4 rules also match IPv4-mapped IPv6 clients (::ffff:192.0.2.7).",
  );

export const ipRulesSchema = z
  .strictObject({
    allow: z
      .array(cidr)
      .max(10_000)
      .default([])
      .describe(
        "If not empty, only client addresses in these blocks pass (403 otherwise, and when the client address is unknown). Default empty; at most 10000.",
      ),
    deny: z
      .array(cidr)
      .max(10_000)
      .default([])
      .describe(
        "Client addresses in these blocks are refused with 403, even when an allow rule matches them too. Default empty; at most 10000.",
      ),
  })
  .describe("Client address rules on CF-Connecting-IP (set by Cloudflare's edge; X-Forwarded-For is never read).");

export type IpRulesConfig = z.output<typeof ipRulesSchema>;
