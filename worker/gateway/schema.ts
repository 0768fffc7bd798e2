/**
 * What routing and forwarding read of a route and an upstream: the gateway's part of the
 * `routes[]` and `upstreams[]` blocks. config/schema.ts extends both with the policies' keys
 * (auth, cors, ip_rules, plugins, credential; circuit_breaker), so this layer never imports them.
 */
import { z } from "zod";
import {
  boundedDuration,
  checkPath,
  duration,
  headerName,
  httpMethod,
  identifier,
  priority,
  routePath,
  size,
} from "../http/schema-kit/fields";
import { CLIENT_IP_KEY } from "./load-balancer";
import { endpointProblem } from "../http/upstream-url";
import { variablesIn } from "../http/schema-kit/variables";

const positiveDuration = duration.refine((ms) => ms > 0, "must be longer than 0");

const hostPattern = z
  .string()
  .regex(
    /^(\*\.)?[A-Za-z0-9]([A-Za-z0-9-]*[A-Za-z0-9])?(\.[A-Za-z0-9]([A-Za-z0-9-]*[A-Za-z0-9])?)*$/,
    "must be a host name, optionally starting with *. for any subdomain",
  )
  .transform((host) => host.toLowerCase())
  .describe("Host name to match (case-insensitive); `*.example.com` matches any subdomain.");

const endpointWeight = z
  .number()
  .int()
  .min(1)
  .max(1000)
  .default(1)
  .describe("Share of the requests under load_balancer weighted, 1-1000 (default 1); ignored by the other balancers.");

/**
 * Upstream endpoint: `host:port` (http) or a full http(s) URL, optionally with a base path; or,
 * as Loom's website reference writes them, `{ host, port, weight }` or `{ url, weight }`.
 * Always read as `{ endpoint, weight }`, `endpoint` being the string form (a string keeps weight 1).
 * A string, `url`, `host` or `port` with `${VAR}` references (`"${BACKEND_HOST}:${BACKEND_PORT}"`,
 * `port: "${BACKEND_PORT}"`, read as the string `host:${BACKEND_PORT}`) is stored as
 * written and checked once resolved: by the admin API with the save's environment (a warning),
 * and by every isolate when it compiles the config (endpoint-variables.ts, fail closed).
 */
const endpoint = z
  .union([
    z.string(),
    z.strictObject({
      // A bare name or address only: a `/` or `@` would move the port into a path or userinfo.
      // `${VAR}` references are resolved with the endpoint and checked then (endpoint-variables.ts).
      host: z
        .string()
        .regex(
          /^((?:[A-Za-z0-9.-]|\$\{[A-Z_][A-Z0-9_]*\})+|\[[0-9A-Fa-f:.]+\])$/,
          "must be a host name or an IP address, or ${VAR} references",
        )
        .describe("Host name or IP address, without scheme, path or credentials; may hold `${VAR}` references."),
      port: z
        .union([z.number().int().min(1).max(65535), z.string().regex(/^\$\{[A-Z_][A-Z0-9_]*\}$/)], {
          error: "must be a port number (1-65535) or one whole ${VAR} reference",
        })
        .describe('Port, 1-65535, or one whole `${VAR}` reference (`"${PORT}"`), checked once resolved with the host.'),
      weight: endpointWeight,
    }),
    z.strictObject({ url: z.string(), weight: endpointWeight }),
  ])
  .transform((value, ctx) => {
    const written = typeof value === "string" ? value : "url" in value ? value.url : `${value.host}:${value.port}`;
    const problem = variablesIn(written).length > 0 ? undefined : endpointProblem(written);
    if (problem) {
      ctx.addIssue({ code: "custom", message: problem });
      return z.NEVER;
    }
    return { endpoint: written, weight: typeof value === "string" ? 1 : value.weight };
  })
  .describe(
    "An origin: `host:port` (plain HTTP), `https://host[:port][/base]`, `{ host, port, weight }` or `{ url, weight }`. Every form may hold `${VAR}` references to Worker variables (`${HOST}:${PORT}`, `{ host: ${HOST}, port: ${PORT} }`), checked once resolved; unset or invalid, the upstream answers 503 variable_unavailable.",
  );

