/**
 * `auth_failure_limit`: how many failed authentications a client block (an IPv4 address, an
 * IPv6 /64) may cause before the gateway stops checking its credentials for a while
 * (./failure-limit.ts). Top level because it is one counter per client across every route.
 */
import { z } from "zod";
import { boundedDuration } from "../http/schema-kit/fields";

export const authFailureLimitSchema = z
  .strictObject({
    enabled: z
      .boolean()
      .default(true)
      .describe(
        "Count failed authentications per client and refuse a client over the limit. Turn off only for load tests that send many bad credentials from one address.",
      ),
    max_failures: z
      .number()
      .int()
      .min(1)
      .max(100_000)
      .default(100)
      .describe("The failure that brings a client's count to this within `window` blocks it. Default 100."),
    window: boundedDuration(1_000, 3_600_000, "1s and 1h")
      .prefault("1m")
      .describe("The sliding window failures are counted in (to one sixtieth of it). Default 1m."),
    block_for: boundedDuration(1_000, 86_400_000, "1s and 24h")
      .prefault("1m")
      .describe(
        "How long a blocked client is refused 429 with Retry-After on every route that authenticates, valid credentials included. Default 1m.",
      ),
  })
  .describe(
    "Failed authentication (api_key, basic, jwt: a credential presented and refused) counted per client IP (per /64 for IPv6) across all isolates; a client over the limit is refused 429 before any key lookup or signature check.",
  );

export type AuthFailureLimitConfig = z.output<typeof authFailureLimitSchema>;
