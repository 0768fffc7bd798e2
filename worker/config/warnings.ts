/**
 * Warnings returned when a config is saved: fields accepted for compatibility with the Loom
 * gateway that mean nothing at the edge (each says what the edge does instead), secrets that
 * are not set, and blocks that this release accepts but does not enforce yet.
 */
import { securityConfigured } from "../policies/ai-gateway/schema";
import type { JwtAuthConfig } from "../policies/auth/schema";
import type { Config } from "./schema";
import { resolveUpstreams } from "../gateway/endpoint-variables";
import { endpointUrl } from "../http/upstream-url";
import { fallThroughWarnings } from "./fall-through";
import { referenceKind, scopeText, type UnresolvedField } from "./variable-fields";
import { KEY_STATUS, tablePath } from "./key-status";
import { findSecretRefs } from "../http/schema-kit/secrets";
import { formatPath } from "../http/schema-kit/paths";
import { OTLP_GRPC_PORT, OTLP_HTTP_PORT, otlpTracesUrl } from "../observability/otlp-endpoint";

/** What the edge does with the listener protocols that are more than "TLS or not" in Loom. */
const PROTOCOL_AT_EDGE: Partial<Record<Config["listeners"][number]["protocol"], string>> = {
  h2c: "Cloudflare's edge speaks HTTP/2 with clients itself (h2c, cleartext HTTP/2, is not offered to clients); served as `http`: plaintext and TLS admitted",
  http3: "Cloudflare's edge terminates HTTP/3 (enable it in the zone's network settings); served as `https`: TLS required",
  grpc: "native gRPC cannot pass through a Worker (fetch exposes no HTTP trailers, which carry each call's status): routes pinned to this listener answer native gRPC with 501 grpc_unsupported and proxy gRPC-Web; plaintext and TLS admitted",
  grpcs:
    "native gRPC cannot pass through a Worker (fetch exposes no HTTP trailers, which carry each call's status): routes pinned to this listener answer native gRPC with 501 grpc_unsupported and proxy gRPC-Web; TLS required",
};