const retrySchema = z
  .strictObject({
    max_retries: z
      .number()
      .int()
      .min(0)
      .max(5)
      .default(3)
      .describe("Retries after the first attempt, 0-5 (default 3): at most 1 + max_retries attempts per request."),
    backoff_base: boundedDuration(1, 10_000, "1ms and 10s")
      .prefault("100ms")
      .describe(
        "Backoff before retry n: a random wait up to min(backoff_max, backoff_base × 2^(n-1)) (full jitter). Default 100ms, 1ms-10s.",
      ),
    backoff_max: boundedDuration(1, 30_000, "1ms and 30s").prefault("10s").describe("Cap of one backoff wait. Default 10s, 1ms-30s."),
    retryable_codes: z
      .array(z.number().int().min(500).max(599))
      .max(100)
      .default([502, 503, 504])
      .describe("Upstream statuses retried (500-599, default 502, 503, 504), besides connection failures and timeouts, which always are."),
  })
  .refine((retry) => retry.backoff_base <= retry.backoff_max, {
    message: "backoff_base must not exceed backoff_max",
    path: ["backoff_base"],
  })
  .describe(
    "Loom's retry: idempotent methods only (RFC 9110 §9.2.2) whose body, if any, was read whole within the body limit; each retry on another endpoint where there is one; never after the client went away. Takes precedence over `retries` (which is then ignored, with a warning).",
  );

const consistentHashSchema = z
  .strictObject({
    hash_key: z
      .union([z.literal(CLIENT_IP_KEY), headerName])
      .describe(
        "A request header whose value picks the endpoint, or `${client_ip}`. A request without the header is keyed by its client address.",
      ),
    replicas: z.number().int().min(1).max(1000).default(150).describe("Virtual nodes per endpoint on the hash ring, 1-1000 (default 150)."),
  })
  .describe("Settings of load_balancer consistent_hash.");

/** The floor of `interval`: however a config is written, the object checks an endpoint at most this often. */
export const HEALTH_CHECK_MIN_INTERVAL_MS = 5_000;

const healthCheckSchema = z
  .strictObject({
    path: checkPath.default("/health").describe("Requested with GET on every endpoint, after the endpoint's base path. Default /health."),
    interval: boundedDuration(HEALTH_CHECK_MIN_INTERVAL_MS, 3_600_000, "5s and 1h")
      .prefault("10s")
      .describe("Time between two rounds of checks (from the end of one to the start of the next). Default 10s, 5s-1h."),
    timeout: boundedDuration(100, 30_000, "100ms and 30s")
      .prefault("2s")
      .describe("A check with no response headers within this long fails. Default 2s, 100ms-30s, shorter than interval."),
    healthy_threshold: z
      .number()
      .int()
      .min(1)
      .max(10)
      .default(2)
      .describe("Passed checks in a row (2xx) that bring an ejected endpoint back. Default 2, 1-10."),
    unhealthy_threshold: z
      .number()
      .int()
      .min(1)
      .max(10)
      .default(3)
      .describe("Failed checks in a row (no 2xx in time, a redirect, no connection) that eject an endpoint. Default 3, 1-10."),
  })
  .refine((check) => check.timeout < check.interval, { message: "timeout must be shorter than interval", path: ["timeout"] })
  .describe(
    "Loom's active health checks, run by the upstream's circuit object (one per upstream, not per isolate or request): every endpoint, `GET <endpoint><path>`, redirects not followed, body not read. An ejected endpoint gets no traffic; all ejected: 503 upstream_unhealthy without contacting them.",
  );

/**
 * A condition's value: compared exactly, as a string. YAML reads an unquoted `1` or `true` as a
 * number or a boolean; Loom's Go struct (map[string]string) reads it as the text, and so do we.
 */
const conditionValue = z
  .union([z.string().max(1024), z.number(), z.boolean()])
  .transform(String)
  .pipe(z.string().regex(/^[^\x00-\x1f\x7f]*$/, "must not contain control characters"));

/** `headers`: names are case-insensitive (RFC 9110 §5.1), so two spellings of one name are refused. */
const headerConditions = z
  .record(
    headerName,
    conditionValue.refine((value) => value === value.trim(), "must not start or end with whitespace (RFC 9110 §5.5 strips it)"),
  )
  .superRefine((headers, ctx) => {
    const seen = new Set<string>();
    for (const name of Object.keys(headers)) {
      if (seen.has(name.toLowerCase()))
        ctx.addIssue({ code: "custom", path: [name], message: `${name} is listed twice (header names are case-insensitive)` });
      seen.add(name.toLowerCase());
    }
  })
  .optional()
  .describe(
    "Request headers this route requires, name → exact value (names case-insensitive, RFC 9110 §5.1). A header sent twice is one combined value and matches no single value. Default: none.",
  );

