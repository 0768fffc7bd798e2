/**
 * An upstream's `health_check` as its CircuitBreaker object takes it (durable-objects/health-check.ts),
 * compiled once per config: each endpoint's check URL is built like a forwarded request's
 * (http/upstream-url.ts), so the path can only follow the endpoint's origin and base path. A
 * templated endpoint is checked at its resolved address and known by its written name.
 */
import type { HealthCheckSpec } from "../../durable-objects/health-check";
import { addressOf, type AddressedUpstream } from "./endpoint-variables";
import { parseEndpoint, upstreamUrl } from "../http/upstream-url";

export function healthCheckSpec({
  endpoints,
  health_check,
}: Pick<AddressedUpstream, "endpoints" | "health_check">): HealthCheckSpec | undefined {
  if (!health_check) return undefined;
  return {
    intervalMs: health_check.interval,
    timeoutMs: health_check.timeout,
    healthyThreshold: health_check.healthy_threshold,
    unhealthyThreshold: health_check.unhealthy_threshold,
    targets: endpoints.map((entry) => ({
      endpoint: entry.endpoint,
      url: upstreamUrl(parseEndpoint(addressOf(entry)), health_check.path, ""),
    })),
  };
}