/** Private, loopback and link-local ranges: unreachable from Cloudflare's network. */
const PRIVATE_HOST = /^(10\.|127\.|169\.254\.|192\.168\.|172\.(1[6-9]|2\d|3[01])\.|localhost$|\[?::1\]?$|\[?f[cd][0-9a-f]{2}:)/i;

function leafPaths(node: unknown, path: (string | number)[] = []): (string | number)[][] {
  if (Array.isArray(node)) return node.flatMap((item, index) => leafPaths(item, [...path, index]));
  if (node !== null && typeof node === "object") {
    return Object.entries(node).flatMap(([key, value]) => [[...path, key], ...leafPaths(value, [...path, key])]);
  }
  return [];
}

export function edgeWarnings(document: Record<string, unknown>, config: Config, env: Record<string, unknown>): string[] {
  const warnings: string[] = [];
  for (const path of leafPaths(document)) {
    const entry = KEY_STATUS[tablePath(path)];
    if (entry?.status === "warned" && entry.ignored) warnings.push(`${formatPath(path)}: ignored at the edge: ${entry.edge}`);
  }
  for (const { path, variable } of findSecretRefs(document)) {
    if (referenceKind(path, document) !== "secret") continue; // endpoints and other values: below
    const value = env[variable];
    if (typeof value !== "string" || value.length === 0) {
      warnings.push(
        `${formatPath(path)}: secret ${variable} is not set (wrangler secret put ${variable}); requests that need it fail closed with 500`,
      );
    }
  }
  // The save's environment is the one the isolates of this deployment compile with, until a
  // variable is set; so what fails here fails there, as 503 for the routes to the upstream.
  for (const { path, upstream, message, unset } of resolveUpstreams(config.upstreams, env).unresolved) {
    if (!unset) continue; // a set variable with an invalid value is refused (parse.ts)
    warnings.push(`${path}: ${message}; until it is, requests routed to upstream "${upstream}" fail closed with 503 variable_unavailable`);
  }
  config.upstreams.forEach((upstream, u) => {
    const written = (document.upstreams as Record<string, unknown>[] | undefined)?.[u];
    if (upstream.retry && written?.retries !== undefined) {
      warnings.push(`upstreams[${u}].retries: ignored, upstreams[${u}].retry is set and takes precedence`);
    }
    const writtenEndpoints = Array.isArray(written?.endpoints) ? (written.endpoints as unknown[]) : [];
    upstream.endpoints.forEach(({ endpoint }, e) => {
      const entry = writtenEndpoints[e];
      if (upstream.load_balancer !== "weighted" && typeof entry === "object" && entry !== null && "weight" in entry) {
        warnings.push(
          `upstreams[${u}].endpoints[${e}].weight: ignored, load_balancer is ${upstream.load_balancer} (weights apply to weighted)`,
        );
      }
      const host = endpointUrl(endpoint)?.hostname ?? "";
      if (PRIVATE_HOST.test(host)) {
        warnings.push(
          `upstreams[${u}].endpoints[${e}]: ${host} is a private or loopback address, reachable only from local development, not from Cloudflare's network`,
        );
      }
    });
  });
  const addresses = new Map<string, string[]>();
  for (const listener of config.listeners) {
    const key = listener.address ?? "";
    addresses.set(key, [...(addresses.get(key) ?? []), listener.name]);
  }
  for (const names of addresses.values()) {
    if (names.length > 1) {
      warnings.push(
        `listeners ${names.join(", ")}: at the edge all listeners share one entry point; a request is served when it satisfies any one of them, and a route pins one with \`listener: NAME\``,
      );
    }
  }
  config.listeners.forEach((listener, l) => {
    const says = PROTOCOL_AT_EDGE[listener.protocol];
    if (says) warnings.push(`listeners[${l}].protocol: ${listener.protocol}: ${says}`);
  });
  config.routes.forEach((route, r) => {
    if (!route.credential) return;
    const auth = route.auth ?? config.middleware.auth;
    const schemes = auth === undefined || auth === "none" ? [] : Array.isArray(auth) ? auth : [auth];
    if (!schemes.some((scheme) => scheme.type === "api_key")) {
      warnings.push(
        `routes[${r}].credential: only the API keys of consumers carry a tenant, and this route accepts no api_key; every request will be refused with 403 tenant_required`,
      );
    }
  });
  for (const { path, jwt } of jwtBlocks(config)) warnings.push(...jwtWarnings(path, jwt));
  warnings.push(...fallThroughWarnings(config));
  warnings.push(...adminWarnings(config));
  warnings.push(...tracingWarnings(config));
  warnings.push(...pluginWarnings(config));
  warnings.push(...serviceDiscoveryWarnings(config));
  if (config.graphql && !config.routes.some((route) => route.graphql === true)) {
    warnings.push(
      "graphql.security: no route has `graphql: true`, so it protects nothing; mark each GraphQL endpoint's route with `graphql: true` (a route's own `graphql: { security }` replaces it)",
    );
  }
  if (config.cache?.enabled || config.routes.some((route) => route.cache?.enabled)) {
    warnings.push(
      "cache: the Workers Cache API stores nothing for requests to *.workers.dev: serve the gateway on a custom domain or route for responses to be cached (each data centre keeps its own copy)",
    );
  }
  warnings.push(...bulkheadWarnings(config));
  // An unedited Loom file must not look protected: its checks apply only to routes with `ai`.
  if (config.ai_gateway && securityConfigured(config.ai_gateway.security) && !config.routes.some((route) => route.ai !== undefined)) {
    warnings.push(
      "ai_gateway.security: no route has `ai`, so it protects nothing; send AI traffic through the AI gateway with `ai: true` (or `ai: { provider }`) on its route",
    );
  }
  if (config.metrics !== undefined) warnings.push("metrics: accepted and stored, but not enforced by this release of Loom Edge");
  return warnings;
}

/** A field whose variables are unset when the config is saved: saved, and its scope answers 503 until they are set. */
export function variableWarnings(unset: readonly UnresolvedField[]): string[] {
  return unset.map(
    ({ path, message, scopes }) =>
      `${path}: ${message}; until then, requests to ${scopeText(scopes)} fail closed with 503 variable_unavailable`,
  );
}

/** Where the spans of Loom's `tracing` block really go. */
function tracingWarnings(config: Config): string[] {
  if (!config.tracing) return [];
  const resolved = otlpTracesUrl(config.tracing.endpoint);
  if (!resolved.ok) return [];
  const warnings: string[] = [];
  const url = new URL(resolved.url);
  if (resolved.movedFromGrpcPort) {
    warnings.push(
      `tracing.endpoint: port ${OTLP_GRPC_PORT} is OTLP/gRPC, which a Worker cannot speak; spans are sent as OTLP/HTTP JSON to ${resolved.url} (the collector's OTLP/HTTP receiver must listen on ${OTLP_HTTP_PORT})`,
    );
  }
  if (PRIVATE_HOST.test(url.hostname)) {
    warnings.push(
      `tracing.endpoint: ${url.hostname} is a private or loopback address, reachable only from local development, not from Cloudflare's network`,
    );
  } else if (url.protocol === "http:") {
    warnings.push("tracing.endpoint: plain http: spans (paths, client addresses, user agents) cross the network in clear; use https");
  }
  return warnings;
}

/** What the edge does with each top-level plugins[] entry (config/plugins.ts resolves the names). */
const PLUGIN_AT_EDGE: Record<string, string> = {
  "jwt-auth":
    "served by the built-in jwt scheme: a route naming it authenticates with this config (jwks_url read as jwks_uri) as its `auth`",
  "rate-limit":
    "served by the built-in rate limiter: a route naming it gets this config (requests_per_second, burst) as its rate_limit.routes override, on the same Durable Objects",
  "request-logger":
    "served by the access log (logging.access_log), which records every request of every route, whether a route names it or not; its config is not read and bodies are never logged",
  "request-validator": "served by the built-in request-validator only in a route's { name, config } form; this entry is not read",
};

function pluginWarnings(config: Config): string[] {
  const logged = config.logging?.access_log?.enabled !== false;
  const unlogged = config.routes.flatMap((route, r) =>
    logged || !route.plugins.includes("request-logger")
      ? []
      : [
          `routes[${r}].plugins[${route.plugins.indexOf("request-logger")}]: request-logger is the access log, which logging.access_log.enabled: false turns off; this route's requests are not logged`,
        ],
  );
  return unlogged.concat(
    config.plugins.map((plugin, p) => {
      const says =
        PLUGIN_AT_EDGE[plugin.name] ??
        "a WASM plugin Loom Edge cannot run: every route naming it answers 503 plugin_unavailable (never served without it)";
      const builtIn = PLUGIN_AT_EDGE[plugin.name] !== undefined ? "; phase, priority, memory_limit and timeout do not apply" : "";
      return `plugins[${p}] (${plugin.name}): ${says}${builtIn}`;
    }),
  );
}

function serviceDiscoveryWarnings(config: Config): string[] {
  const warnings: string[] = [];
  config.upstreams.forEach((upstream, u) => {
    const discovery = upstream.service_discovery;
    if (!discovery) return;
    const path = `upstreams[${u}].service_discovery`;
    if (!discovery.enabled) warnings.push(`${path}: enabled is false; requests go to endpoints as written`);
    else if (discovery.provider === "dns") {
      warnings.push(
        `${path}: dns is what the edge does anyway: each endpoint's host name is resolved per request (service_name and refresh_interval are not used)`,
      );
    } else {
      warnings.push(
        `${path}: ${discovery.provider} is unreachable from Cloudflare's network: it is not consulted, and requests go to endpoints as written`,
      );
    }
  });
  return warnings;
}

/** A bulkhead block that is off, as Loom's code reads `enabled` unset: saying nothing would look like a limit. */
function bulkheadWarnings(config: Config): string[] {
  return config.upstreams.flatMap((upstream, u) =>
    upstream.bulkhead && !upstream.bulkhead.enabled
      ? [`upstreams[${u}].bulkhead: enabled is not true (Loom's code default is false): no concurrency limit applies to this upstream`]
      : [],
  );
}

/** What Loom's code dialect of `admin` does at the edge that its keys alone would not say. */
function adminWarnings(config: Config): string[] {
  const warnings: string[] = [];
  if (config.admin?.enabled === false) {
    warnings.push(
      "admin.enabled: false: once saved, every admin path answers 404; set the Worker variable ADMIN_API_OVERRIDE=on to reach the admin API again and save `enabled: true`",
    );
  }
  const auth = config.admin?.auth;
  if (auth?.type !== "users") return warnings;
  if (!auth.enabled) {
    warnings.push(
      "admin.auth.enabled: false turns the users' logins off; the ADMIN_TOKEN bearer token is still required (the edge never serves the admin API without credentials)",
    );
  }
  if (Object.keys(auth.users).length > 0) {
    warnings.push(
      "admin.auth.users: unsalted SHA-256 password hashes can be cracked offline by whoever reads the config; the edge compares only passwords of 128 bits or more (openssl rand -base64 32) and shows the hashes as [redacted]; prefer `type: basic` with a `${VAR}` password",
    );
  }
  return warnings;
}

/** Every jwt scheme block of the config, with its path. */
function jwtBlocks(config: Config): { path: string; jwt: JwtAuthConfig }[] {
  const blocks: { path: string; jwt: JwtAuthConfig }[] = [];
  const collect = (path: string, auth: Config["routes"][number]["auth"]) => {
    if (auth === undefined || auth === "none") return;
    if (!Array.isArray(auth)) {
      if (auth.type === "jwt") blocks.push({ path, jwt: auth });
      return;
    }
    auth.forEach((scheme, index) => {
      if (scheme.type === "jwt") blocks.push({ path: `${path}[${index}]`, jwt: scheme });
    });
  };
  collect("middleware.auth", config.middleware.auth);
  // A route naming jwt-auth got its `auth` from the plugin entry: warned once, at the entry.
  const fromPlugin = config.routes.find((route) => route.plugins.includes("jwt-auth"));
  const entry = config.plugins.findIndex((plugin) => plugin.name === "jwt-auth");
  if (fromPlugin) collect(`plugins[${entry}].config`, fromPlugin.auth);
  config.routes.forEach((route, r) => {
    if (!route.plugins.includes("jwt-auth")) collect(`routes[${r}].auth`, route.auth);
  });
  return blocks;
}

/** What a jwt block admits beyond what its keys alone would suggest. */
function jwtWarnings(path: string, jwt: JwtAuthConfig): string[] {
  const warnings: string[] = [];
  const unchecked = [
    jwt.issuer === undefined ? "issuer (any `iss`)" : undefined,
    jwt.audience === undefined ? "audience (any `aud`, tokens issued for other services included)" : undefined,
  ].filter(Boolean);
  if (unchecked.length > 0) {
    warnings.push(
      `${path}: no ${unchecked.join(" and no ")} is checked: every token its keys verify is accepted, whoever it was issued by or for (RFC 8725 §3.8, §3.9); set \`issuer\` and \`audience\``,
    );
  }
  if (!jwt.require_exp)
    warnings.push(
      `${path}.require_exp: false: tokens without \`exp\` are accepted and never expire, so a leaked one works until its key is rotated`,
    );
  if (jwt.jwks_uri?.startsWith("http:")) {
    warnings.push(
      `${path}.jwks_uri: plain http to a loopback host, for local development only; Cloudflare's network cannot reach it, so deployed, tokens that need it are refused`,
    );
  }
  return warnings;
}