const queryConditions = z
  .record(z.string().min(1).max(256), conditionValue)
  .optional()
  .describe(
    "Query parameters this route requires, decoded name → exact decoded value. A parameter sent more than once matches nothing (upstreams disagree on which copy counts). Default: none.",
  );

/** A route's matching and forwarding keys. */
export const routeTargetSchema = z.strictObject({
  id: identifier,
  path: routePath,
  host: hostPattern.optional(),
  methods: z.array(httpMethod).min(1).optional(),
  headers: headerConditions,
  query_params: queryConditions,
  priority: priority.describe(
    "Between routes that both match a request, the higher priority wins, before specificity. Default 0, from -1000000 to 1000000.",
  ),
  upstream: identifier
    .optional()
    .describe("The upstream this route forwards to; required unless the route has `ai` (config/schema.ts checks)."),
  timeout: positiveDuration
    .optional()
    .describe(
      "Per attempt on this route, replacing the upstream's `timeout` (same meaning: the wait for the response headers, then for each body chunk). Default: the upstream's.",
    ),
  strip_prefix: z
    .boolean()
    .default(false)
    .describe(
      "Remove the segments the pattern names before `*` (literals and `:param` values alike) before forwarding: `/users/:id/*` forwards `/users/42/posts` as `/posts`. Default false.",
    ),
  forward_override_headers: z
    .boolean()
    .default(false)
    .describe(
      "Forward the client's `X-HTTP-Method-Override`, `X-HTTP-Method`, `X-Method-Override`, `X-Original-URL` and `X-Rewrite-URL`. Default false: they are dropped. When true, a method override naming a method this route (`methods`) or `middleware.request_validation.allowed_methods` does not admit is refused with 405; a URL override whose path (normalised, matched as a request path) reaches another route or none is refused with 400.",
    ),
  listener: identifier.optional().describe("Serve this route only to requests that satisfy this listener's TLS rules."),
});

/** An upstream's endpoints and the limits of one attempt. */
/**
 * Loom's service discovery. The edge routes to `endpoints` as written: `dns` is what it does anyway
 * (Cloudflare resolves each endpoint's host name per request, honouring the record's TTL); Consul
 * and Kubernetes APIs sit on private networks the edge cannot reach. Accepted, and warned.
 */
const serviceDiscoverySchema = z
  .strictObject({
    enabled: z.boolean().default(false).describe("Default false."),
    provider: z.enum(["dns", "consul", "kubernetes"]).default("dns").describe("dns (default), consul or kubernetes."),
    service_name: z.string().min(1).max(253).optional().describe("The service to look up; not used at the edge."),
    refresh_interval: positiveDuration.optional().describe("How often Loom looks the service up; not used at the edge."),
  })
  .describe(
    "Loom's service discovery: accepted and warned. The edge sends requests to `endpoints` as written; their host names are resolved per request (what `dns` does); consul and kubernetes are unreachable from Cloudflare's network.",
  );

export const upstreamTargetSchema = z.strictObject({
  name: identifier,
  endpoints: z.array(endpoint).min(1),
  timeout: positiveDuration
    .prefault("10s")
    .describe(
      "Per attempt: the longest wait for the response headers (then 504), and then for each body chunk (then the body is cut); never a limit on the whole body.",
    ),
  max_response_size: size.prefault("5MB").describe("Largest response body passed on; a larger one is cut off."),
  retries: z
    .number()
    .int()
    .min(0)
    .max(5)
    .default(1)
    .describe(
      "Retries on another endpoint after a connection failure or timeout, idempotent methods only, no backoff (default 1, 0-5); never more attempts than endpoints. Ignored when `retry` is set (both at once are refused).",
    ),
  retry: retrySchema.optional(),
  load_balancer: z
    .enum(["round_robin", "random", "weighted", "least_conn", "consistent_hash"])
    .default("round_robin")
    .describe(
      "How each request picks its first endpoint (retries go on to the others): round_robin (default), random, weighted (endpoint weights), least_conn (fewest attempts of this isolate awaiting headers: local, not global), consistent_hash (see consistent_hash).",
    ),
  consistent_hash: consistentHashSchema.optional(),
  service_discovery: serviceDiscoverySchema.optional(),
  health_check: healthCheckSchema.optional(),
});

export type RouteTarget = z.output<typeof routeTargetSchema>;
export type UpstreamTarget = z.output<typeof upstreamTargetSchema>;
