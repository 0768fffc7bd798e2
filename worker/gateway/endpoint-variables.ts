/**
 * Upstream endpoints with `${VAR}` references (`"${BACKEND_HOST}:${BACKEND_PORT}"`), resolved from
 * the Worker's environment and checked with the rule of a literal endpoint (http/upstream-url.ts).
 * The admin API runs this when a config is saved (an unset variable is a warning, a set one whose
 * value makes no valid endpoint is refused, by path); every isolate runs it
 * once per config version when it compiles the config, since an isolate's environment does not
 * change during its life. An upstream with an endpoint that cannot be resolved is not served at
 * all: the routes to it answer 503 `variable_unavailable` (pipeline/compile.ts), so a missing
 * variable never shrinks an upstream to its other endpoints or sends traffic to a half-built
 * address. Problems name variables, never their values (a variable may be a secret).
 *
 * The endpoint as written (the template) stays the endpoint's name: the circuit, the health
 * checks' state and the consistent-hash ring know it by that name, so the admin API never shows
 * a resolved value; `address` is what the request is sent to.
 */
import { resolveVariables, variablesIn } from "../http/schema-kit/variables";
import type { UpstreamTarget } from "./schema";
import { endpointProblem } from "../http/upstream-url";

/** An endpoint and the address it resolved to (undefined: the endpoint has no variables). */
export type AddressedEndpoint = UpstreamTarget["endpoints"][number] & { address?: string };

/** An upstream whose endpoints all resolved. */
export type AddressedUpstream<U extends Pick<UpstreamTarget, "endpoints"> = UpstreamTarget> = Omit<U, "endpoints"> & {
  endpoints: AddressedEndpoint[];
};

/** What a request to `endpoint` is sent to. */
export const addressOf = (endpoint: AddressedEndpoint): string => endpoint.address ?? endpoint.endpoint;

export interface EndpointVariableProblem {
  /** Index in the upstream's `endpoints`. */
  endpoint: number;
  /** What is wrong, naming the variables only. */
  message: string;
  /** A variable is unset (true), or they are all set and the value is no valid endpoint (false). */
  unset: boolean;
}

export type UpstreamResolution<U extends Pick<UpstreamTarget, "endpoints">> =
  { ok: true; upstream: AddressedUpstream<U> } | { ok: false; problems: EndpointVariableProblem[] };

const plural = (names: string[]) => (names.length > 1 ? `variables ${names.join(", ")} are` : `variable ${names[0]} is`);

/** The upstream with each endpoint's address, or why some endpoint cannot be resolved. */
export function resolveUpstream<U extends Pick<UpstreamTarget, "endpoints">>(
  upstream: U,
  env: Record<string, unknown>,
): UpstreamResolution<U> {
  const problems: EndpointVariableProblem[] = [];
  const endpoints = upstream.endpoints.map((entry, index): AddressedEndpoint => {
    const variables = variablesIn(entry.endpoint);
    if (variables.length === 0) return entry;
    const resolved = resolveVariables(entry.endpoint, env);
    if (!resolved.ok) {
      problems.push({
        endpoint: index,
        message: `${plural(resolved.unset)} not set (wrangler.toml [vars], --var, or wrangler secret put)`,
        unset: true,
      });
      return entry;
    }
    const problem = endpointProblem(resolved.value);
    if (problem) {
      problems.push({
        endpoint: index,
        message: `with ${variables.join(", ")} resolved, the endpoint is not valid: it ${problem}`,
        unset: false,
      });
      return entry;
    }
    return { ...entry, address: resolved.value };
  });
  return problems.length > 0 ? { ok: false, problems } : { ok: true, upstream: { ...upstream, endpoints } };
}

/** An endpoint that cannot be resolved, by config path, and the upstream it keeps from being served. */
export interface UnresolvedEndpoint {
  path: string;
  upstream: string;
  message: string;
  unset: boolean;
}

/** The upstreams whose endpoints all resolved, and the endpoints of the others that did not. */
export function resolveUpstreams<U extends Pick<UpstreamTarget, "name" | "endpoints">>(
  upstreams: readonly U[],
  env: Record<string, unknown>,
): { served: AddressedUpstream<U>[]; unresolved: UnresolvedEndpoint[] } {
  const served: AddressedUpstream<U>[] = [];
  const unresolved: UnresolvedEndpoint[] = [];
  upstreams.forEach((upstream, u) => {
    const resolution = resolveUpstream(upstream, env);
    if (resolution.ok) served.push(resolution.upstream);
    else {
      for (const { endpoint, message, unset } of resolution.problems) {
        unresolved.push({ path: `upstreams[${u}].endpoints[${endpoint}]`, upstream: upstream.name, message, unset });
      }
    }
  });
  return { served, unresolved };
}
